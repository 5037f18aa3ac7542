import type {
  V1EnvVar,
  V1Job,
  V1ResourceRequirements,
  V1Role,
  V1RoleBinding,
  V1Secret,
  V1ServiceAccount,
} from "@kubernetes/client-node";
import { dump } from "js-yaml";
import { KubeError } from "./errors.js";

/** The repository of the iter8 image `launch` runs by default; the tag is the CLI's version. */
export const DEFAULT_IMAGE_REPOSITORY = "ghcr.io/iter8-ts/iter8";

/** The group `launch` uses when none is named (as Iter8 did). */
export const DEFAULT_GROUP = "default";

/** The most pods one launch may run: one shard Secret per pod, each named in the Role. */
export const MAX_PARALLELISM = 64;

/** Labels every object of a launch carries; `GROUP_LABEL` selects one group's objects. */
export const GROUP_LABEL = "iter8.tools/group";

/** Environment variables the Job gives each pod, read by `iter8 k run`. */
export const POD_ENV = {
  group: "ITER8_K_GROUP",
  namespace: "ITER8_K_NAMESPACE",
  index: "JOB_COMPLETION_INDEX",
} as const;

/** Key of the experiment in the spec Secret, and of the result in the result Secret. */
export const SECRET_KEYS = {
  experiment: "experiment.yaml",
  result: "result.yaml",
  startTime: "startTime",
  readyAt: "readyAt",
  measurement: "measurement",
  failure: "failure",
} as const;

/** CPU and memory quantities for the pods (`"500m"`, `"1"`, `"256Mi"`). */
export interface PodResources {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}

/** The resources each pod gets unless told otherwise: a core and enough memory for histograms. */
export const DEFAULT_POD_RESOURCES: PodResources = {
  requests: { cpu: "1", memory: "256Mi" },
  limits: { memory: "1Gi" },
};

/** What `iter8 k launch` needs to build its objects. */
export interface LaunchSpec {
  /** The experiment (experiment.yaml's text), kept in the spec Secret. */
  experimentYaml: string;
  /** Namespace of every object. */
  namespace: string;
  /** Name of the group (default `default`): a DNS label of at most 40 characters. */
  group?: string;
  /** Number of pods, each running one shard (default 1: a plain Job; more: an Indexed Job). */
  parallelism?: number;
  /** The container image running `iter8` as its entrypoint. */
  image: string;
  /** The version of iter8 launching (`app.kubernetes.io/version`). */
  version: string;
  /** Requests and limits of each pod (default {@link DEFAULT_POD_RESOURCES}). */
  resources?: PodResources;
  /** Prefer to put the pods on different nodes (default true). */
  spread?: boolean;
  /** `iter8 k run`'s `--ready-timeout` and `--report-timeout` for the pods (default: its own). */
  shardTimeouts?: { ready?: string; report?: string };
}

/** One object a launch creates. */
export type LaunchObject = V1ServiceAccount | V1Role | V1RoleBinding | V1Secret | V1Job;

/** The names of a group's objects. */
export interface GroupNames {
  /** ServiceAccount, Role and RoleBinding. */
  account: string;
  /** Secret holding the experiment. */
  spec: string;
  /** Secret holding the start time and result.yaml. */
  result: string;
  /** Secret of shard `i`: ready mark, measurement, failure. */
  shard: (i: number) => string;
  /** The Job. */
  job: string;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_GROUP_LENGTH = 40;
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;

/** The names of `group`'s objects (`<group>-spec`, `<group>-result`, `<group>-shard-<i>`, ...). */
export function groupNames(group: string): GroupNames {
  return {
    account: `${group}-iter8`,
    spec: `${group}-spec`,
    result: `${group}-result`,
    shard: (i) => `${group}-shard-${i}`,
    job: `${group}-job`,
  };
}

/** The label selector of `group`'s objects (for `kubectl get -l` and the API's `labelSelector`). */
export function groupSelector(group: string): string {
  return `app.kubernetes.io/managed-by=iter8,${GROUP_LABEL}=${group}`;
}

/** Throws a `KubeError` (`ITER8_KUBE_OPTIONS`) unless `group` can name a group's objects. */
export function checkGroupName(group: string): void {
  if (!DNS_LABEL.test(group) || group.length > MAX_GROUP_LENGTH) {
    throw new KubeError(
      "ITER8_KUBE_OPTIONS",
      `invalid --group "${group}": a group is lower-case letters, digits and '-', ` +
        `starting and ending with a letter or digit, at most ${MAX_GROUP_LENGTH} characters`,
    );
  }
}

function checkLaunchSpec(spec: LaunchSpec): Required<Pick<LaunchSpec, "group" | "parallelism">> {
  const group = spec.group ?? DEFAULT_GROUP;
  checkGroupName(group);
  if (!DNS_LABEL.test(spec.namespace) || spec.namespace.length > 63) {
    throw new KubeError(
      "ITER8_KUBE_OPTIONS",
      `invalid namespace "${spec.namespace}": a namespace is a DNS label (lower-case letters, digits, '-')`,
    );
  }
  const parallelism = spec.parallelism ?? 1;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > MAX_PARALLELISM) {
    throw new KubeError(
      "ITER8_KUBE_OPTIONS",
      `invalid --parallelism ${String(parallelism)}: a whole number from 1 to ${MAX_PARALLELISM}`,
    );
  }
  for (const [flag, text] of Object.entries(spec.shardTimeouts ?? {})) {
    if (text !== undefined && !/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) {
      throw new KubeError(
        "ITER8_KUBE_OPTIONS",
        `invalid --${flag}-timeout "${text}": a duration such as 30s or 5m`,
      );
    }
  }
  if (spec.image.trim() === "" || /\s/.test(spec.image)) {
    throw new KubeError("ITER8_KUBE_OPTIONS", `invalid --image "${spec.image}"`);
  }
  const resources = spec.resources ?? {};
  for (const where of ["requests", "limits"] as const) {
    for (const [resource, quantity] of Object.entries(resources[where] ?? {})) {
      if (typeof quantity === "string" && !QUANTITY.test(quantity)) {
        throw new KubeError(
          "ITER8_KUBE_OPTIONS",
          `invalid ${resource} ${where === "limits" ? "limit" : "request"} "${quantity}": ` +
            `a Kubernetes quantity such as 500m, 2, 256Mi or 1Gi`,
        );
      }
    }
  }
  return { group, parallelism };
}

function labels(group: string, version: string, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "iter8",
    "app.kubernetes.io/instance": group,
    "app.kubernetes.io/component": component,
    "app.kubernetes.io/managed-by": "iter8",
    "app.kubernetes.io/version": version,
    [GROUP_LABEL]: group,
  };
}

/**
 * The objects `iter8 k launch` creates, in creation order: ServiceAccount, Role, RoleBinding, the
 * spec Secret (the experiment), the result Secret, one Secret per shard, and the Job. Pure: the
 * same spec always gives the same objects. Throws a `KubeError` (`ITER8_KUBE_OPTIONS`) on a bad
 * group, namespace, parallelism, image or quantity.
 */
export function buildLaunchObjects(spec: LaunchSpec): LaunchObject[] {
  const { group, parallelism } = checkLaunchSpec(spec);
  const { namespace, version } = spec;
  const names = groupNames(group);
  const meta = (name: string, component: string) => ({
    name,
    namespace,
    labels: labels(group, version, component),
  });
  const shardSecrets = Array.from({ length: parallelism }, (_, i) => names.shard(i));

  const serviceAccount: V1ServiceAccount = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: meta(names.account, "experiment"),
    // Only the Job's pods need a token, and they ask for one.
    automountServiceAccountToken: false,
  };
  const role: V1Role = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: meta(names.account, "experiment"),
    rules: [
      // Read the experiment.
      { apiGroups: [""], resources: ["secrets"], resourceNames: [names.spec], verbs: ["get"] },
      // Exchange ready marks, the start time, measurements and the result.
      {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: [names.result, ...shardSecrets],
        verbs: ["get", "patch"],
      },
      // See a shard's pod that failed before it could say why.
      { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
    ],
  };
  const roleBinding: V1RoleBinding = {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    metadata: meta(names.account, "experiment"),
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.account },
    subjects: [{ kind: "ServiceAccount", name: names.account, namespace }],
  };
  const specSecret: V1Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(names.spec, "experiment"),
    type: "Opaque",
    stringData: { [SECRET_KEYS.experiment]: spec.experimentYaml },
  };
  const resultSecret: V1Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(names.result, "result"),
    type: "Opaque",
  };
  const shards: V1Secret[] = shardSecrets.map((name) => ({
    apiVersion: "v1",
    kind: "Secret",
    metadata: meta(name, "shard"),
    type: "Opaque",
  }));
  return [
    serviceAccount,
    role,
    roleBinding,
    specSecret,
    resultSecret,
    ...shards,
    buildJob(spec, group, parallelism, names),
  ];
}

function buildJob(spec: LaunchSpec, group: string, parallelism: number, names: GroupNames): V1Job {
  const indexed = parallelism > 1;
  const podLabels = labels(group, spec.version, "shard");
  const env: V1EnvVar[] = [
    { name: POD_ENV.group, value: group },
    { name: POD_ENV.namespace, valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
  ];
  if (indexed) {
    // Kubernetes adds this to Indexed Jobs too; naming it keeps the command's $(...) explicit.
    env.push({
      name: POD_ENV.index,
      valueFrom: {
        fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
      },
    });
  }
  const shard = indexed ? `$(${POD_ENV.index})/${parallelism}` : "0/1";
  const spread = spec.spread ?? true;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: names.job,
      namespace: spec.namespace,
      labels: labels(group, spec.version, "experiment"),
    },
    spec: {
      ...(indexed ? { completionMode: "Indexed" } : {}),
      completions: parallelism,
      parallelism,
      backoffLimit: 0,
      template: {
        metadata: { labels: podLabels },
        spec: {
          serviceAccountName: names.account,
          automountServiceAccountToken: true,
          restartPolicy: "Never",
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            runAsGroup: 10001,
            seccompProfile: { type: "RuntimeDefault" },
          },
          ...(spread
            ? {
                affinity: {
                  podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      {
                        weight: 100,
                        podAffinityTerm: {
                          topologyKey: "kubernetes.io/hostname",
                          labelSelector: {
                            matchLabels: {
                              "app.kubernetes.io/managed-by": "iter8",
                              [GROUP_LABEL]: group,
                            },
                          },
                        },
                      },
                    ],
                  },
                },
              }
            : {}),
          containers: [
            {
              name: "iter8",
              image: spec.image,
              args: ["k", "run", "--shard", shard, ...timeoutArgs(spec.shardTimeouts)],
              workingDir: "/work",
              env,
              resources: resourceRequirements(spec.resources ?? DEFAULT_POD_RESOURCES),
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: "work", mountPath: "/work" },
                { name: "tmp", mountPath: "/tmp" },
              ],
            },
          ],
          volumes: [
            { name: "work", emptyDir: {} },
            { name: "tmp", emptyDir: {} },
          ],
        },
      },
    },
  };
}

function timeoutArgs(timeouts: LaunchSpec["shardTimeouts"]): string[] {
  return [
    ...(timeouts?.ready !== undefined ? ["--ready-timeout", timeouts.ready] : []),
    ...(timeouts?.report !== undefined ? ["--report-timeout", timeouts.report] : []),
  ];
}

function resourceRequirements(resources: PodResources): V1ResourceRequirements {
  const out: V1ResourceRequirements = {};
  if (resources.requests && Object.keys(resources.requests).length > 0) {
    out.requests = { ...resources.requests };
  }
  if (resources.limits && Object.keys(resources.limits).length > 0) {
    out.limits = { ...resources.limits };
  }
  return out;
}

/**
 * The objects as a multi-document YAML stream for `kubectl apply -f -` or a GitOps repository
 * (Secrets with `stringData`, as written by hand).
 */
export function formatLaunchObjects(objects: LaunchObject[]): string {
  return objects.map((object) => dump(object, { lineWidth: -1, noRefs: true })).join("---\n");
}
