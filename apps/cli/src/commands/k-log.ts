import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { EXIT_CODES, UsageError } from "../errors.js";
import { connect, withClusterFlags } from "./k-cluster.js";
import type { ClusterFlags } from "./k-cluster.js";

/** `iter8 k log`: the logs of a launched group's pods, each line prefixed by its shard. */
export function kLogCommand(ctx: CommandContext): CommandModule<object, ClusterFlags> {
  return {
    command: "log",
    describe: "Print the logs of a launched experiment's pods, each line prefixed by its shard",
    builder: (y) => withClusterFlags(y),
    handler: async (argv) => {
      const { readGroupLogs } = await import("@iter8/kube");
      const cluster = await connect(ctx, argv);
      const logs = await readGroupLogs(cluster, argv.group);
      if (logs.length === 0) {
        throw new UsageError(
          `no pods of group ${argv.group} in namespace ${cluster.namespace}`,
          "launch one with iter8 k launch, or name the group with -g and -n",
        );
      }
      for (const { shard, pod, phase, log, unreadable } of logs) {
        const prefix = `[shard ${shard}]`;
        if (unreadable) {
          ctx.io.err(`${prefix} (pod ${pod}, ${phase}: ${log})`);
          continue;
        }
        const lines = log.split("\n");
        if (lines.at(-1) === "") lines.pop();
        for (const line of lines) ctx.io.out(`${prefix} ${line}`);
      }
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}
