import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { cliVersion } from "../version.js";

/** `iter8 version`: prints the version of iter8. */
export function versionCommand(ctx: CommandContext): CommandModule {
  return {
    command: "version",
    describe: "Print the version of iter8",
    handler: () => {
      ctx.io.out(cliVersion());
      ctx.setExitCode(0);
    },
  };
}
