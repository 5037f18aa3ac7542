import { join, resolve } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { formatSpecIssue, loadExperiment, parseDuration, SpecError } from "@iter8/spec";
import type { CommandContext } from "../context.js";
import { EXIT_CODES, UsageError } from "../errors.js";
import { EXPERIMENT_FILE, experimentDir, withDirOption } from "../experiment-dir.js";
import { createProgressView } from "../progress.js";

interface KRunArgs {
  dir?: string;
  "log-level": string;
  file?: string;
  shard: string;
  exchange?: string;
  lenient: boolean;
  "ready-timeout": string;
  "report-timeout": string;
}

/** `i/N` as two integers, 0 <= i < N. */
function parseShardFlag(text: string): { shard: number; count: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const shard = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !(count >= 1) || !(shard < count)) {
    throw new UsageError(
      `invalid --shard value "${text}": expected i/N with 0 <= i < N, e.g. 0/4`,
      "shard 0 merges the measurements and writes the result",
    );
  }
  return { shard, count };
}

function parseTimeoutFlag(flag: string, text: string): number {
  try {
    const ms = parseDuration(text);
    if (ms > 0) return ms;
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
  }
  throw new UsageError(`invalid ${flag} value "${text}": expected a duration such as 30s or 5m`);
}

/** `iter8 k run --shard i/N --exchange DIR`: runs one shard of an experiment's load. */
export function kRunCommand(ctx: CommandContext): CommandModule<object, KRunArgs> {
  return {
    command: "run",
    describe: "Run shard i of N of an experiment's load; shard 0 merges and writes result.yaml",
    builder: (y) =>
      withDirOption(y)
        .option("shard", {
          type: "string",
          demandOption: true,
          describe: "Which shard this is, i/N (0 <= i < N)",
        })
        .option("exchange", {
          type: "string",
          describe: "Directory where the shards meet (ready marks, start time, measurements)",
        })
        .option("file", {
          alias: "f",
          type: "string",
          describe: "The experiment (default: experiment.yaml in --dir)",
        })
        .option("lenient", {
          type: "boolean",
          default: false,
          describe: "Ignore unknown keys with a warning (as Iter8 did) instead of refusing them",
        })
        .option("ready-timeout", {
          type: "string",
          default: "5m",
          describe: "How long to wait for every shard to be ready before starting without the rest",
        })
        .option("report-timeout", {
          type: "string",
          default: "2m",
          describe:
            "How long shard 0 waits, after its own load, for the other shards' measurements",
        })
        .example("$0 k run --shard 0/4 --exchange /tmp/shards", "shard 0 of 4; writes result.yaml")
        .epilogue(
          "Every shard sends its share of each load task from one common start and publishes its " +
            "measurement; shard 0 runs the other tasks, merges the measurements exactly and " +
            "writes result.yaml in --dir. Exit codes: 0 done, 1 a task or a shard failed, " +
            "2 invalid input, 130 interrupted (what was measured is kept).",
        ) as Argv<KRunArgs>,
    handler: async (argv) => {
      const { shard, count } = parseShardFlag(argv.shard);
      const readyTimeoutMs = parseTimeoutFlag("--ready-timeout", argv["ready-timeout"]);
      const reportTimeoutMs = parseTimeoutFlag("--report-timeout", argv["report-timeout"]);
      if (argv.exchange === undefined) {
        throw new UsageError(
          "iter8 k run needs --exchange DIR: the directory where the shards meet",
        );
      }
      const dir = experimentDir(ctx, argv.dir);
      const file =
        argv.file === undefined ? join(dir, EXPERIMENT_FILE) : resolve(ctx.cwd, argv.file);
      const experiment = await loadExperiment(file, {
        lenient: argv.lenient,
        onWarning: (warning) => ctx.io.err(`warning: ${formatSpecIssue(warning)}`),
      });
      await ctx.prepareForLoad?.();
      const { createDirectoryExchange, runShard } = await import("@iter8/engine");
      const view = createProgressView({
        live: ctx.isTTY === true && !ctx.env.NO_COLOR,
        debug: argv["log-level"] === "debug",
        write: ctx.io.progress,
      });
      const name = `shard ${shard} of ${count}`;
      const run = await runShard(experiment, {
        shard,
        count,
        exchange: createDirectoryExchange(resolve(ctx.cwd, argv.exchange)),
        dir,
        env: ctx.env,
        readyTimeoutMs,
        reportTimeoutMs,
        onEvent: view.onEvent,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      }).finally(() => view.close());
      const result = run.result;
      if (!result) {
        const requests = (run.measurement?.tasks ?? [])
          .flatMap((t) => t.versions)
          .reduce((sum, v) => sum + (v?.result.requests ?? 0), 0);
        const what = `${requests} requests measured and published`;
        if (run.aborted) {
          ctx.io.err(`Shard interrupted: ${name}: ${what}.`);
          ctx.setExitCode(EXIT_CODES.interrupted);
        } else {
          ctx.io.out(`Shard done: ${name}: ${what}.`);
          ctx.setExitCode(EXIT_CODES.ok);
        }
        return;
      }
      const done = `${result.numCompletedTasks} of ${experiment.tasks.length} tasks completed`;
      if (result.aborted) {
        ctx.io.err(
          `Experiment interrupted (${name}): ${done}; partial result written to result.yaml.`,
        );
        ctx.setExitCode(EXIT_CODES.interrupted);
      } else if (result.failure) {
        const failed = result.failedTask;
        ctx.io.err(
          `Experiment failed (${name}): task ${failed ? failed.index + 1 : "?"} (${failed?.task ?? "unknown"}): ` +
            `${failed?.message ?? "no reason recorded"}`,
        );
        ctx.setExitCode(EXIT_CODES.failed);
      } else {
        ctx.io.out(`Experiment completed (${name}): ${done}; result written to result.yaml.`);
        ctx.setExitCode(EXIT_CODES.ok);
      }
    },
  };
}
