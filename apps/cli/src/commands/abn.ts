import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { AbnAppConfig, AbnStoreOptions } from "@iter8/traffic";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { UsageError } from "../errors.js";
import { waitForStop } from "../wait-for-stop.js";

/** Flags of `iter8 abn`. */
export interface AbnFlags {
  app: string[];
  store: string;
  "store-max-mb"?: number;
  port: string;
  host: string;
}

/**
 * `iter8 abn`: serves the A/B/n service (sticky version lookup, metric collection, summaries for
 * the `abnmetrics` task) until Ctrl-C (SIGINT), SIGTERM or the context's abort signal.
 */
export function abnCommand(ctx: CommandContext): CommandModule {
  return {
    command: "abn",
    describe: "Serve A/B/n version lookup and metric collection for apps under test",
    builder: (yargs) =>
      yargs
        .option("app", {
          type: "string",
          array: true,
          demandOption: true,
          describe: "An app and its versions' weights, version 0 first: shop=75,25",
        })
        .option("store", {
          alias: "data",
          type: "string",
          default: DEFAULT_STORE,
          describe:
            "Where the data lives: a SQLite file, or redis://host:port/db shared by replicas " +
            "(a JSON Lines data file of an earlier version is migrated once)",
        })
        .option("store-max-mb", {
          type: "number",
          describe: "SQLite: the most MiB the store may take; posts beyond answer 507",
        })
        .option("port", {
          alias: "p",
          type: "string",
          default: "8080",
          describe: "Port (0: ephemeral)",
        })
        .option("host", { type: "string", default: "127.0.0.1", describe: "Address to bind" })
        .example("$0 abn --app shop=50,50", "lookup at GET /lookup?app=shop&user=<id>")
        .example(
          "$0 abn --app shop=90,10 --app search=1,1,1 --store /var/lib/iter8/abn.db",
          "two apps; the second with three equally weighted versions",
        )
        .example(
          "$0 abn --app shop=50,50 --store redis://127.0.0.1:6379/0",
          "replicas behind a load balancer share a Redis",
        ),
    handler: async (argv) => {
      const flags = argv as unknown as AbnFlags;
      const apps = parseAppFlags(flags.app);
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port "${flags.port}" is not a port number (0-65535)`);
      }
      const { store, storeOptions } = storeFlags(flags, ctx.cwd);
      const { startAbnServer } = await import("@iter8/traffic");
      const server = await startAbnServer({ apps, store, storeOptions, host: flags.host, port });
      const migration = server.store.migration;
      if (migration) {
        ctx.io.out(
          `abn migrated ${migration.records} records (${migration.skipped} skipped) ` +
            `into ${store}; the old file is now ${migration.file}`,
        );
      }
      const described = Object.entries(apps)
        .map(([name, config]) => `${name} ${config.weights.join("/")}`)
        .join(", ");
      ctx.io.out(
        `abn listening on ${server.url} (apps: ${described}; store: ${server.store.description})`,
      );
      await waitForStop(ctx.signal);
      await server.close();
      ctx.io.out("abn stopped");
      ctx.setExitCode(0);
    },
  };
}

const DEFAULT_STORE = "abn-data.db";
/** The data file of earlier versions' default, migrated into the default store when found. */
const LEGACY_DEFAULT_DATA = "abn-data.jsonl";

/** The store location and options from `--store` and `--store-max-mb`. */
function storeFlags(
  flags: AbnFlags,
  cwd: string,
): { store: string; storeOptions: AbnStoreOptions } {
  const maxMb = flags["store-max-mb"];
  if (maxMb !== undefined && !(Number.isFinite(maxMb) && maxMb > 0)) {
    throw new UsageError(`--store-max-mb ${maxMb} is not a positive number of MiB`);
  }
  if (/^rediss?:\/\//i.test(flags.store)) {
    if (maxMb !== undefined) {
      throw new UsageError("--store-max-mb applies to a SQLite store; limit Redis with maxmemory");
    }
    return { store: flags.store, storeOptions: {} };
  }
  const store = resolve(cwd, flags.store);
  const storeOptions: AbnStoreOptions = {};
  if (maxMb !== undefined) storeOptions.maxBytes = Math.floor(maxMb * 1024 * 1024);
  const legacy = resolve(cwd, LEGACY_DEFAULT_DATA);
  if (flags.store === DEFAULT_STORE && existsSync(legacy)) storeOptions.migrateFrom = legacy;
  return { store, storeOptions };
}

/** Parses `--app name=w0,w1,...` flags. Throws `UsageError` for a malformed one. */
export function parseAppFlags(values: readonly string[]): Record<string, AbnAppConfig> {
  // Prototype-free: an app named "__proto__" or "constructor" is just a name.
  const apps = Object.create(null) as Record<string, AbnAppConfig>;
  for (const value of values) {
    const match = /^([^=\s]+)=(.+)$/.exec(value.trim());
    const weights = match?.[2]?.split(",").map((w) => Number(w.trim())) ?? [];
    if (
      !match?.[1] ||
      weights.length === 0 ||
      weights.some((w) => !Number.isFinite(w) || w < 0) ||
      weights.every((w) => w === 0)
    ) {
      throw new UsageError(
        `--app "${value}" is not name=weights`,
        "write e.g. --app shop=75,25 (one non-negative weight per version, version 0 first)",
      );
    }
    apps[match[1]] = { weights };
  }
  return apps;
}
