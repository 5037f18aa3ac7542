import { parseDuration } from "@iter8/spec";
import { DemoAppOptionError } from "./errors.js";
import { DEFAULT_DEMO_APP_GRPC_PORT } from "./greeter.js";
import { DEFAULT_GRPC_ERROR_CODE, parseGrpcErrorCode } from "./grpc-status.js";
import { DEFAULT_DEMO_APP_HOST, DEFAULT_DEMO_APP_PORT } from "./server.js";
import type { DemoAppOptions } from "./server.js";
import { isValidVersionName } from "./versions.js";
import type { DemoAppVersionSpec } from "./versions.js";

/** The raw flags of `iter8 demo-app`, as the command line gives them (strings, possibly repeated). */
export interface DemoAppFlags {
  port?: string | number;
  host?: string;
  versions?: string | readonly string[];
  latency?: string | readonly string[];
  jitter?: string | readonly string[];
  errorRate?: string | readonly string[];
  seed?: string | number;
  /** `--grpc-port`: the first version's gRPC port (default 50051; `0`: free ports). */
  grpcPort?: string | number;
  /** `--no-grpc` gives `false`: serve HTTP only. */
  grpc?: boolean;
  /** `--grpc-error-code`: the status of injected gRPC errors, per version or for all. */
  grpcErrorCode?: string | readonly string[];
}

/** Splits repeated and comma-separated flag values (`--x a,b --x c`) into trimmed, non-empty items. */
function splitList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  const parts = typeof value === "string" ? [value] : value;
  return parts
    .flatMap((p) => String(p).split(","))
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

/** Parses `--versions v1,v2` into version names; defaults to `["v1"]`. Throws `DemoAppOptionError`. */
export function parseVersionNames(value: string | readonly string[] | undefined): string[] {
  const names = splitList(value);
  if (names.length === 0) {
    if (value === undefined) return ["v1"];
    throw new DemoAppOptionError(
      `invalid --versions value "${String(value)}": name at least one version`,
    );
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (!isValidVersionName(name)) {
      throw new DemoAppOptionError(
        `invalid --versions value "${name}": a version name is visible ASCII without spaces, "," or "="`,
      );
    }
    if (seen.has(name))
      throw new DemoAppOptionError(`invalid --versions value: "${name}" is listed twice`);
    seen.add(name);
  }
  return names;
}

/**
 * Parses a per-version flag: items `version=value` set one version, a bare `value` sets every
 * version (named items win over a bare one). Returns the value per version name. Throws `DemoAppOptionError`
 * naming the flag and the item.
 */
export function parsePerVersion<T>(
  flag: string,
  value: string | readonly string[] | undefined,
  versions: readonly string[],
  parseValue: (text: string) => T,
): Map<string, T> {
  const all = new Map<string, T>();
  const named = new Map<string, T>();
  for (const item of splitList(value)) {
    const eq = item.indexOf("=");
    if (eq === -1) {
      const parsed = parseValue(item);
      for (const v of versions) all.set(v, parsed);
      continue;
    }
    const version = item.slice(0, eq).trim();
    if (!versions.includes(version)) {
      throw new DemoAppOptionError(
        `invalid ${flag} value "${item}": no version "${version}"`,
        `versions are ${versions.join(", ")} (set them with --versions)`,
      );
    }
    named.set(version, parseValue(item.slice(eq + 1).trim()));
  }
  for (const [version, parsed] of named) all.set(version, parsed);
  return all;
}

/** Parses a non-negative Go duration (`20ms`, `1.5s`, `0`) for `flag` into milliseconds. Throws `DemoAppOptionError`. */
export function parseDurationFlag(flag: string, text: string): number {
  let ms: number | undefined;
  try {
    ms = parseDuration(text);
  } catch {
    ms = undefined;
  }
  if (ms === undefined) {
    const hint = /^\d+(\.\d+)?$/.test(text) ? "add a unit, e.g. 20ms" : undefined;
    throw new DemoAppOptionError(
      `invalid ${flag} value "${text}": expected a non-negative duration such as 20ms, 1.5s or 1m30s`,
      hint,
    );
  }
  return ms;
}

/** Parses an error rate: a fraction in 0..1 (`0.02`) or a percentage (`2%`). Throws `DemoAppOptionError`. */
export function parseErrorRate(text: string): number {
  const percent = text.endsWith("%");
  const number = /^(\d+(\.\d*)?|\.\d+)$/.test(percent ? text.slice(0, -1) : text)
    ? Number(percent ? text.slice(0, -1) : text) / (percent ? 100 : 1)
    : NaN;
  if (!(number >= 0 && number <= 1)) {
    throw new DemoAppOptionError(
      `invalid --error-rate value "${text}": expected a fraction in 0..1 such as 0.02, or a percentage such as 2%`,
    );
  }
  return number;
}

/** Parses `--port` (or `flag`): an integer in 0..65535 (`0` picks ephemeral ports). Throws `DemoAppOptionError`. */
export function parsePort(value: string | number, flag = "--port"): number {
  const text = String(value).trim();
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new DemoAppOptionError(
      `invalid ${flag} value "${text}": expected an integer in 0..65535`,
    );
  }
  return port;
}

/** Checks that `names.length` versions fit on consecutive ports from `port`. Throws `DemoAppOptionError`. */
function checkPortRange(flag: string, port: number, names: readonly string[]): void {
  if (port !== 0 && port + names.length - 1 > 65535) {
    throw new DemoAppOptionError(
      `invalid ${flag} value "${port}": ${names.length} versions need ports ${port}..${port + names.length - 1}, past 65535`,
    );
  }
}

/** Parses `--seed`: an integer (used modulo 2^32). Throws `DemoAppOptionError`. */
export function parseSeed(value: string | number): number {
  const text = String(value).trim();
  const seed = /^-?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(seed)) {
    throw new DemoAppOptionError(`invalid --seed value "${text}": expected an integer`);
  }
  return seed;
}

/** Turns the flags of `iter8 demo-app` into `startDemoApp` options. Throws `DemoAppOptionError` on bad values. */
export function resolveDemoAppFlags(flags: DemoAppFlags): DemoAppOptions {
  const port = flags.port === undefined ? DEFAULT_DEMO_APP_PORT : parsePort(flags.port);
  const names = parseVersionNames(flags.versions);
  checkPortRange("--port", port, names);
  const grpcPort =
    flags.grpc === false
      ? undefined
      : parsePort(flags.grpcPort ?? DEFAULT_DEMO_APP_GRPC_PORT, "--grpc-port");
  if (grpcPort !== undefined) checkPortRange("--grpc-port", grpcPort, names);
  const latency = parsePerVersion("--latency", flags.latency, names, (t) =>
    parseDurationFlag("--latency", t),
  );
  const jitter = parsePerVersion("--jitter", flags.jitter, names, (t) =>
    parseDurationFlag("--jitter", t),
  );
  const errorRate = parsePerVersion("--error-rate", flags.errorRate, names, parseErrorRate);
  const grpcErrorCode = parsePerVersion(
    "--grpc-error-code",
    flags.grpcErrorCode,
    names,
    parseGrpcErrorCode,
  );
  const versions: DemoAppVersionSpec[] = names.map((name) => ({
    name,
    latencyMs: latency.get(name) ?? 0,
    jitterMs: jitter.get(name) ?? 0,
    errorRate: errorRate.get(name) ?? 0,
    grpcErrorCode: grpcErrorCode.get(name) ?? DEFAULT_GRPC_ERROR_CODE,
  }));
  const host = flags.host ?? DEFAULT_DEMO_APP_HOST;
  if (host.trim() === "")
    throw new DemoAppOptionError(`invalid --host value "${host}": name an address`);
  return {
    host,
    port,
    ...(grpcPort === undefined ? {} : { grpcPort }),
    versions,
    ...(flags.seed === undefined ? {} : { seed: parseSeed(flags.seed) }),
  };
}
