import type { Argv, CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { kRunCommand } from "./k-run.js";

/**
 * `iter8 k`: experiments in Kubernetes, as Iter8's verbs. Each verb has its own file
 * (`k-run.ts`, ...) and is added here.
 */
export function kCommand(ctx: CommandContext): CommandModule {
  return {
    command: "k <command>",
    describe: "Experiments in Kubernetes and sharded load: run",
    builder: (y: Argv) =>
      y
        .command(kRunCommand(ctx) as unknown as CommandModule)
        .demandCommand(1, "name a k command: run"),
    handler: () => undefined,
  };
}
