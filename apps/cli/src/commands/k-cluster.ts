import type { Argv } from "yargs";
import type { ConnectOptions, KubeCluster } from "@iter8/kube";
import type { CommandContext } from "../context.js";

/** The flags every `iter8 k` command shares: where the group lives and how to reach the cluster. */
export interface ClusterFlags {
  group: string;
  namespace?: string;
  context?: string;
  kubeconfig?: string;
}

/** Adds `-g/--group`, `-n/--namespace`, `--context` and `--kubeconfig`. */
export function withClusterFlags<T>(y: Argv<T>): Argv<T & ClusterFlags> {
  return y
    .option("group", {
      alias: "g",
      type: "string",
      default: "default",
      describe: "Name of the experiment group (names its objects in the cluster)",
    })
    .option("namespace", {
      alias: "n",
      type: "string",
      describe: "Namespace (default: the kubeconfig context's, else default)",
    })
    .option("context", {
      type: "string",
      describe: "The kubeconfig context to use (default: its current context)",
    })
    .option("kubeconfig", {
      type: "string",
      describe: "Path of the kubeconfig file (default: KUBECONFIG, else ~/.kube/config)",
    });
}

/** The connection options the flags ask for. */
export function connectOptions(ctx: CommandContext, flags: ClusterFlags): ConnectOptions {
  return {
    env: ctx.env,
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
    ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
  };
}

/** Connects to the cluster the flags name (loads `@iter8/kube` lazily). */
export async function connect(ctx: CommandContext, flags: ClusterFlags): Promise<KubeCluster> {
  const { checkGroupName, connectCluster } = await import("@iter8/kube");
  checkGroupName(flags.group);
  return connectCluster(connectOptions(ctx, flags));
}

/** The flags that name the group, for the commands a message suggests (`-g G -n NS`). */
export function groupFlags(group: string, namespace: string): string {
  return `${group === "default" ? "" : `-g ${group} `}-n ${namespace}`;
}
