import { LatencyHistogram } from "@iter8/metrics";
import type { EngineResult } from "./load-engine.js";
import type { LoadOptions, LoadProgress } from "./types.js";

/** What a load worker thread is started with. */
export interface WorkerInput {
  /** The run's options (the worker resolves them again: they are plain data). */
  options: LoadOptions;
  /** This worker's share: index of count. */
  index: number;
  count: number;
}

/** Messages from the coordinating thread to a load worker. */
export type ToWorker = { type: "start"; startAtHrMs: number } | { type: "abort" };

/** An engine result as plain data: histograms encoded, times on the shared hrtime clock (ms). */
export interface EncodedEngineResult extends Omit<
  EngineResult,
  "latency" | "serviceTime" | "queueWait" | "dispatchLag" | "transportStats"
> {
  latency: string;
  serviceTime: string;
  queueWait: string;
  dispatchLag: string | undefined;
  transportStats?: { counts: Record<string, number>; histograms: Record<string, string> };
}

/** Messages from a load worker to the coordinating thread. */
export type FromWorker =
  | { type: "ready" }
  | { type: "progress"; progress: LoadProgress }
  /** A timeline sample with its interval's latency histogram (µs, `LatencyHistogram.encode()`). */
  | { type: "sample"; sample: LoadProgress; interval: string }
  | { type: "result"; result: EncodedEngineResult }
  | { type: "failed"; message: string };

/** Milliseconds on `process.hrtime()`, the monotonic clock every thread of the process shares. */
export function hrNowMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1e3 + nanoseconds / 1e6;
}

/** Encodes an engine result for `postMessage`, shifting its times by `toHrMs`. */
export function encodeEngineResult(result: EngineResult, toHrMs: number): EncodedEngineResult {
  const { transportStats, ...rest } = result;
  const encoded: EncodedEngineResult = {
    ...rest,
    measureStart: result.measureStart + toHrMs,
    endTime: result.endTime + toHrMs,
    latency: result.latency.encode(),
    serviceTime: result.serviceTime.encode(),
    queueWait: result.queueWait.encode(),
    dispatchLag: result.dispatchLag?.encode(),
  };
  if (transportStats) {
    const histograms: Record<string, string> = {};
    for (const [name, histogram] of Object.entries(transportStats.histograms)) {
      histograms[name] = histogram.encode();
    }
    encoded.transportStats = { counts: transportStats.counts, histograms };
  }
  return encoded;
}

/** Decodes a worker's engine result (times stay on the hrtime clock). */
export function decodeEngineResult(encoded: EncodedEngineResult): EngineResult {
  const { transportStats, ...rest } = encoded;
  const result: EngineResult = {
    ...rest,
    latency: LatencyHistogram.decode(encoded.latency),
    serviceTime: LatencyHistogram.decode(encoded.serviceTime),
    queueWait: LatencyHistogram.decode(encoded.queueWait),
    dispatchLag:
      encoded.dispatchLag === undefined ? undefined : LatencyHistogram.decode(encoded.dispatchLag),
  };
  if (transportStats) {
    const histograms: Record<string, LatencyHistogram> = {};
    for (const [name, text] of Object.entries(transportStats.histograms)) {
      histograms[name] = LatencyHistogram.decode(text);
    }
    result.transportStats = { counts: transportStats.counts, histograms };
  }
  return result;
}
