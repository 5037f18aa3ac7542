import type { CommandModule } from "yargs";
import { experimentJsonSchema } from "@iter8/spec";
import type { CommandContext } from "../context.js";
import { EXIT_CODES } from "../errors.js";

/** `iter8 schema`: prints the JSON Schema of experiment.yaml, for editors and other tools. */
export function schemaCommand(ctx: CommandContext): CommandModule {
  return {
    command: "schema",
    describe: "Print the JSON Schema of experiment.yaml",
    builder: (y) =>
      y.epilogue(
        "Editors that use yaml-language-server complete and check an experiment that starts with:\n" +
          "  # yaml-language-server: $schema=<path or URL of this schema>",
      ),
    handler: () => {
      ctx.io.out(`${JSON.stringify(experimentJsonSchema(), null, 2)}\n`);
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}
