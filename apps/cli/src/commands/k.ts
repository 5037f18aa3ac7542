import type { Argv, CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { kAssertCommand } from "./k-assert.js";
import { kDeleteCommand } from "./k-delete.js";
import { kLaunchCommand } from "./k-launch.js";
import { kLogCommand } from "./k-log.js";
import { kReportCommand } from "./k-report.js";
import { kRunCommand } from "./k-run.js";

/**
 * `iter8 k`: experiments in Kubernetes and sharded load, as Iter8's verbs. Each verb has its own
 * file (`k-launch.ts`, `k-run.ts`, ...) and is added here.
 */
export function kCommand(ctx: CommandContext): CommandModule {
  return {
    command: "k <command>",
    describe:
      "Experiments in Kubernetes and sharded load: launch, run, assert, report, log, delete",
    builder: (y: Argv) =>
      y
        .command(kLaunchCommand(ctx) as unknown as CommandModule)
        .command(kRunCommand(ctx) as unknown as CommandModule)
        .command(kAssertCommand(ctx) as unknown as CommandModule)
        .command(kReportCommand(ctx) as unknown as CommandModule)
        .command(kLogCommand(ctx) as unknown as CommandModule)
        .command(kDeleteCommand(ctx) as unknown as CommandModule)
        .demandCommand(1, "name a k command: launch, run, assert, report, log, delete"),
    handler: () => undefined,
  };
}
