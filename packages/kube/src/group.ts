import { setTimeout as sleep } from "node:timers/promises";
import type { V1Pod, V1RoleBinding } from "@kubernetes/client-node";
import { apiStatus, callApi, secretValues } from "./cluster.js";
import type { KubeCluster } from "./cluster.js";
import { KubeError } from "./errors.js";
import { groupNames, groupSelector, SECRET_KEYS } from "./objects.js";
import type { LaunchObject } from "./objects.js";

/** One object, named as `kubectl` names it (`Secret/default-spec`). */
export type ObjectRef = `${string}/${string}`;

/** Options of {@link deleteGroup}. */
export interface DeleteGroupOptions {
  /** Wait until the group's pods are gone (default true), at most this long (default 120 s). */
  waitForPodsMs?: number;
  signal?: AbortSignal;
}

/** The annotation (and, from Kubernetes 1.28, label) holding an Indexed Job pod's index. */
export const COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";

const POLL_MS = 500;

/**
 * Deletes every object of `group` (found by its labels, so Secrets of an earlier, larger launch go
 * too): the Job and its pods, the Secrets, the RoleBinding, the Role and the ServiceAccount. Waits
 * until the pods are gone, so none of them writes into a later launch's Secrets. Resolves with
 * what it deleted; nothing to delete is not an error.
 */
export async function deleteGroup(
  cluster: KubeCluster,
  group: string,
  options: DeleteGroupOptions = {},
): Promise<ObjectRef[]> {
  const { core, batch, rbac, namespace } = cluster;
  const labelSelector = groupSelector(group);
  const deleted: ObjectRef[] = [];
  const sweep = async (
    kind: string,
    list: () => Promise<{ items: { metadata?: { name?: string } }[] }>,
    remove: (name: string) => Promise<unknown>,
  ) => {
    const { items } = await callApi(`list ${kind}s of group ${group}`, list);
    for (const item of items) {
      const name = item.metadata?.name;
      if (!name) continue;
      try {
        await remove(name);
        deleted.push(`${kind}/${name}`);
      } catch (error) {
        if (apiStatus(error) !== 404) throw callApiError(`delete ${kind} ${name}`, error);
      }
    }
  };
  await sweep(
    "Job",
    () => batch.listNamespacedJob({ namespace, labelSelector }),
    (name) => batch.deleteNamespacedJob({ name, namespace, propagationPolicy: "Background" }),
  );
  await sweep(
    "Pod",
    () => core.listNamespacedPod({ namespace, labelSelector }),
    (name) => core.deleteNamespacedPod({ name, namespace }),
  );
  await sweep(
    "Secret",
    () => core.listNamespacedSecret({ namespace, labelSelector }),
    (name) => core.deleteNamespacedSecret({ name, namespace }),
  );
  await sweep(
    "RoleBinding",
    () => rbac.listNamespacedRoleBinding({ namespace, labelSelector }),
    (name) => rbac.deleteNamespacedRoleBinding({ name, namespace }),
  );
  await sweep(
    "Role",
    () => rbac.listNamespacedRole({ namespace, labelSelector }),
    (name) => rbac.deleteNamespacedRole({ name, namespace }),
  );
  await sweep(
    "ServiceAccount",
    () => core.listNamespacedServiceAccount({ namespace, labelSelector }),
    (name) => core.deleteNamespacedServiceAccount({ name, namespace }),
  );
  const waitMs = options.waitForPodsMs ?? 120_000;
  const deadline = Date.now() + waitMs;
  while (waitMs > 0 && !options.signal?.aborted) {
    const pods = await callApi(`list pods of group ${group}`, () =>
      core.listNamespacedPod({ namespace, labelSelector }),
    );
    if (pods.items.length === 0) break;
    if (Date.now() >= deadline) {
      throw new KubeError(
        "ITER8_KUBE_API",
        `${pods.items.length} pod(s) of group ${group} still terminating after ${Math.round(waitMs / 1000)}s`,
        `kubectl get pods -n ${namespace} -l ${labelSelector}`,
      );
    }
    await sleep(POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
  }
  return deleted;
}

function callApiError(what: string, error: unknown): KubeError {
  return error instanceof KubeError
    ? error
    : new KubeError("ITER8_KUBE_API", `${what}: ${String(error)}`, undefined, { cause: error });
}

/**
 * Creates a launch's objects in order, after deleting whatever the group had (a new launch
 * replaces the old one, as Iter8's did). Resolves with what it created.
 */
export async function launchGroup(
  cluster: KubeCluster,
  objects: LaunchObject[],
  options: DeleteGroupOptions = {},
): Promise<{ deleted: ObjectRef[]; created: ObjectRef[] }> {
  const group = objects[0]?.metadata?.labels?.["iter8.tools/group"];
  if (!group) throw new KubeError("ITER8_KUBE_OPTIONS", "no objects to launch");
  const deleted = await deleteGroup(cluster, group, options);
  const created: ObjectRef[] = [];
  for (const object of objects) {
    created.push(await createObject(cluster, object));
  }
  return { deleted, created };
}

async function createObject(cluster: KubeCluster, object: LaunchObject): Promise<ObjectRef> {
  const { core, batch, rbac, namespace } = cluster;
  const kind = object.kind ?? "";
  const name = object.metadata?.name ?? "";
  const what = `create ${kind} ${name} in namespace ${namespace}`;
  const body = { ...object, metadata: { ...object.metadata, namespace } };
  switch (kind) {
    case "ServiceAccount":
      await callApi(what, () => core.createNamespacedServiceAccount({ namespace, body: body }));
      break;
    case "Role":
      await callApi(what, () => rbac.createNamespacedRole({ namespace, body: body }));
      break;
    case "RoleBinding":
      await callApi(what, () =>
        rbac.createNamespacedRoleBinding({ namespace, body: body as V1RoleBinding }),
      );
      break;
    case "Secret":
      await callApi(what, () => core.createNamespacedSecret({ namespace, body: body }));
      break;
    case "Job":
      await callApi(what, () => batch.createNamespacedJob({ namespace, body: body }));
      break;
    default:
      throw new KubeError("ITER8_KUBE_OPTIONS", `cannot create a ${kind}`);
  }
  return `${kind}/${name}`;
}

/** What a group holds: its experiment and, once shard 0 wrote it, its result. */
export interface GroupDocuments {
  experimentYaml: string;
  resultYaml?: string;
}

/**
 * Reads the group's experiment (spec Secret) and result (result Secret). Throws a `KubeError`
 * (`ITER8_KUBE_NOT_FOUND`) naming the group and namespace when the group was never launched.
 */
export async function readGroup(cluster: KubeCluster, group: string): Promise<GroupDocuments> {
  const names = groupNames(group);
  const notLaunched = (error: unknown) =>
    apiStatus(error) === 404
      ? new KubeError(
          "ITER8_KUBE_NOT_FOUND",
          `no experiment group "${group}" in namespace ${cluster.namespace}`,
          "launch one with iter8 k launch, or name the group with --group and -n",
        )
      : undefined;
  const read = async (name: string) => {
    try {
      return await cluster.core.readNamespacedSecret({ name, namespace: cluster.namespace });
    } catch (error) {
      throw notLaunched(error) ?? callApiError(`read Secret ${name}`, error);
    }
  };
  const spec = secretValues(await read(names.spec));
  const result = secretValues(await read(names.result));
  const experimentYaml = spec[SECRET_KEYS.experiment] ?? "";
  const resultYaml = result[SECRET_KEYS.result];
  return resultYaml !== undefined ? { experimentYaml, resultYaml } : { experimentYaml };
}

/** The log of one pod of a group. */
export interface ShardLog {
  /** The pod's shard (its completion index; 0 for a one-pod Job). */
  shard: number;
  pod: string;
  phase: string;
  /** The container's log, or why it could not be read. */
  log: string;
  /** True when `log` says why the log could not be read. */
  unreadable?: boolean;
}

/** The shard of a pod: its completion index annotation, else 0. */
export function podShard(pod: V1Pod): number {
  const text =
    pod.metadata?.annotations?.[COMPLETION_INDEX] ?? pod.metadata?.labels?.[COMPLETION_INDEX];
  const index = text !== undefined ? Number(text) : 0;
  return Number.isInteger(index) && index >= 0 ? index : 0;
}

/** Lists the group's pods (by label), ordered by shard. */
export async function listGroupPods(cluster: KubeCluster, group: string): Promise<V1Pod[]> {
  const pods = await callApi(`list pods of group ${group}`, () =>
    cluster.core.listNamespacedPod({
      namespace: cluster.namespace,
      labelSelector: groupSelector(group),
    }),
  );
  return [...pods.items].sort((a, b) => podShard(a) - podShard(b));
}

/** Reads every pod's log, ordered by shard; a pod whose log cannot be read says why. */
export async function readGroupLogs(cluster: KubeCluster, group: string): Promise<ShardLog[]> {
  const pods = await listGroupPods(cluster, group);
  const logs: ShardLog[] = [];
  for (const pod of pods) {
    const name = pod.metadata?.name ?? "";
    const base = { shard: podShard(pod), pod: name, phase: pod.status?.phase ?? "Unknown" };
    try {
      const log = await cluster.core.readNamespacedPodLog({ name, namespace: cluster.namespace });
      logs.push({ ...base, log: typeof log === "string" ? log : String(log) });
    } catch (error) {
      const reason = callApiError(`read the log of pod ${name}`, error).message;
      logs.push({ ...base, log: reason, unreadable: true });
    }
  }
  return logs;
}

/** Where a group's Job stands. */
export interface JobState {
  state: "running" | "complete" | "failed" | "interrupted";
  active: number;
  succeeded: number;
  failed: number;
  /** The Job's reason for failing, from its Failed condition. */
  message?: string;
}

/** Options of {@link waitForJob}. */
export interface WaitForJobOptions {
  signal?: AbortSignal;
  /** Give up waiting after this long (default: no limit). */
  timeoutMs?: number;
  /** Called with each state read while waiting. */
  onProgress?: (state: JobState) => void;
}

/** Reads the group's Job's state once. */
export async function readJobState(cluster: KubeCluster, group: string): Promise<JobState> {
  const name = groupNames(group).job;
  const job = await callApi(`read Job ${name} in namespace ${cluster.namespace}`, () =>
    cluster.batch.readNamespacedJob({ name, namespace: cluster.namespace }),
  );
  const status = job.status ?? {};
  const condition = (type: string) =>
    status.conditions?.find((c) => c.type === type && c.status === "True");
  const counts = {
    active: status.active ?? 0,
    succeeded: status.succeeded ?? 0,
    failed: status.failed ?? 0,
  };
  const failed = condition("Failed");
  if (failed) {
    const message = [failed.reason, failed.message].filter(Boolean).join(": ");
    return { state: "failed", ...counts, ...(message ? { message } : {}) };
  }
  if (condition("Complete")) return { state: "complete", ...counts };
  return { state: "running", ...counts };
}

/**
 * Polls the group's Job until it completes or fails, the signal aborts (`interrupted`: the Job
 * goes on), or the timeout passes (`running`).
 */
export async function waitForJob(
  cluster: KubeCluster,
  group: string,
  options: WaitForJobOptions = {},
): Promise<JobState> {
  const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Infinity;
  for (;;) {
    const state = await readJobState(cluster, group);
    options.onProgress?.(state);
    if (state.state !== "running") return state;
    if (options.signal?.aborted) return { ...state, state: "interrupted" };
    if (Date.now() >= deadline) return state;
    await sleep(POLL_MS, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal?.aborted) return { ...state, state: "interrupted" };
  }
}
