import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { CommandModule } from "yargs";
import type { ReportFormat } from "@iter8/report";
import type { CommandContext } from "../context.js";
import { EXIT_CODES } from "../errors.js";
import {
  experimentDir,
  loadExperimentIfPresent,
  loadResultIn,
  withDirOption,
} from "../experiment-dir.js";

/**
 * The formats `--output-format` offers: `AVAILABLE_REPORT_FORMATS` of `@iter8/report`, named here so
 * that parsing and `--help` do not load the renderer (test/lazy-commands.test.ts keeps them equal).
 */
export const REPORT_FORMAT_CHOICES = [
  "text",
  "markdown",
  "json",
  "html",
] as const satisfies readonly ReportFormat[];

interface ReportArgs {
  dir?: string;
  "output-format": ReportFormat;
  output?: string;
  "log-scale"?: boolean;
}

/**
 * `iter8 report -o text|markdown|json|html [--output FILE] [--log-scale]`: a report of
 * `result.yaml` in the chosen format, on standard output or written to a file.
 */
export function reportCommand(ctx: CommandContext): CommandModule<object, ReportArgs> {
  return {
    command: "report",
    describe: "Print or write a report of the experiment (text, markdown, json or html)",
    builder: (y) =>
      withDirOption(y)
        .option("output-format", {
          alias: "o",
          choices: REPORT_FORMAT_CHOICES,
          default: "text" as const,
          describe: "Report format",
        })
        .option("output", {
          type: "string",
          describe: "Write the report to this file instead of standard output",
        })
        .option("log-scale", {
          type: "boolean",
          default: false,
          describe: "html: draw the latency histograms' count axis on a log scale",
        })
        .example("$0 report -o markdown >> $GITHUB_STEP_SUMMARY", "Markdown for a CI job summary")
        .example("$0 report -o html --output report.html", "A self-contained HTML page"),
    handler: async (argv) => {
      const { renderReport } = await import("@iter8/report");
      const dir = experimentDir(ctx, argv.dir);
      const result = await loadResultIn(dir);
      const experiment = await loadExperimentIfPresent(dir);
      const report = renderReport(experiment, result, {
        format: argv["output-format"],
        ...(argv["log-scale"] ? { histogramScale: "log" as const } : {}),
      });
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
