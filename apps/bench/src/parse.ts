// Parsers for what each generator process prints. Pure, so they are unit-tested.

/** Latency percentiles in ms. */
export interface LatencyMs {
  p50: number;
  p75: number;
  p99: number;
  max: number;
}

/** What every generator reports, normalised. */
export interface GeneratorReport {
  /** Completed requests (responses received). */
  requests: number;
  /** Transport errors plus non-2xx responses. */
  errors: number;
  /** The generator's own measured duration, in s. */
  durationS: number;
  /** Requests per second as the generator computes it. */
  rate: number;
  /** Latency percentiles in ms. */
  latencyMs: LatencyMs;
}

/** What `/usr/bin/time -f "%M %U %S %e"` writes. */
export interface TimeReport {
  /** Peak resident set size (VmHWM) in KiB. */
  maxRssKb: number;
  /** User CPU seconds. */
  userS: number;
  /** System CPU seconds. */
  systemS: number;
  /** Wall-clock seconds. */
  elapsedS: number;
}

/** The format string passed to `/usr/bin/time -f`. */
export const TIME_FORMAT = "%M %U %S %e";

/** Raised when a generator's output cannot be understood. */
export class BenchParseError extends Error {
  /** Stable error code. */
  readonly code = "ITER8_BENCH_PARSE";
  override readonly name = "BenchParseError";
}

function lastJsonLine(text: string, what: string): Record<string, unknown> {
  const lines = text.split("\n").filter((l) => l.trimStart().startsWith("{"));
  const line = lines[lines.length - 1];
  if (line === undefined) throw new BenchParseError(`${what}: no JSON line in its output`);
  try {
    const parsed: unknown = JSON.parse(line);
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new BenchParseError(`${what}: JSON line is not an object`);
    }
    return parsed as Record<string, unknown>;
  } catch (error) {
    if (error instanceof BenchParseError) throw error;
    throw new BenchParseError(`${what}: invalid JSON line: ${(error as Error).message}`);
  }
}

function numberAt(obj: Record<string, unknown>, key: string, what: string): number {
  const value = obj[key];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new BenchParseError(`${what}: expected a number at "${key}"`);
  }
  return value;
}

function objectAt(
  obj: Record<string, unknown>,
  key: string,
  what: string,
): Record<string, unknown> {
  const value = obj[key];
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BenchParseError(`${what}: expected an object at "${key}"`);
  }
  return value as Record<string, unknown>;
}

/**
 * The Lua script given to `wrk -s`: its `done` hook prints one JSON line (latency in µs). Only
 * `done` is defined, so wrk's fast request path is untouched.
 */
export const WRK_DONE_SCRIPT = `done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"errors":%d,"p50":%d,"p75":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(99), latency.max))
end
`;

/** Parses wrk's stdout (its summary text followed by the JSON line from `WRK_DONE_SCRIPT`). */
export function parseWrkOutput(stdout: string): GeneratorReport {
  const what = "wrk";
  const o = lastJsonLine(stdout, what);
  const requests = numberAt(o, "requests", what);
  const durationS = numberAt(o, "durationUs", what) / 1e6;
  return {
    requests,
    errors: numberAt(o, "errors", what),
    durationS,
    rate: durationS > 0 ? requests / durationS : 0,
    latencyMs: {
      p50: numberAt(o, "p50", what) / 1000,
      p75: numberAt(o, "p75", what) / 1000,
      p99: numberAt(o, "p99", what) / 1000,
      max: numberAt(o, "max", what) / 1000,
    },
  };
}

/** Parses `autocannon --json` output (latency in whole ms, duration in s). */
export function parseAutocannonOutput(stdout: string): GeneratorReport {
  const what = "autocannon";
  const o = lastJsonLine(stdout, what);
  const requestsObj = objectAt(o, "requests", what);
  const latency = objectAt(o, "latency", what);
  const requests = numberAt(requestsObj, "total", what);
  const durationS = numberAt(o, "duration", what);
  return {
    requests,
    errors: numberAt(o, "errors", what) + numberAt(o, "non2xx", what),
    durationS,
    rate: durationS > 0 ? requests / durationS : 0,
    latencyMs: {
      p50: numberAt(latency, "p50", what),
      p75: numberAt(latency, "p75", what),
      p99: numberAt(latency, "p99", what),
      max: numberAt(latency, "max", what),
    },
  };
}

/** Parses the file written by `/usr/bin/time -f TIME_FORMAT -o file` (last non-empty line). */
export function parseTimeOutput(text: string): TimeReport {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const line = lines[lines.length - 1];
  const fields = line?.split(/\s+/).map(Number) ?? [];
  if (fields.length !== 4 || fields.some((f) => !Number.isFinite(f))) {
    throw new BenchParseError(
      `time: expected "maxRssKb user sys elapsed", got ${JSON.stringify(line)}`,
    );
  }
  const [maxRssKb, userS, systemS, elapsedS] = fields as [number, number, number, number];
  return { maxRssKb, userS, systemS, elapsedS };
}

/** A duration as h2load prints it (`243us`, `6.59ms`, `2.03s`), in ms. */
function h2loadDurationMs(text: string, what: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text);
  if (m === null) throw new BenchParseError(`${what}: cannot read the duration "${text}"`);
  const value = Number(m[1]);
  return m[2] === "us" ? value / 1000 : m[2] === "ms" ? value : value * 1000;
}

/**
 * Parses h2load's summary. It prints no percentiles, only min / max / mean / sd of "time for
 * request", so p50, p75 and p99 are NaN and `max` is its max. Requests are the streams that
 * finished (`done`); errors are h2load's `failed` (non-2xx/3xx answers and stream or connection
 * errors). h2load exits 0 even when it could not connect, so a run in which nothing succeeded
 * is an error here.
 */
export function parseH2loadOutput(stdout: string): GeneratorReport {
  const what = "h2load";
  const finished = /^finished in (\S+), /m.exec(stdout);
  const counts =
    /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(
      stdout,
    );
  if (finished === null || counts === null) {
    throw new BenchParseError(`${what}: no "finished in" and "requests:" summary in its output`);
  }
  const [done, succeeded, failed, errored] = [3, 4, 5, 6].map((i) => Number(counts[i]));
  if (succeeded === 0) {
    throw new BenchParseError(
      `${what}: no request succeeded (${failed} failed, ${errored} errored)`,
    );
  }
  const durationS = h2loadDurationMs(finished[1] as string, what) / 1000;
  const timing = /^time for request:\s+(\S+)\s+(\S+)/m.exec(stdout);
  const requests = done as number;
  return {
    requests,
    errors: failed as number,
    durationS,
    rate: durationS > 0 ? requests / durationS : 0,
    latencyMs: {
      p50: Number.NaN,
      p75: Number.NaN,
      p99: Number.NaN,
      max: timing === null ? Number.NaN : h2loadDurationMs(timing[2] as string, what),
    },
  };
}
