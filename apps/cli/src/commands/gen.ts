import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { EXIT_CODES } from "../errors.js";
import {
  experimentDir,
  loadExperimentIfPresent,
  loadResultIn,
  withDirOption,
} from "../experiment-dir.js";

interface GenArgs {
  dir?: string;
}

/** `iter8 gen`: the seed's text report of `result.yaml` (Experiment summary, SLOs, Metrics). */
export function genCommand(ctx: CommandContext): CommandModule<object, GenArgs> {
  return {
    command: "gen",
    describe: "Print a text report of the experiment (same as iter8 report -o text)",
    builder: (y) =>
      withDirOption(y)
        .example("$0 gen", "the report of result.yaml in the current directory")
        .example("$0 gen --dir load-test", "the report of load-test/result.yaml"),
    handler: async (argv) => {
      const { renderReport } = await import("@iter8/report");
      const dir = experimentDir(ctx, argv.dir);
      const result = await loadResultIn(dir);
      const experiment = await loadExperimentIfPresent(dir);
      ctx.io.out(renderReport(experiment, result, { format: "text" }));
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}
