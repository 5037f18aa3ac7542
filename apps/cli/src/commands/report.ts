import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { CommandModule } from "yargs";
import { renderReport } from "@iter8/report";
import type { CommandContext } from "../context.js";
import { EXIT_CODES } from "../errors.js";
import { experimentDir, loadExperimentIfPresent, loadResultIn } from "../experiment-dir.js";

/** Report formats the command offers. */
const REPORT_FORMATS = ["text"] as const;

interface ReportArgs {
  dir?: string;
  "output-format": (typeof REPORT_FORMATS)[number];
  output?: string;
}

/** `iter8 report -o FORMAT [--output FILE]`: a report of `result.yaml` in the chosen format. */
export function reportCommand(ctx: CommandContext): CommandModule<object, ReportArgs> {
  return {
    command: "report",
    describe: "Print or write a report of the experiment",
    builder: (y) =>
      y
        .option("output-format", {
          alias: "o",
          choices: REPORT_FORMATS,
          default: "text" as const,
          describe: "Report format",
        })
        .option("output", {
          type: "string",
          describe: "Write the report to this file instead of standard output",
        }),
    handler: async (argv) => {
      const dir = experimentDir(ctx, argv.dir);
      const result = await loadResultIn(dir);
      const experiment = await loadExperimentIfPresent(dir);
      const report = renderReport(experiment, result, { format: argv["output-format"] });
      if (argv.output) {
        const file = resolve(ctx.cwd, argv.output);
        await writeFile(file, report.endsWith("\n") ? report : `${report}\n`);
        ctx.io.out(`Report written to ${argv.output}`);
      } else {
        ctx.io.out(report);
      }
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}
