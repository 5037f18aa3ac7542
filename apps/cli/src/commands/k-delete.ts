import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { EXIT_CODES } from "../errors.js";
import { connect, withClusterFlags } from "./k-cluster.js";
import type { ClusterFlags } from "./k-cluster.js";

/** `iter8 k delete`: removes every object of a launched group (Job, pods, Secrets, RBAC). */
export function kDeleteCommand(ctx: CommandContext): CommandModule<object, ClusterFlags> {
  return {
    command: "delete",
    describe: "Delete every object of an experiment launched in Kubernetes",
    builder: (y) => withClusterFlags(y),
    handler: async (argv) => {
      const { deleteGroup } = await import("@iter8/kube");
      const cluster = await connect(ctx, argv);
      const deleted = await deleteGroup(cluster, argv.group, {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      for (const ref of deleted) ctx.io.err(`deleted ${ref}`);
      ctx.io.out(
        deleted.length > 0
          ? `Deleted group ${argv.group} in namespace ${cluster.namespace} (${deleted.length} objects).`
          : `Nothing to delete: no objects of group ${argv.group} in namespace ${cluster.namespace}.`,
      );
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}
