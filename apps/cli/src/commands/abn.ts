import { resolve } from "node:path";
import type { AbnAppConfig } from "@iter8/traffic";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { UsageError } from "../errors.js";
import { waitForStop } from "../wait-for-stop.js";

/** Flags of `iter8 abn`. */
export interface AbnFlags {
  app: string[];
  data: string;
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
        .option("data", {
          type: "string",
          default: "abn-data.jsonl",
          describe: "Append-only data file (replayed on start, so a restart loses nothing)",
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
          "$0 abn --app shop=90,10 --app search=1,1,1 --data /var/lib/iter8/abn.jsonl",
          "two apps; the second with three equally weighted versions",
        ),
    handler: async (argv) => {
      const { startAbnServer } = await import("@iter8/traffic");
      const flags = argv as unknown as AbnFlags;
      const apps = parseAppFlags(flags.app);
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port "${flags.port}" is not a port number (0-65535)`);
      }
      const dataFile = resolve(ctx.cwd, flags.data);
      const server = await startAbnServer({ apps, dataFile, host: flags.host, port });
      const described = Object.entries(apps)
        .map(([name, config]) => `${name} ${config.weights.join("/")}`)
        .join(", ");
      ctx.io.out(`abn listening on ${server.url} (apps: ${described}; data: ${dataFile})`);
      await waitForStop(ctx.signal);
      await server.close();
      ctx.io.out("abn stopped");
      ctx.setExitCode(0);
    },
  };
}

/** Parses `--app name=w0,w1,...` flags. Throws `UsageError` for a malformed one. */
export function parseAppFlags(values: readonly string[]): Record<string, AbnAppConfig> {
  const apps: Record<string, AbnAppConfig> = {};
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
