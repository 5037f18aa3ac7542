import { join } from "node:path";
import type { Argv, CommandModule } from "yargs";
import { formatSpecIssue, loadExperiment } from "@iter8/spec";
import type { CommandContext } from "../context.js";
import { EXIT_CODES } from "../errors.js";
import { EXPERIMENT_FILE, experimentDir, withDirOption } from "../experiment-dir.js";
import { createProgressView } from "../progress.js";

interface RunArgs {
  dir?: string;
  "log-level": string;
  lenient: boolean;
}

/** `iter8 run`: runs `experiment.yaml` and writes `result.yaml` beside it. */
export function runCommand(ctx: CommandContext): CommandModule<object, RunArgs> {
  return {
    command: "run",
    describe: "Run the experiment in experiment.yaml and write result.yaml",
    builder: (y) =>
      withDirOption(y)
        .option("lenient", {
          type: "boolean",
          default: false,
          describe: "Ignore unknown keys with a warning (as Iter8 did) instead of refusing them",
        })
        .example("$0 run", "run experiment.yaml of the current directory")
        .example("$0 run --dir load-test", "run load-test/experiment.yaml")
        .example("$0 run --lenient", "run an Iter8 experiment with keys iter8 does not read")
        .epilogue(
          "Exit codes: 0 the experiment completed, 1 a task failed, 2 the experiment is invalid, " +
            "130 interrupted (the partial result is kept in result.yaml).",
        ) as Argv<RunArgs>,
    handler: async (argv) => {
      const dir = experimentDir(ctx, argv.dir);
      const experiment = await loadExperiment(join(dir, EXPERIMENT_FILE), {
        lenient: argv.lenient,
        onWarning: (warning) => ctx.io.err(`warning: ${formatSpecIssue(warning)}`),
      });
      await ctx.prepareForLoad?.();
      const { runExperiment } = await import("@iter8/engine");
      const live = ctx.isTTY === true && !ctx.env.NO_COLOR;
      const view = createProgressView({
        live,
        debug: argv["log-level"] === "debug",
        write: ctx.io.progress,
      });
      const result = await runExperiment(experiment, {
        dir,
        env: ctx.env,
        onEvent: view.onEvent,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      view.close();
      const done = `${result.numCompletedTasks} of ${experiment.tasks.length} tasks completed`;
      if (result.aborted) {
        ctx.io.err(`Experiment interrupted: ${done}; partial result written to result.yaml.`);
        ctx.setExitCode(EXIT_CODES.interrupted);
      } else if (result.failure) {
        const failed = result.failedTask;
        ctx.io.err(
          `Experiment failed: task ${failed ? failed.index + 1 : "?"} (${failed?.task ?? "unknown"}): ` +
            `${failed?.message ?? "no reason recorded"}`,
        );
        ctx.setExitCode(EXIT_CODES.failed);
      } else {
        ctx.io.out(`Experiment completed: ${done}; result written to result.yaml.`);
        ctx.setExitCode(EXIT_CODES.ok);
      }
    },
  };
}
