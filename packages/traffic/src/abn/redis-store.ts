import { Redis } from "ioredis";
import { ABN_ERROR_CODES, AbnError } from "./errors.js";
import { emptySummaries } from "./store.js";
import type { AbnStore, AbnStoreOptions, AbnVersionSummary } from "./store.js";

/**
 * Adds a value atomically (a script runs alone in Redis): checks that every new sum and sum of
 * squares is finite before writing anything, then adds the user to the version's set and rewrites
 * the per-user and per-version summaries in place. Doubles are written with 17 significant digits,
 * so they read back exactly. KEYS: users set, version hash, user hash. ARGV: user, metric, value,
 * user-metric field.
 */
const RECORD_SCRIPT = `
local value = tonumber(ARGV[3])
local function finite(x) return x == x and x ~= math.huge and x ~= -math.huge end
local function read(key, field)
  local c = redis.call('HGET', key, 'c:' .. field)
  if not c then return 0, 0, 0 end
  return tonumber(c), tonumber(redis.call('HGET', key, 's:' .. field)),
    tonumber(redis.call('HGET', key, 'q:' .. field))
end
local vc, vs, vq = read(KEYS[2], ARGV[2])
local uc, us, uq = read(KEYS[3], ARGV[4])
vs = vs + value; vq = vq + value * value
us = us + value; uq = uq + value * value
if not (finite(value) and finite(vs) and finite(vq) and finite(us) and finite(uq)) then
  return redis.error_reply('ABN_NONFINITE_SUM')
end
local function fmt(x) return string.format('%.17g', x) end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'c:' .. ARGV[2], fmt(vc + 1), 's:' .. ARGV[2], fmt(vs), 'q:' .. ARGV[2], fmt(vq))
redis.call('HSET', KEYS[3], 'c:' .. ARGV[4], fmt(uc + 1), 's:' .. ARGV[4], fmt(us), 'q:' .. ARGV[4], fmt(uq))
return 1
`;

/**
 * Opens the Redis store at `url` (`redis://host:port/db`): several `iter8 abn` replicas pointed at
 * the same Redis share users and metrics. Each `recordMetric` is one Lua script, atomic in Redis;
 * it resolves once Redis has applied it (durability after that is Redis's: `appendonly yes` with
 * `appendfsync always` keeps it across a crash of Redis too). Keys, per app and version:
 * `<prefix><app>:<version>:users` (set of users), `:metrics` (hash of count `c:`, sum `s:`, sum
 * of squares `q:` per metric) and `:user-metrics` (the same per user and metric).
 */
export async function openRedisAbnStore(
  url: string,
  options: AbnStoreOptions = {},
): Promise<AbnStore> {
  const prefix = options.keyPrefix ?? "iter8:abn:";
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5000,
  });
  // ioredis reports connection trouble as events; the rejected commands carry it to callers.
  redis.on("error", () => undefined);
  const shown = redactUrl(url);
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new AbnError(ABN_ERROR_CODES.storage, `cannot connect to ${shown}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  redis.defineCommand("iter8AbnRecord", { numberOfKeys: 3, lua: RECORD_SCRIPT });
  const key = (app: string, version: number, part: string): string =>
    `${prefix}${encodeURIComponent(app)}:${version}:${part}`;

  return {
    description: `redis ${shown}`,
    recordMetric: async (app, user, version, metric, value) => {
      try {
        await (
          redis as unknown as {
            iter8AbnRecord(...args: string[]): Promise<unknown>;
          }
        ).iter8AbnRecord(
          key(app, version, "users"),
          key(app, version, "metrics"),
          key(app, version, "user-metrics"),
          user,
          metric,
          String(value),
          JSON.stringify([user, metric]),
        );
      } catch (error) {
        if (messageOf(error).includes("ABN_NONFINITE_SUM")) {
          throw new AbnError(
            ABN_ERROR_CODES.invalid,
            `metric "${metric}" of version ${version} of app "${app}": adding ${value} would make ` +
              `its sum or sum of squares non-finite; values must keep both finite (|value| well below 1.3e154)`,
          );
        }
        throw new AbnError(
          /OOM|maxmemory|MISCONF/.test(messageOf(error))
            ? ABN_ERROR_CODES.storageFull
            : ABN_ERROR_CODES.storage,
          `cannot write to ${shown}: ${messageOf(error)}`,
          { cause: error },
        );
      }
    },
    summarise: async (app, numVersions) => {
      const summaries = emptySummaries(numVersions);
      try {
        const pipeline = redis.pipeline();
        for (let v = 0; v < numVersions; v++) {
          pipeline.scard(key(app, v, "users"));
          pipeline.hgetall(key(app, v, "metrics"));
        }
        const answers = (await pipeline.exec()) ?? [];
        summaries.forEach((summary, v) => {
          const [usersError, users] = answers[2 * v] ?? [new Error("no answer")];
          const [metricsError, fields] = answers[2 * v + 1] ?? [new Error("no answer")];
          if (usersError) throw usersError;
          if (metricsError) throw metricsError;
          summary.users = Number(users);
          readMetrics(summary, fields as Record<string, string>);
        });
      } catch (error) {
        throw new AbnError(ABN_ERROR_CODES.storage, `cannot read ${shown}: ${messageOf(error)}`, {
          cause: error,
        });
      }
      return summaries;
    },
    close: async () => {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

/** Fills `summary.metrics` from a version hash (`c:`/`s:`/`q:` + metric → number). */
function readMetrics(summary: AbnVersionSummary, fields: Record<string, string>): void {
  for (const [field, text] of Object.entries(fields)) {
    if (!field.startsWith("c:")) continue;
    const metric = field.slice(2);
    summary.metrics[metric] = {
      count: Number(text),
      sum: Number(fields[`s:${metric}`] ?? 0),
      sumSquares: Number(fields[`q:${metric}`] ?? 0),
    };
  }
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "redis (malformed URL)";
  }
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ");
}
