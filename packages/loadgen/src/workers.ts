import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { LatencyHistogram } from "@iter8/metrics";
import { toLoadResult } from "./engine-setup.js";
import type { EngineResult } from "./load-engine.js";
import { LoadgenError } from "./errors.js";
import type { ResolvedLoadOptions } from "./options.js";
import { TRANSPORT_ERROR_CLASSES } from "./outcome.js";
import { TimelineMerger } from "./timeline-merge.js";
import type { LoadControl, LoadOptions, LoadProgress, LoadResult } from "./types.js";
import { decodeEngineResult, hrNowMs } from "./worker-protocol.js";
import type { FromWorker, ToWorker, WorkerInput } from "./worker-protocol.js";

/** Time between all workers being ready and the common start, so every one of them starts on time. */
const START_DELAY_MS = 20;
const PROGRESS_INTERVAL_MS = 500;

/**
 * The worker entry: `load-worker.js` next to this module. Vitest runs this package from `src/`
 * (TypeScript, which a worker thread cannot load), so from there the built `dist/` entry is used.
 */
export function resolveWorkerEntry(): URL {
  const here = import.meta.url;
  const entry = here.endsWith(".ts")
    ? new URL("../dist/load-worker.js", here)
    : new URL("./load-worker.js", here);
  if (!existsSync(fileURLToPath(entry))) {
    throw new LoadgenError(
      "ITER8_LOAD_OPTIONS",
      `workers > 1 needs the built worker entry ${fileURLToPath(entry)}; build @iter8/loadgen first`,
    );
  }
  return entry;
}

/**
 * The parent's Node flags without the `iter8-source` export condition (set by vitest and the
 * typecheck setup), which would make the built worker import sibling packages' TypeScript sources.
 */
function workerExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if ((arg === "--conditions" || arg === "-C") && args[i + 1] === "iter8-source") {
      i++;
      continue;
    }
    if (arg === "--conditions=iter8-source") continue;
    out.push(arg);
  }
  return out;
}

interface WorkerState {
  worker: Worker;
  ready: boolean;
  progress: LoadProgress | undefined;
  result: EngineResult | undefined;
}

/**
 * Runs the load on `options.workers` worker threads, each with its own engine and connections:
 * paced runs interleave the schedule (worker k sends requests k, k+N, ...), unpaced runs split
 * connections and requests. Histograms and counts are merged.
 */
export function runWithWorkers(
  options: LoadOptions,
  resolved: ResolvedLoadOptions,
  control: LoadControl,
): Promise<LoadResult> {
  const entry = resolveWorkerEntry();
  const count = resolved.workers;
  return new Promise<LoadResult>((resolve, reject) => {
    const states: WorkerState[] = [];
    const timeline = new TimelineMerger(count, control.onSample);
    let started = false;
    let settled = false;
    let lastCompleted = 0;
    let lastTickAt = hrNowMs();

    /** Merged timeline samples are progress too (with the interval's p50/p99), as in one thread. */
    const report = (samples: LoadProgress[]): void => {
      if (settled) return;
      for (const sample of samples) control.onProgress?.(sample);
    };
    const send = (message: ToWorker): void => {
      for (const state of states) state.worker.postMessage(message);
    };
    const onAbort = (): void => send({ type: "abort" });
    const timer = setInterval(() => {
      if (!started) return;
      const now = hrNowMs();
      const progress = aggregate(states.map((s) => s.progress));
      progress.rate = ((progress.completed - lastCompleted) * 1000) / Math.max(1, now - lastTickAt);
      lastCompleted = progress.completed;
      lastTickAt = now;
      control.onProgress?.(progress);
    }, PROGRESS_INTERVAL_MS);

    const cleanUp = (): void => {
      clearInterval(timer);
      control.signal?.removeEventListener("abort", onAbort);
    };
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      cleanUp();
      for (const state of states) void state.worker.terminate();
      reject(error);
    };
    const maybeFinish = (): void => {
      if (settled || !states.every((s) => s.result)) return;
      settled = true;
      cleanUp();
      const merged = mergeEngineResults(states.map((s) => s.result as EngineResult));
      const result = toLoadResult(merged, performance.timeOrigin + performance.now() - hrNowMs());
      result.timeline = timeline.timeline;
      resolve(result);
    };

    for (let index = 0; index < count; index++) {
      const input: WorkerInput = { options, index, count };
      const worker = new Worker(entry, { workerData: input, execArgv: workerExecArgv() });
      const state: WorkerState = { worker, ready: false, progress: undefined, result: undefined };
      states.push(state);
      worker.on("message", (message: FromWorker) => {
        switch (message.type) {
          case "ready":
            state.ready = true;
            if (!started && states.length === count && states.every((s) => s.ready)) {
              started = true;
              send({ type: "start", startAtHrMs: hrNowMs() + START_DELAY_MS });
              if (control.signal?.aborted) onAbort();
            }
            break;
          case "progress":
            state.progress = message.progress;
            break;
          case "sample":
            state.progress = message.sample;
            report(timeline.add(index, message.sample, LatencyHistogram.decode(message.interval)));
            break;
          case "result":
            state.result = decodeEngineResult(message.result);
            report(timeline.end(index));
            maybeFinish();
            break;
          case "failed":
            fail(new LoadgenError("ITER8_LOAD_OPTIONS", message.message));
            break;
        }
      });
      worker.on("error", (error) => fail(error));
      worker.on("exit", (code) => {
        if (!state.result)
          fail(new Error(`load worker ${index} exited (code ${code}) without a result`));
      });
    }
    control.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Sums the workers' latest progress (elapsed time and ETA: the largest). */
function aggregate(parts: Array<LoadProgress | undefined>): LoadProgress {
  const total: LoadProgress = { elapsedMs: 0, sent: 0, completed: 0, errors: 0, rate: 0 };
  let measuring = false;
  for (const part of parts) {
    if (!part) continue;
    total.elapsedMs = Math.max(total.elapsedMs, part.elapsedMs);
    total.sent += part.sent;
    total.completed += part.completed;
    total.errors += part.errors;
    if (part.etaMs !== undefined) total.etaMs = Math.max(total.etaMs ?? 0, part.etaMs);
    if (part.phase === "measure") measuring = true;
  }
  total.phase = measuring ? "measure" : "warmup";
  return total;
}

/** Merges the results of the shares of one run (times on one clock). */
export function mergeEngineResults(parts: EngineResult[]): EngineResult {
  const sum = (records: Array<Record<string, number>>, order?: readonly string[]) => {
    const out: Record<string, number> = {};
    for (const record of records) {
      for (const [key, value] of Object.entries(record)) out[key] = (out[key] ?? 0) + value;
    }
    if (!order) return out;
    const ordered: Record<string, number> = {};
    for (const key of order) if (out[key] !== undefined) ordered[key] = out[key];
    return ordered;
  };
  const starts = parts.map((p) => p.measureStart).filter((t) => !Number.isNaN(t));
  const lag = parts.some((p) => p.dispatchLag) ? new LatencyHistogram() : undefined;
  const merged: EngineResult = {
    aborted: parts.some((p) => p.aborted),
    requests: 0,
    errors: 0,
    statusCodes: sum(parts.map((p) => p.statusCodes)),
    errorClasses: sum(
      parts.map((p) => p.errorClasses),
      TRANSPORT_ERROR_CLASSES,
    ),
    measureStart: starts.length > 0 ? Math.min(...starts) : Number.NaN,
    endTime: Math.max(...parts.map((p) => p.endTime)),
    latency: new LatencyHistogram(),
    serviceTime: new LatencyHistogram(),
    queueWait: new LatencyHistogram(),
    dispatchLag: lag,
    warmupRequests: 0,
    timeline: [],
  };
  for (const part of parts) {
    merged.requests += part.requests;
    merged.errors += part.errors;
    merged.warmupRequests += part.warmupRequests;
    merged.latency.merge(part.latency);
    merged.serviceTime.merge(part.serviceTime);
    merged.queueWait.merge(part.queueWait);
    if (part.dispatchLag) lag?.merge(part.dispatchLag);
  }
  const withStats = parts.filter((p) => p.transportStats);
  if (withStats.length > 0) {
    const histograms: Record<string, LatencyHistogram> = {};
    for (const part of withStats) {
      for (const [name, histogram] of Object.entries(part.transportStats?.histograms ?? {})) {
        (histograms[name] ??= new LatencyHistogram()).merge(histogram);
      }
    }
    merged.transportStats = {
      counts: sum(withStats.map((p) => p.transportStats?.counts ?? {})),
      histograms,
    };
  }
  return merged;
}
