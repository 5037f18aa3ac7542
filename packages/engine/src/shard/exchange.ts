import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "@iter8/spec";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";

/** What one shard published, as read back. */
export interface ShardReport {
  shard: number;
  /** Epoch ms at which the shard said it was ready (absent: not yet). */
  readyAt?: number;
  /** The shard's encoded measurements (text, at most 1 MiB), once it finished its load. */
  measurement?: string;
  /** Why the shard failed, if it did. */
  failure?: string;
}

/**
 * Where the N shards of one experiment meet: a directory locally, Secrets in Kubernetes.
 * Every method may be called from any shard process; implementations make each write atomic and
 * `proposeStart` first-writer-wins.
 */
export interface ShardExchange {
  /** Records that `shard` is ready to start its load, at epoch ms `at`. */
  markReady(shard: number, at: number): Promise<void>;
  /** Writes the common start time (epoch ms) unless one is written; resolves the one that holds. */
  proposeStart(at: number): Promise<number>;
  /** The common start time, once written. */
  startTime(): Promise<number | undefined>;
  /** Publishes `shard`'s encoded measurement. */
  publishMeasurement(shard: number, measurement: string): Promise<void>;
  /** Publishes why `shard` failed. */
  publishFailure(shard: number, reason: string): Promise<void>;
  /** What every shard has published so far (one entry per shard that wrote anything). */
  reports(): Promise<ShardReport[]>;
  /** Shard 0 writes the final result (result.yaml text). */
  writeResult(resultYaml: string): Promise<void>;
}

const START_FILE = "start.json";
const RESULT_FILE = "result.yaml";
const SHARD_FILE = /^(ready|measurement|failure)-(\d+)\.(json|txt)$/;

function exchangeError(dir: string, what: string, error: unknown): EngineError {
  const reason = error instanceof Error ? error.message : String(error);
  return new EngineError(
    ENGINE_ERROR_CODES.shardExchange,
    `shard exchange ${dir}: cannot ${what}: ${reason}`,
    undefined,
    { cause: error },
  );
}

function parseTime(text: string, file: string): number {
  let at: unknown;
  try {
    at = (JSON.parse(text) as { at?: unknown }).at;
  } catch {
    at = undefined;
  }
  if (typeof at !== "number" || !Number.isFinite(at)) {
    throw new EngineError(
      ENGINE_ERROR_CODES.shardExchange,
      `shard exchange ${file}: expected {"at": <epoch ms>}`,
    );
  }
  return at;
}

/**
 * A `ShardExchange` in a directory that every shard can reach (one machine, or a shared volume):
 * `ready-<i>.json`, `start.json`, `measurement-<i>.json`, `failure-<i>.txt` and `result.yaml`.
 * Writes are atomic (a temporary file renamed into place); the start time is written with a hard
 * link, which fails when the file exists, so the first proposal wins. The directory is created on
 * the first write. Errors are `EngineError` `ITER8_SHARD_EXCHANGE` naming the directory.
 */
export function createDirectoryExchange(dir: string): ShardExchange {
  let created = false;
  const write = async (name: string, text: string): Promise<void> => {
    try {
      if (!created) await mkdir(dir, { recursive: true });
      created = true;
      await writeFileAtomic(join(dir, name), text);
    } catch (error) {
      throw exchangeError(dir, `write ${name}`, error);
    }
  };
  const readStart = async (): Promise<number | undefined> => {
    const file = join(dir, START_FILE);
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw exchangeError(dir, `read ${START_FILE}`, error);
    }
    return parseTime(text, file);
  };
  return {
    markReady: (shard, at) => write(`ready-${shard}.json`, JSON.stringify({ at })),
    async proposeStart(at) {
      const temp = join(dir, `.${START_FILE}.${process.pid}.${randomBytes(6).toString("hex")}`);
      try {
        await mkdir(dir, { recursive: true });
        const handle = await open(temp, "wx", 0o644);
        try {
          await handle.writeFile(JSON.stringify({ at }), "utf8");
          await handle.sync();
        } finally {
          await handle.close();
        }
        await link(temp, join(dir, START_FILE));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
          await rm(temp, { force: true });
          throw exchangeError(dir, `write ${START_FILE}`, error);
        }
      }
      await rm(temp, { force: true });
      const held = await readStart();
      if (held === undefined) throw exchangeError(dir, `read ${START_FILE}`, "it vanished");
      return held;
    },
    startTime: readStart,
    publishMeasurement: (shard, measurement) => write(`measurement-${shard}.json`, measurement),
    publishFailure: (shard, reason) => write(`failure-${shard}.txt`, reason),
    async reports() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
        throw exchangeError(dir, "list the directory", error);
      }
      const byShard = new Map<number, ShardReport>();
      for (const name of names) {
        const match = SHARD_FILE.exec(name);
        if (!match) continue;
        const shard = Number(match[2]);
        const report = byShard.get(shard) ?? { shard };
        let text: string;
        try {
          text = await readFile(join(dir, name), "utf8");
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
          throw exchangeError(dir, `read ${name}`, error);
        }
        if (match[1] === "ready") report.readyAt = parseTime(text, join(dir, name));
        else if (match[1] === "measurement") report.measurement = text;
        else report.failure = text;
        byShard.set(shard, report);
      }
      return [...byShard.values()].sort((a, b) => a.shard - b.shard);
    },
    writeResult: (resultYaml) => write(RESULT_FILE, resultYaml),
  };
}
