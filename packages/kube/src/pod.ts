import { connectCluster } from "./cluster.js";
import type { ConnectOptions, KubeCluster } from "./cluster.js";
import { KubeError } from "./errors.js";
import { readGroup } from "./group.js";
import { checkGroupName, POD_ENV } from "./objects.js";
import { createSecretExchange } from "./secret-exchange.js";
import type { ShardExchange } from "@iter8/engine";

/** Options of {@link openClusterShard}: what `iter8 k run --shard i/N` knows inside a pod. */
export interface ClusterShardOptions extends ConnectOptions {
  /** The group; default the pod's `ITER8_K_GROUP`. */
  group?: string;
  /** The number of shards (N of `--shard i/N`). */
  shards: number;
}

/** A shard's view of its launched group: the experiment to run and where to meet the others. */
export interface ClusterShard {
  cluster: KubeCluster;
  group: string;
  /** experiment.yaml's text, from the group's spec Secret. */
  experimentYaml: string;
  exchange: ShardExchange;
}

/**
 * Connects a pod of a launched group to the cluster (in-cluster config, or a kubeconfig), reads
 * the experiment from the spec Secret and opens the Secret-based shard exchange. The group and the
 * namespace come from the options, else from the environment the Job sets (`ITER8_K_GROUP`,
 * `ITER8_K_NAMESPACE`).
 */
export async function openClusterShard(options: ClusterShardOptions): Promise<ClusterShard> {
  const env = options.env ?? process.env;
  const group = options.group ?? env[POD_ENV.group];
  if (!group) {
    throw new KubeError(
      "ITER8_KUBE_OPTIONS",
      `no group: name it with --group or ${POD_ENV.group} (set by the Job iter8 k launch creates)`,
    );
  }
  checkGroupName(group);
  const namespace = options.namespace ?? env[POD_ENV.namespace];
  const cluster = connectCluster({ ...options, env, ...(namespace ? { namespace } : {}) });
  const { experimentYaml } = await readGroup(cluster, group);
  const exchange = createSecretExchange(cluster, { group, shards: options.shards });
  return { cluster, group, experimentYaml, exchange };
}
