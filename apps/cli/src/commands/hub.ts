import { relative } from "node:path";
import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { EXIT_CODES } from "../errors.js";
import { fetchHubExperiment } from "../hub.js";
import { experimentDir } from "../experiment-dir.js";

interface HubArgs {
  experiment: string;
  dest?: string;
  hub?: string;
  force: boolean;
}

/** `iter8 hub -e NAME`: copies an experiment folder from the hub into the current directory. */
export function hubCommand(ctx: CommandContext): CommandModule<object, HubArgs> {
  return {
    command: "hub",
    describe: "Download an experiment folder from the iter8 hub",
    builder: (y) =>
      y
        .option("experiment", {
          alias: "e",
          type: "string",
          demandOption: "Name the experiment with -e, e.g. iter8 hub -e load-test.",
          describe:
            "Experiment to download (load-test, load-test-grpc, load-test-two-versions, rollout-if-slos, ...)",
        })
        .option("dest", {
          alias: "d",
          type: "string",
          describe: "Folder to create the experiment folder in (default: the current folder)",
        })
        .option("hub", {
          type: "string",
          describe:
            "Hub to use: a local folder or a git URL (URL//subfolder); default $ITER8HUB or the built-in hub",
        })
        .option("force", {
          type: "boolean",
          default: false,
          describe: "Replace the experiment folder if it exists",
        })
        .example("$0 hub -e load-test", "creates ./load-test with experiment.yaml"),
    handler: async (argv) => {
      const source = argv.hub ?? (ctx.env.ITER8HUB || undefined);
      const target = await fetchHubExperiment({
        name: argv.experiment,
        destDir: experimentDir(ctx, argv.dest),
        force: argv.force,
        ...(source ? { source } : {}),
      });
      const shown = relative(ctx.cwd, target) || ".";
      ctx.io.out(`Created ${shown}. Next: cd ${shown} && iter8 run`);
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}
