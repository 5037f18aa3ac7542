// The JSON that passes between the harness and `iter8-runner` (one argv in, one stdout line out).
import type { Pacing } from "@iter8/loadgen";

/** The options the harness hands the runner; a subset of `@iter8/loadgen`'s LoadOptions. */
export interface RunnerSpec {
  /** Target URL. */
  url: string;
  /** Open connections. */
  connections: number;
  /** Requests per second; 0 = as fast as the connections allow. */
  qps: number;
  /** Measured duration in ms (after the warm-up). */
  durationMs: number;
  /** Warm-up in ms, discarded from the result (0 = none). */
  warmupMs: number;
  /** Sample `process.memoryUsage().rss` this often (ms); 0 = never. */
  rssSampleEveryMs: number;
  /** How paced requests are timed; loadgen's default when unset. */
  pacing?: Pacing;
}

/** One RSS sample taken by the runner. */
export interface RssSample {
  /** ms since `runLoad` was called. */
  atMs: number;
  /** Resident set size in bytes. */
  rssBytes: number;
}

/** What the runner prints (a single JSON line). */
export interface RunnerOutput {
  /** Completed requests. */
  requests: number;
  /** Requests counted as errors by loadgen. */
  errors: number;
  /** Measured duration in ms. */
  durationMs: number;
  /** Requests per second, as loadgen reports it. */
  achievedRate: number;
  /** Latency percentiles in µs (from the intended send time when paced). */
  latencyUs: { p50: number; p75: number; p99: number; max: number };
  /** Latency from the actual send time, µs (equals `latencyUs` when unpaced). */
  serviceTimeUs: { p50: number; p99: number };
  /** Time paced requests waited for a free connection past their intended send time, µs. */
  queueWaitUs: { p50: number; p99: number };
  /** Dispatch lag (how late requests left versus their schedule), when loadgen reports it. */
  dispatchLagMs?: { p50: number; p99: number; max: number };
  /** RSS samples, one per `rssSampleEveryMs`. */
  rssSamples: RssSample[];
  /** Peak RSS of the runner process in KiB (`process.resourceUsage().maxRSS`). */
  maxRssKb: number;
}

/** Reads the RSS sample nearest to (and not before, when one exists) `atMs`; undefined if none. */
export function pickRssAt(samples: readonly RssSample[], atMs: number): RssSample | undefined {
  let best: RssSample | undefined;
  for (const s of samples) {
    if (s.atMs >= atMs && (best === undefined || s.atMs < best.atMs)) best = s;
  }
  if (best !== undefined) return best;
  // The run ended before atMs: take the last sample.
  for (const s of samples) if (best === undefined || s.atMs > best.atMs) best = s;
  return best;
}
