import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of `KubeError`. */
export const KUBE_ERROR_CODES = {
  /** A launch option (group, namespace, parallelism, image, resources) is invalid. */
  options: "ITER8_KUBE_OPTIONS",
  /** No usable kubeconfig or in-cluster configuration, or the named context does not exist. */
  config: "ITER8_KUBE_CONFIG",
  /** The Kubernetes API refused or failed a request. */
  api: "ITER8_KUBE_API",
  /** An object the command needs (the group's Secrets, its Job) does not exist. */
  notFound: "ITER8_KUBE_NOT_FOUND",
  /** A shard's measurement is larger than a Secret can hold. */
  tooLarge: "ITER8_KUBE_TOO_LARGE",
} as const;

/** A `KubeError` code string. */
export type KubeErrorCode = (typeof KUBE_ERROR_CODES)[keyof typeof KUBE_ERROR_CODES];

/** The kind of every {@link KubeErrorCode}. */
export const KUBE_ERROR_KINDS: ErrorKindTable<KubeErrorCode> = {
  ITER8_KUBE_OPTIONS: "invalid-input",
  ITER8_KUBE_CONFIG: "invalid-input",
  ITER8_KUBE_API: "failure",
  ITER8_KUBE_NOT_FOUND: "invalid-input",
  ITER8_KUBE_TOO_LARGE: "failure",
};

/** An error of `@iter8/kube` with a stable `code` (`ITER8_KUBE_OPTIONS`, `ITER8_KUBE_API`, ...). */
export class KubeError extends Iter8Error<KubeErrorCode> {
  override readonly name = "KubeError";
  protected override get kinds(): ErrorKindTable<KubeErrorCode> {
    return KUBE_ERROR_KINDS;
  }

  /** Creates an error with a code, a one-line message, an optional hint and cause. */
  constructor(code: KubeErrorCode, message: string, hint?: string, options?: { cause?: unknown }) {
    super(code, message, hint, options);
  }
}
