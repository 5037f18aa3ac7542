import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { kAssertCommand } from "./k-assert.js";
import { kDeleteCommand } from "./k-delete.js";
import { kLaunchCommand } from "./k-launch.js";
import { kLogCommand } from "./k-log.js";
import { kReportCommand } from "./k-report.js";

/** `iter8 k launch|assert|report|log|delete`: experiments in Kubernetes, with Iter8's verbs. */
export function kCommand(ctx: CommandContext): CommandModule {
  return {
    command: "k <command>",
    describe: "Run experiments in Kubernetes (launch, assert, report, log, delete)",
    builder: (y) =>
      y
        .command(kLaunchCommand(ctx))
        .command(kAssertCommand(ctx))
        .command(kReportCommand(ctx))
        .command(kLogCommand(ctx))
        .command(kDeleteCommand(ctx))
        .demandCommand(1, "Name a k command; see iter8 k --help."),
    handler: () => undefined,
  };
}
