import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
} from "@kubernetes/client-node";
import type { V1Secret } from "@kubernetes/client-node";
import { KubeError } from "./errors.js";

/** How to reach the cluster: kubeconfig (`KUBECONFIG`, `~/.kube/config`) or in-cluster config. */
export interface ConnectOptions {
  /** Environment to read `KUBECONFIG`, `HOME` and the in-cluster variables from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** A kubeconfig file; overrides `KUBECONFIG`. */
  kubeconfig?: string;
  /** The kubeconfig context to use instead of its current one. */
  context?: string;
  /** The namespace; default the context's namespace, in a pod its own, else `default`. */
  namespace?: string;
}

/** A connection to one namespace of a cluster, with the API groups iter8 uses. */
export interface KubeCluster {
  /** The namespace every call works in. */
  namespace: string;
  /** The API server's URL, for messages. */
  server: string;
  core: CoreV1Api;
  batch: BatchV1Api;
  rbac: RbacAuthorizationV1Api;
}

const IN_CLUSTER_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/**
 * Connects to the cluster as kubectl would: `kubeconfig`, else the files in `KUBECONFIG` (merged,
 * the first one's context wins), else `~/.kube/config`, else the pod's in-cluster configuration.
 * Throws a `KubeError` (`ITER8_KUBE_CONFIG`) when none is usable or the context does not exist.
 */
export function connectCluster(options: ConnectOptions = {}): KubeCluster {
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  let inCluster = false;
  try {
    const files = options.kubeconfig
      ? [options.kubeconfig]
      : (env.KUBECONFIG ?? "").split(delimiter).filter((file) => file !== "");
    const home = env.HOME ?? env.USERPROFILE;
    const defaultFile = home ? join(home, ".kube", "config") : undefined;
    if (files.length === 0 && defaultFile && existsSync(defaultFile)) files.push(defaultFile);
    if (files.length > 0) {
      const [first, ...rest] = files as [string, ...string[]];
      kc.loadFromFile(first);
      for (const file of rest) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    } else if (env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
      inCluster = true;
    } else {
      throw new KubeError(
        "ITER8_KUBE_CONFIG",
        "no Kubernetes configuration: no KUBECONFIG, no ~/.kube/config, and not running in a pod",
        "point KUBECONFIG at a kubeconfig file, or use --kubeconfig",
      );
    }
  } catch (error) {
    if (error instanceof KubeError) throw error;
    throw new KubeError(
      "ITER8_KUBE_CONFIG",
      `cannot read the Kubernetes configuration: ${errorMessage(error)}`,
      undefined,
      { cause: error },
    );
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeError(
        "ITER8_KUBE_CONFIG",
        `no context "${options.context}" in the kubeconfig`,
        known.length > 0 ? `contexts: ${known.join(", ")}` : undefined,
      );
    }
    kc.setCurrentContext(options.context);
  }
  const cluster = kc.getCurrentCluster();
  if (!cluster) {
    throw new KubeError(
      "ITER8_KUBE_CONFIG",
      `the kubeconfig's current context "${kc.getCurrentContext()}" names no cluster`,
      "choose a context with --context",
    );
  }
  const namespace =
    options.namespace ??
    kc.getContextObject(kc.getCurrentContext())?.namespace ??
    (inCluster && existsSync(IN_CLUSTER_NAMESPACE_FILE)
      ? readFileSync(IN_CLUSTER_NAMESPACE_FILE, "utf8").trim()
      : undefined) ??
    "default";
  return {
    namespace,
    server: cluster.server,
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    rbac: kc.makeApiClient(RbacAuthorizationV1Api),
  };
}

/** The HTTP status of a failed API call, if it was one. */
export function apiStatus(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/** Runs one API call and turns its failure into a one-line `KubeError` naming what was asked. */
export async function callApi<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw apiError(what, error);
  }
}

/** A `KubeError` for a failed API call: `ITER8_KUBE_NOT_FOUND` on 404, else `ITER8_KUBE_API`. */
export function apiError(what: string, error: unknown): KubeError {
  const status = apiStatus(error);
  const reason = error instanceof ApiException ? statusMessage(error) : errorMessage(error);
  if (status === 404) {
    return new KubeError("ITER8_KUBE_NOT_FOUND", `${what}: not found`, undefined, { cause: error });
  }
  const hint =
    status === 401 || status === 403
      ? "check that your kubeconfig's user may do this in the namespace (kubectl auth can-i)"
      : undefined;
  return new KubeError(
    "ITER8_KUBE_API",
    `${what}: ${status !== undefined ? `${status} ` : ""}${reason}`,
    hint,
    { cause: error },
  );
}

function statusMessage(error: ApiException<unknown>): string {
  const body = error.body;
  const text = typeof body === "string" ? body : JSON.stringify(body);
  try {
    const status = JSON.parse(text) as { message?: unknown };
    if (typeof status.message === "string") return status.message;
  } catch {
    // not a Status object
  }
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

/** The options that make a PATCH call a JSON merge patch (RFC 7386). */
export const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** A Secret's values, decoded from base64 (`data`) and merged with any `stringData`. */
export function secretValues(secret: V1Secret): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    values[key] = Buffer.from(value, "base64").toString("utf8");
  }
  return { ...values, ...secret.stringData };
}

/** `values` encoded for a Secret's `data`. */
export function secretData(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      Buffer.from(value, "utf8").toString("base64"),
    ]),
  );
}
