import {
  explainBadHeaderValue,
  explainBadLoadSchedule,
  MAX_DURATION_TEXT,
  SPEC_LIMITS,
} from "@iter8/spec/light";
import type { ErrorRange, LoadSchedule } from "@iter8/spec";
import { LoadgenError } from "./errors.js";
import type { TransportModule } from "./transport.js";
import type { HttpClient, HttpTls, LoadOptions, Pacing } from "./types.js";

/** A `step` or `line` schedule (a `const` one is just `qps`). */
export type Ramp = Exclude<LoadSchedule, { kind: "const" }>;

/** Defaults of the load options (DESIGN §3; the timeout is Fortio's). */
export const LOAD_DEFAULTS = {
  numRequests: 100,
  timeoutMs: 3000,
  errorRanges: [{ lower: 400 }] as ErrorRange[],
  /** The default warm-up is at most this long... */
  maxWarmupMs: 1000,
  /** ...and at most this fraction of the run. */
  warmupFraction: 0.05,
  pipelining: 1,
  workers: 1,
  pacing: "precise",
  httpClient: "auto",
} as const;

/** Load options after validation and defaults. */
export interface ResolvedLoadOptions {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array | string | undefined;
  contentType: string | undefined;
  /** Infinity when only the duration bounds the run. */
  numRequests: number;
  /** Infinity when only the count bounds the run. */
  durationMs: number;
  qps: number;
  /** The rate ramp; undefined for a constant rate (`qps`). */
  schedule: Ramp | undefined;
  /** True when requests follow a schedule (a ramp, or `qps` > 0): the open model. */
  paced: boolean;
  connections: number;
  timeoutMs: number;
  /** Warm-up bound by time (Infinity: none); with `warmupRequests`, whichever comes first. */
  warmupMs: number;
  /** Warm-up bound by count (Infinity: none). 0 in either bound means no warm-up. */
  warmupRequests: number;
  workers: number;
  pacing: Pacing;
  pipelining: number;
  httpClient: HttpClient;
  /** TLS of an `https:` URL; undefined: Node's defaults. */
  tls: HttpTls | undefined;
  errorRanges: ErrorRange[];
  /** A transport other than HTTP/1.1 (see `LoadOptions.transport`). */
  transport: TransportModule | undefined;
}

const PACINGS: readonly Pacing[] = ["precise", "timer"];
const HTTP_CLIENTS: readonly HttpClient[] = ["auto", "lean", "undici"];

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function fail(message: string): never {
  throw new LoadgenError("ITER8_LOAD_OPTIONS", message);
}

function checkInteger(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    fail(`${name} must be an integer >= ${min}, got ${String(value)}`);
  }
}

function checkAtMost(name: string, value: number | undefined, max: number, maxText: string): void {
  if (value !== undefined && value > max) fail(`${name} must be at most ${maxText}, got ${value}`);
}

function checkNumber(name: string, value: number | undefined, min: number, open = false): void {
  if (
    value !== undefined &&
    !(typeof value === "number" && Number.isFinite(value) && (open ? value > min : value >= min))
  ) {
    fail(`${name} must be a number ${open ? ">" : ">="} ${min}, got ${String(value)}`);
  }
}

/**
 * Validates load options and applies the defaults; throws `LoadgenError` (`ITER8_LOAD_OPTIONS`)
 * naming the option and what was expected.
 */
export function resolveLoadOptions(options: LoadOptions): ResolvedLoadOptions {
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    fail(`url must be an absolute http(s) URL, got ${JSON.stringify(options.url)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail(`url must use http or https, got ${url.protocol}`);
  }
  checkNumber("qps", options.qps, 0);
  checkInteger("connections", options.connections, 1);
  checkInteger("numRequests", options.numRequests, 1);
  checkNumber("durationMs", options.durationMs, 0, true);
  checkNumber("timeoutMs", options.timeoutMs, 0, true);
  checkNumber("warmupMs", options.warmupMs, 0);
  checkInteger("warmupRequests", options.warmupRequests, 0);
  checkInteger("workers", options.workers, 1);
  checkInteger("pipelining", options.pipelining, 1);
  // The experiment's bounds (docs/experiment-reference.md), for library callers too.
  checkAtMost("qps", options.qps, SPEC_LIMITS.maxQps, String(SPEC_LIMITS.maxQps));
  const maxLanes = SPEC_LIMITS.maxConnections;
  checkAtMost("connections", options.connections, maxLanes, String(maxLanes));
  checkAtMost("workers", options.workers, SPEC_LIMITS.maxWorkers, String(SPEC_LIMITS.maxWorkers));
  checkAtMost("pipelining", options.pipelining, 256, "256");
  for (const name of ["durationMs", "timeoutMs", "warmupMs"] as const) {
    checkAtMost(
      name,
      options[name],
      SPEC_LIMITS.maxDurationMs,
      `${SPEC_LIMITS.maxDurationMs} ms, ${MAX_DURATION_TEXT}`,
    );
  }
  if (options.pacing !== undefined && !PACINGS.includes(options.pacing)) {
    fail(`pacing must be "precise" or "timer", got ${JSON.stringify(options.pacing)}`);
  }
  if (options.httpClient !== undefined && !HTTP_CLIENTS.includes(options.httpClient)) {
    fail(
      `httpClient must be "auto", "lean" or "undici", got ${JSON.stringify(options.httpClient)}`,
    );
  }
  checkTls(options.tls);
  if (
    options.transport !== undefined &&
    (typeof options.transport.module !== "string" || options.transport.module === "")
  ) {
    fail("transport.module must be a module specifier");
  }
  if (options.qps === undefined) fail("qps is required (0 = as fast as the connections allow)");
  const schedule = resolveSchedule(options.schedule);
  if (options.connections === undefined) fail("connections is required");

  const method = (options.method ?? (options.body !== undefined ? "POST" : "GET")).toUpperCase();
  if (!TOKEN.test(method)) fail(`method must be an HTTP method, got ${JSON.stringify(method)}`);

  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (!TOKEN.test(name)) fail(`header name ${JSON.stringify(name)} is not a valid HTTP token`);
    if (typeof value !== "string") fail(`header ${name} must be a string`);
    const problem = explainBadHeaderValue(value);
    if (problem) fail(`header ${name}: ${problem}`);
    headers[name] = value;
  }
  const hasContentTypeHeader = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
  const contentType =
    options.contentType ??
    (options.body !== undefined && !hasContentTypeHeader ? "application/octet-stream" : undefined);

  const errorRanges = options.errorRanges ?? LOAD_DEFAULTS.errorRanges;
  errorRanges.forEach((range, i) => {
    if (range.lower === undefined && range.upper === undefined) {
      fail(`errorRanges[${i}] needs lower, upper or both`);
    }
    checkInteger(`errorRanges[${i}].lower`, range.lower, 0);
    checkInteger(`errorRanges[${i}].upper`, range.upper, 0);
    if (range.lower !== undefined && range.upper !== undefined && range.lower > range.upper) {
      fail(`errorRanges[${i}]: lower (${range.lower}) is above upper (${range.upper})`);
    }
  });

  const durationMs = options.durationMs ?? Number.POSITIVE_INFINITY;
  const numRequests =
    options.numRequests ??
    (options.durationMs === undefined ? LOAD_DEFAULTS.numRequests : Number.POSITIVE_INFINITY);

  // Default warm-up: 1 s or 5% of the run, whichever is smaller.
  let warmupMs = options.warmupMs ?? Number.POSITIVE_INFINITY;
  let warmupRequests = options.warmupRequests ?? Number.POSITIVE_INFINITY;
  if (options.warmupMs === undefined && options.warmupRequests === undefined) {
    warmupMs = Math.min(LOAD_DEFAULTS.maxWarmupMs, LOAD_DEFAULTS.warmupFraction * durationMs);
    if (Number.isFinite(numRequests)) {
      warmupRequests = Math.floor(LOAD_DEFAULTS.warmupFraction * numRequests);
    }
  }

  return {
    url,
    method,
    headers,
    body: options.body,
    contentType,
    numRequests,
    durationMs,
    qps: options.qps,
    schedule,
    paced: schedule !== undefined || options.qps > 0,
    connections: options.connections,
    timeoutMs: options.timeoutMs ?? LOAD_DEFAULTS.timeoutMs,
    warmupMs,
    warmupRequests,
    workers: Math.min(options.workers ?? LOAD_DEFAULTS.workers, options.connections),
    pacing: options.pacing ?? LOAD_DEFAULTS.pacing,
    pipelining: options.pipelining ?? LOAD_DEFAULTS.pipelining,
    httpClient: options.httpClient ?? LOAD_DEFAULTS.httpClient,
    tls: options.tls === undefined ? undefined : { ...options.tls },
    errorRanges,
    transport: options.transport,
  };
}

/** Checks the types of `tls` (library callers in plain JavaScript too). */
function checkTls(tls: HttpTls | undefined): void {
  if (tls === undefined) return;
  if (typeof tls !== "object" || tls === null) fail("tls must be an object");
  if (tls.ca !== undefined && (typeof tls.ca !== "string" || !tls.ca.includes("-----BEGIN"))) {
    fail("tls.ca must be PEM text (-----BEGIN CERTIFICATE-----...), not a file name");
  }
  if (tls.skipVerify !== undefined && typeof tls.skipVerify !== "boolean") {
    fail(`tls.skipVerify must be true or false, got ${JSON.stringify(tls.skipVerify)}`);
  }
  if (
    tls.serverName !== undefined &&
    (typeof tls.serverName !== "string" || tls.serverName === "")
  ) {
    fail(`tls.serverName must be a host name, got ${JSON.stringify(tls.serverName)}`);
  }
}

const SCHEDULE_KINDS: ReadonlyArray<LoadSchedule["kind"]> = ["const", "step", "line"];

/** Validates a load schedule (ghz's checks, and that the rate stays above 0); `const` is no ramp. */
function resolveSchedule(schedule: LoadSchedule | undefined): Ramp | undefined {
  if (schedule === undefined) return undefined;
  if (!SCHEDULE_KINDS.includes(schedule.kind)) {
    fail(`schedule.kind must be "const", "step" or "line", got ${JSON.stringify(schedule.kind)}`);
  }
  if (schedule.kind === "const") return undefined;
  const maxQps = String(SPEC_LIMITS.maxQps);
  const maxMs = `${SPEC_LIMITS.maxDurationMs} ms, ${MAX_DURATION_TEXT}`;
  checkNumber("schedule.start", schedule.start, 0, true);
  checkAtMost("schedule.start", schedule.start, SPEC_LIMITS.maxQps, maxQps);
  if (!(typeof schedule.step === "number" && Number.isFinite(schedule.step))) {
    fail(`schedule.step must be a number, got ${String(schedule.step)}`);
  }
  checkNumber("schedule.end", schedule.end, 0, true);
  checkAtMost("schedule.end", schedule.end, SPEC_LIMITS.maxQps, maxQps);
  checkNumber("schedule.maxDurationMs", schedule.maxDurationMs, 0, true);
  checkAtMost("schedule.maxDurationMs", schedule.maxDurationMs, SPEC_LIMITS.maxDurationMs, maxMs);
  if (schedule.kind === "step") {
    checkNumber("schedule.stepDurationMs", schedule.stepDurationMs, 0, true);
    checkAtMost(
      "schedule.stepDurationMs",
      schedule.stepDurationMs,
      SPEC_LIMITS.maxDurationMs,
      maxMs,
    );
  }
  const problem = explainBadLoadSchedule(schedule, {
    start: "schedule.start",
    step: "schedule.step",
    stepDurationMs: "schedule.stepDurationMs",
    end: "schedule.end",
    maxDurationMs: "schedule.maxDurationMs",
  });
  if (problem) fail(problem.message);
  return schedule;
}

/**
 * The number of warm-up requests of a paced run: the count bound, or the time bound at the target
 * rate (a ramp's start rate), whichever is smaller.
 */
export function pacedWarmupRequests(options: ResolvedLoadOptions): number {
  const rate = options.schedule ? options.schedule.start : options.qps;
  const byTime = Number.isFinite(options.warmupMs)
    ? Math.round((options.warmupMs * rate) / 1000)
    : Number.POSITIVE_INFINITY;
  const count = Math.min(byTime, options.warmupRequests);
  return Number.isFinite(count) ? count : 0;
}
