// The JSON that passes between the harness and its Node generator processes (`iter8-runner`,
// `iter8-grpc-runner`, `grpc-js-runner`): one argv in, one stdout line out.
import type { LoadResult, Pacing } from "@iter8/loadgen";

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
  /** Worker threads sharing the load (loadgen's `workers`); 1 when unset. */
  workers?: number;
}

/** The options the harness hands the gRPC runners (iter8's and the plain grpc-js loop). */
export interface GrpcRunnerSpec {
  /** `host:port` of the target (plaintext h2c). */
  host: string;
  /** The `.proto` file that defines the method. */
  proto: string;
  /** `package.Service/Method`. */
  call: string;
  /** The request message (protobuf JSON mapping). */
  data: Record<string, unknown>;
  /** Separate HTTP/2 connections. */
  connections: number;
  /** Calls in flight at most, over all connections. */
  concurrency: number;
  /** Calls per second; 0 = as fast as `concurrency` allows (the grpc-js loop cannot pace). */
  qps: number;
  /** Measured duration in ms (after the warm-up). */
  durationMs: number;
  /** Warm-up in ms, discarded from the result (0 = none). */
  warmupMs: number;
  /** Sample `process.memoryUsage().rss` this often (ms); 0 = never (iter8 only). */
  rssSampleEveryMs: number;
  /** How paced calls are timed; loadgen's default when unset (iter8 only). */
  pacing?: Pacing;
}

/** What the plain grpc-js loop prints: counts, rate and latency, no pacing figures. */
export type BaselineOutput = Pick<
  RunnerOutput,
  "requests" | "errors" | "durationMs" | "achievedRate" | "latencyUs" | "maxRssKb"
>;

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

/**
 * Runs `load` while sampling RSS every `rssSampleEveryMs` (0 = only once, at the end), and turns
 * its result into the runner's output line. Shared by the HTTP and the gRPC runner, so both
 * report the same figures the same way.
 */
export async function measureLoad(
  load: () => Promise<LoadResult>,
  rssSampleEveryMs: number,
): Promise<RunnerOutput> {
  const samples: RssSample[] = [];
  const started = performance.now();
  const sample = (): void => {
    samples.push({
      atMs: Math.round(performance.now() - started),
      rssBytes: process.memoryUsage.rss(),
    });
  };
  const timer = rssSampleEveryMs > 0 ? setInterval(sample, rssSampleEveryMs) : undefined;
  try {
    const result = await load();
    sample();
    const toUs = (p: number): number => result.latency.percentile(p);
    const output: RunnerOutput = {
      requests: result.requests,
      errors: result.errors,
      durationMs: result.durationMs,
      achievedRate: result.achievedRate,
      latencyUs: { p50: toUs(50), p75: toUs(75), p99: toUs(99), max: result.latency.max },
      serviceTimeUs: {
        p50: result.serviceTime.percentile(50),
        p99: result.serviceTime.percentile(99),
      },
      queueWaitUs: { p50: result.queueWait.percentile(50), p99: result.queueWait.percentile(99) },
      rssSamples: samples,
      maxRssKb: process.resourceUsage().maxRSS,
    };
    if (result.dispatchLagMs !== undefined) output.dispatchLagMs = result.dispatchLagMs;
    return output;
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
}

/** Reads a gRPC runner's argv JSON; throws a one-line error naming what is wrong. */
export function parseGrpcRunnerSpec(arg: string | undefined, runner: string): GrpcRunnerSpec {
  if (arg === undefined) throw new Error(`usage: ${runner} '<json spec>'`);
  const spec = JSON.parse(arg) as GrpcRunnerSpec;
  const bad =
    typeof spec.host !== "string"
      ? "host"
      : typeof spec.proto !== "string"
        ? "proto"
        : typeof spec.call !== "string"
          ? "call"
          : !(spec.connections > 0)
            ? "connections"
            : !(spec.concurrency >= spec.connections)
              ? "concurrency"
              : !(spec.durationMs > 0)
                ? "durationMs"
                : undefined;
  if (bad !== undefined) throw new Error(`${runner}: invalid spec at "${bad}": ${arg}`);
  return spec;
}
