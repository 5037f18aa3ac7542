// One version of the demo app: its settings and their validation, shared by the HTTP and gRPC servers.
import { DemoAppOptionError } from "./errors.js";
import { DEFAULT_GRPC_ERROR_CODE, isGrpcErrorCode } from "./grpc-status.js";

/** How one version of the demo app behaves, over HTTP and gRPC alike. */
export interface DemoAppVersionSpec {
  /** The version label: in responses, the `x-demo-app-version` header or metadata, metric labels. */
  name: string;
  /** Added to every experiment request or gRPC call before it is answered, in ms (default 0). */
  latencyMs?: number;
  /** Up to this many milliseconds more, uniformly at random, on top of `latencyMs` (default 0). */
  jitterMs?: number;
  /** The fraction (0..1) of experiment requests answered 500, and of gRPC calls failed (default 0). */
  errorRate?: number;
  /** The gRPC status code (1..16) of an injected gRPC error (default 14, UNAVAILABLE). */
  grpcErrorCode?: number;
}

/** Fills in the defaults of each version and checks them. Throws `DemoAppOptionError`. */
export function normalizeVersions(
  versions: readonly (string | DemoAppVersionSpec)[],
): Required<DemoAppVersionSpec>[] {
  if (versions.length === 0)
    throw new DemoAppOptionError("the demo app needs at least one version");
  const seen = new Set<string>();
  return versions.map((entry) => {
    const full = normalizeVersion(entry);
    if (seen.has(full.name)) throw new DemoAppOptionError(`version "${full.name}" is listed twice`);
    seen.add(full.name);
    return full;
  });
}

/** Fills in the defaults of one version and checks them. Throws `DemoAppOptionError`. */
export function normalizeVersion(entry: string | DemoAppVersionSpec): Required<DemoAppVersionSpec> {
  const spec = typeof entry === "string" ? { name: entry } : entry;
  const full = {
    name: spec.name,
    latencyMs: spec.latencyMs ?? 0,
    jitterMs: spec.jitterMs ?? 0,
    errorRate: spec.errorRate ?? 0,
    grpcErrorCode: spec.grpcErrorCode ?? DEFAULT_GRPC_ERROR_CODE,
  };
  if (!isValidVersionName(full.name)) {
    throw new DemoAppOptionError(
      `version name "${full.name}" is not valid: use letters, digits and punctuation other than "," and "=", no spaces`,
    );
  }
  for (const key of ["latencyMs", "jitterMs"] as const) {
    if (!Number.isFinite(full[key]) || full[key] < 0) {
      throw new DemoAppOptionError(`${key} of version ${full.name} must be a non-negative number`);
    }
  }
  if (!(full.errorRate >= 0 && full.errorRate <= 1)) {
    throw new DemoAppOptionError(`errorRate of version ${full.name} must lie in 0..1`);
  }
  if (!isGrpcErrorCode(full.grpcErrorCode)) {
    throw new DemoAppOptionError(
      `grpcErrorCode of version ${full.name} must be a gRPC status code in 1..16`,
    );
  }
  return full;
}

/** Whether `name` can label a version: visible ASCII without `,` or `=` (both delimit the flags). */
export function isValidVersionName(name: string): boolean {
  return /^[\x21-\x7e]+$/.test(name) && !/[,=]/.test(name);
}
