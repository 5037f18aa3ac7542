import type { V1Pod } from "@kubernetes/client-node";
import { apiError, apiStatus, callApi, MERGE_PATCH, secretData, secretValues } from "./cluster.js";
import type { KubeCluster } from "./cluster.js";
import { KubeError } from "./errors.js";
import { listGroupPods, podShard } from "./group.js";
import { groupNames, SECRET_KEYS } from "./objects.js";
import type { ShardExchange, ShardReport } from "@iter8/engine";

/** The most a Secret holds (Kubernetes refuses larger ones): 1 MiB of values. */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** Room kept in a shard's Secret for its ready mark and failure beside the measurement. */
const RESERVED_BYTES = 4096;

/** How often `proposeStart` retries after losing a resourceVersion race before giving up. */
const MAX_START_ATTEMPTS = 20;

/** Options of {@link createSecretExchange}. */
export interface SecretExchangeOptions {
  /** The experiment group whose Secrets carry the exchange. */
  group: string;
  /** The number of shards. */
  shards: number;
}

/**
 * The `ShardExchange` of a launched group, on the Secrets `launch` created (so the pods need only
 * get and patch on them): each shard's ready mark, measurement and failure in its own Secret
 * (`<group>-shard-<i>`, at most 1 MiB), the start time and the result in `<group>-result`. The start
 * time is written first-writer-wins: a merge patch carrying the resourceVersion just read (a
 * precondition: 409 Conflict if anyone wrote since), then read again. `reports()` also reports a shard whose pod failed before it could write why.
 */
export function createSecretExchange(
  cluster: KubeCluster,
  options: SecretExchangeOptions,
): ShardExchange {
  const { namespace, core } = cluster;
  const names = groupNames(options.group);
  const patch = (name: string, values: Record<string, string>) =>
    callApi(`patch Secret ${name} in namespace ${namespace}`, () =>
      core.patchNamespacedSecret(
        { name, namespace, body: { data: secretData(values) } },
        MERGE_PATCH,
      ),
    );
  const read = (name: string) =>
    callApi(`read Secret ${name} in namespace ${namespace}`, () =>
      core.readNamespacedSecret({ name, namespace }),
    );
  const shardName = (shard: number) => {
    if (!Number.isInteger(shard) || shard < 0 || shard >= options.shards) {
      throw new KubeError(
        "ITER8_KUBE_OPTIONS",
        `shard ${shard} is not one of the ${options.shards} shards`,
      );
    }
    return names.shard(shard);
  };
  const startTime = async (): Promise<number | undefined> => {
    const text = secretValues(await read(names.result))[SECRET_KEYS.startTime];
    return text !== undefined ? Number(text) : undefined;
  };

  return {
    markReady: async (shard, at) => {
      await patch(shardName(shard), { [SECRET_KEYS.readyAt]: String(at) });
    },
    proposeStart: async (at) => {
      for (let attempt = 0; attempt < MAX_START_ATTEMPTS; attempt++) {
        const secret = await read(names.result);
        const written = secretValues(secret)[SECRET_KEYS.startTime];
        if (written !== undefined) return Number(written);
        try {
          // A patch carrying the resourceVersion just read is refused (409) if anyone wrote since.
          await core.patchNamespacedSecret(
            {
              name: names.result,
              namespace,
              body: {
                metadata: { resourceVersion: secret.metadata?.resourceVersion },
                data: secretData({ [SECRET_KEYS.startTime]: String(at) }),
              },
            },
            MERGE_PATCH,
          );
          return at;
        } catch (error) {
          // 409: another shard wrote since we read; read again and take what it wrote.
          if (apiStatus(error) !== 409) {
            throw apiError(`write the start time into Secret ${names.result}`, error);
          }
        }
      }
      throw new KubeError(
        "ITER8_KUBE_API",
        `could not write the start time into Secret ${names.result}: ${MAX_START_ATTEMPTS} conflicts in a row`,
      );
    },
    startTime,
    publishMeasurement: async (shard, measurement) => {
      const name = shardName(shard);
      const bytes = Buffer.byteLength(measurement, "utf8");
      if (bytes > MAX_SECRET_BYTES - RESERVED_BYTES) {
        throw new KubeError(
          "ITER8_KUBE_TOO_LARGE",
          `shard ${shard}'s measurement is ${bytes} bytes; Secret ${name} holds at most ` +
            `${MAX_SECRET_BYTES - RESERVED_BYTES}`,
        );
      }
      await patch(name, { [SECRET_KEYS.measurement]: measurement });
    },
    publishFailure: async (shard, reason) => {
      await patch(shardName(shard), { [SECRET_KEYS.failure]: reason });
    },
    reports: async () => {
      const reports: ShardReport[] = [];
      for (let shard = 0; shard < options.shards; shard++) {
        const values = secretValues(await read(names.shard(shard)));
        const report: ShardReport = { shard };
        const readyAt = values[SECRET_KEYS.readyAt];
        if (readyAt !== undefined) report.readyAt = Number(readyAt);
        const measurement = values[SECRET_KEYS.measurement];
        if (measurement !== undefined) report.measurement = measurement;
        const failure = values[SECRET_KEYS.failure];
        if (failure !== undefined) report.failure = failure;
        if (Object.keys(report).length > 1) reports.push(report);
      }
      return addFailedPods(reports, await listGroupPods(cluster, options.group), options.shards);
    },
    writeResult: async (resultYaml) => {
      await patch(names.result, { [SECRET_KEYS.result]: resultYaml });
    },
  };
}

/** Adds a failure for each shard whose pod failed without publishing a measurement or failure. */
function addFailedPods(reports: ShardReport[], pods: V1Pod[], shards: number): ShardReport[] {
  const byShard = new Map(reports.map((r) => [r.shard, r]));
  for (const pod of pods) {
    if (pod.status?.phase !== "Failed") continue;
    const shard = podShard(pod);
    if (shard >= shards) continue;
    const report = byShard.get(shard) ?? { shard };
    if (report.measurement !== undefined || report.failure !== undefined) continue;
    const terminated = pod.status.containerStatuses?.[0]?.state?.terminated;
    const why = [
      terminated?.reason ?? pod.status.reason,
      terminated?.exitCode !== undefined ? `exit code ${terminated.exitCode}` : undefined,
      pod.status.message,
    ]
      .filter(Boolean)
      .join(", ");
    report.failure = `pod ${pod.metadata?.name ?? "?"} failed${why ? ` (${why})` : ""}`;
    byShard.set(shard, report);
  }
  return [...byShard.values()].sort((a, b) => a.shard - b.shard);
}
