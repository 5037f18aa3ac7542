import { LatencyHistogram } from "@iter8/metrics";
import { toLoadResult } from "./engine-setup.js";
import type { EngineResult } from "./load-engine.js";
import { TimelineMerger } from "./timeline-merge.js";
import type { DispatchLag, LoadResult } from "./types.js";
import { mergeEngineResults } from "./workers.js";

/** One run of a load that was split (over machines or processes), to merge with the others. */
export interface LoadResultPart {
  /** The run's result; its times are epoch ms, so runs on different machines share one clock. */
  result: LoadResult;
  /**
   * The latency histogram (µs) of each of `result.timeline`'s samples, in the same order. Without
   * them the merged timeline keeps counts and rates but no p50/p99.
   */
  intervals?: readonly LatencyHistogram[];
}

/**
 * Merges the runs that each sent a share of one load into the result one run of the whole load
 * would have: counts and status codes summed, histograms merged (every percentile is the
 * percentile of all requests, never an average of percentiles), the measured window from the
 * earliest start to the latest end, and the timelines merged second by second as worker threads'
 * are (p50/p99 from the merged interval histograms). Dispatch lag is kept only as a summary per
 * run, so the merged one is the largest of each figure: an upper bound. Throws a `RangeError`
 * when there is nothing to merge or a part's intervals do not match its timeline.
 */
export function mergeLoadResults(parts: readonly LoadResultPart[]): LoadResult {
  if (parts.length === 0) throw new RangeError("no load results to merge");
  const merger = new TimelineMerger(parts.length);
  const empty = new LatencyHistogram();
  parts.forEach((part, index) => {
    const { timeline } = part.result;
    const { intervals } = part;
    if (intervals && intervals.length !== timeline.length) {
      throw new RangeError(
        `part ${index} has ${timeline.length} timeline samples but ${intervals.length} interval histograms`,
      );
    }
    timeline.forEach((sample, k) => merger.add(index, sample, intervals?.[k] ?? empty));
    merger.end(index);
  });
  const merged = toLoadResult(mergeEngineResults(parts.map((p) => toEngineResult(p.result))), 0);
  merged.timeline = merger.timeline;
  if (parts.some((p) => !p.intervals)) {
    for (const sample of merged.timeline) {
      delete sample.p50Ms;
      delete sample.p99Ms;
    }
  }
  const lag = maxLag(parts.map((p) => p.result.dispatchLagMs));
  if (lag) merged.dispatchLagMs = lag;
  return merged;
}

/** A result as the engine's raw measurement, its times in epoch ms. */
function toEngineResult(result: LoadResult): EngineResult {
  const measured = result.durationMs > 0 || result.requests > 0;
  return {
    aborted: result.aborted,
    requests: result.requests,
    errors: result.errors,
    statusCodes: result.statusCodes,
    errorClasses: result.errorClasses,
    measureStart: measured ? result.startTime : Number.NaN,
    endTime: result.startTime + result.durationMs,
    latency: result.latency,
    serviceTime: result.serviceTime,
    queueWait: result.queueWait,
    dispatchLag: undefined,
    warmupRequests: result.warmupRequests,
    timeline: result.timeline,
  };
}

function maxLag(lags: Array<DispatchLag | undefined>): DispatchLag | undefined {
  const present = lags.filter((lag): lag is DispatchLag => lag !== undefined);
  if (present.length === 0) return undefined;
  return {
    p50: Math.max(...present.map((l) => l.p50)),
    p99: Math.max(...present.map((l) => l.p99)),
    max: Math.max(...present.map((l) => l.max)),
  };
}
