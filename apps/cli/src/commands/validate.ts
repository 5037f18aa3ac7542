import { isAbsolute, relative, resolve } from "node:path";
import type { CommandModule } from "yargs";
import { formatSpecIssue, SpecError, validateExperimentFile } from "@iter8/spec";
import type { CommandContext } from "../context.js";
import { withDirOption } from "../experiment-dir.js";
import { EXIT_CODES, UsageError } from "../errors.js";

interface ValidateArgs {
  dir?: string;
  file: string;
  lenient: boolean;
}

/** `iter8 validate`: checks an experiment file and lists every problem with file, line and path. */
export function validateCommand(ctx: CommandContext): CommandModule<object, ValidateArgs> {
  return {
    command: "validate",
    describe: "Check an experiment file and list every problem",
    builder: (y) =>
      withDirOption(y)
        .option("file", {
          alias: "f",
          type: "string",
          default: "experiment.yaml",
          describe: "Experiment file, relative to --dir",
        })
        .option("lenient", {
          type: "boolean",
          default: false,
          describe: "Ignore unknown keys with a warning (as Iter8 did) instead of refusing them",
        })
        .example("$0 validate", "check experiment.yaml in the current directory")
        .example("$0 validate -f my-test.yaml", "check another file")
        .example("$0 validate --dir load-test", "check load-test/experiment.yaml")
        .epilogue("Exit codes: 0 the experiment is valid (warnings may be shown), 2 it is not."),
    handler: async (argv) => {
      const path = resolve(ctx.cwd, argv.dir ?? ".", argv.file);
      const shown = isAbsolute(argv.file) ? argv.file : relative(ctx.cwd, path) || argv.file;
      let result: Awaited<ReturnType<typeof validateExperimentFile>>;
      try {
        result = await validateExperimentFile(path, { filename: shown, lenient: argv.lenient });
      } catch (error) {
        if (error instanceof SpecError && error.code === "ITER8_FILE_ACCESS") {
          throw new UsageError(
            error.message,
            "iter8 hub -e load-test fetches an example experiment",
          );
        }
        throw error;
      }
      for (const warning of result.warnings) ctx.io.err(`warning: ${formatSpecIssue(warning)}`);
      if (!result.ok) {
        for (const issue of result.issues) ctx.io.err(formatSpecIssue(issue));
        const n = result.issues.length;
        ctx.io.err(`${shown} is invalid: ${n} problem${n === 1 ? "" : "s"}`);
        ctx.setExitCode(EXIT_CODES.invalid);
        return;
      }
      const n = result.value.tasks.length;
      ctx.io.out(`${shown} is valid (${n} task${n === 1 ? "" : "s"})`);
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}
