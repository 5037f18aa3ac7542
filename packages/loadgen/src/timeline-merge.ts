import { LatencyHistogram } from "@iter8/metrics";
import type { LoadProgress } from "./types.js";

interface WorkerSamples {
  /** Samples received and not merged yet, oldest first. */
  pending: Array<{ sample: LoadProgress; interval: LatencyHistogram }>;
  /** The worker's latest merged sample: its running totals while it sends no more. */
  last: LoadProgress | undefined;
  /** True when the worker will send no more samples. */
  ended: boolean;
}

/**
 * Builds the timeline of a run on worker threads from each worker's own timeline samples: the
 * k-th sample of the run merges the k-th sample of every worker (each engine takes one a second,
 * counted from the common start of measuring, and a last one for the partial second at its end).
 * Counts are the workers' running totals, rates add up, elapsed time and ETA are the largest, and
 * p50/p99 come from the merged interval histograms: exact over all the interval's requests, not
 * an average of the workers' percentiles. A worker that has ended adds its final totals only.
 */
export class TimelineMerger {
  readonly #workers: WorkerSamples[];
  readonly #interval = new LatencyHistogram();
  /** The merged samples so far, one per second of measuring. */
  readonly timeline: LoadProgress[] = [];

  readonly #onMerged: ((sample: LoadProgress, interval: LatencyHistogram) => void) | undefined;

  /**
   * A merger for `count` workers; `onMerged` gets each merged sample with its merged interval
   * histogram (reused: read or clone it before returning).
   */
  constructor(
    count: number,
    onMerged?: (sample: LoadProgress, interval: LatencyHistogram) => void,
  ) {
    this.#onMerged = onMerged;
    this.#workers = Array.from({ length: count }, () => ({
      pending: [],
      last: undefined,
      ended: false,
    }));
  }

  /**
   * Worker `index` took its next timeline sample, with its interval's latency histogram (µs; kept,
   * not copied). Returns the run's samples this completes, in order (already in `timeline`).
   */
  add(index: number, sample: LoadProgress, interval: LatencyHistogram): LoadProgress[] {
    const worker = this.#worker(index);
    if (!worker.ended) worker.pending.push({ sample, interval });
    return this.#mergeReady();
  }

  /** Worker `index` sends no more samples. Returns the run's samples this completes, in order. */
  end(index: number): LoadProgress[] {
    this.#worker(index).ended = true;
    return this.#mergeReady();
  }

  #worker(index: number): WorkerSamples {
    const worker = this.#workers[index];
    if (!worker) throw new RangeError(`no worker ${index} of ${this.#workers.length}`);
    return worker;
  }

  /** Merges every sample that each worker has either sent or will never send. */
  #mergeReady(): LoadProgress[] {
    const merged: LoadProgress[] = [];
    const workers = this.#workers;
    while (
      workers.every((w) => w.pending.length > 0 || w.ended) &&
      workers.some((w) => w.pending.length > 0)
    ) {
      const total: LoadProgress = {
        elapsedMs: 0,
        sent: 0,
        completed: 0,
        errors: 0,
        rate: 0,
        phase: "measure",
      };
      const interval = this.#interval;
      interval.reset();
      for (const worker of workers) {
        const part = worker.pending.shift();
        if (part) {
          const { sample } = part;
          worker.last = sample;
          total.elapsedMs = Math.max(total.elapsedMs, sample.elapsedMs);
          total.rate += sample.rate;
          if (sample.etaMs !== undefined) total.etaMs = Math.max(total.etaMs ?? 0, sample.etaMs);
          interval.merge(part.interval);
        }
        const totals = worker.last;
        if (totals) {
          total.sent += totals.sent;
          total.completed += totals.completed;
          total.errors += totals.errors;
        }
      }
      if (interval.count > 0) {
        total.p50Ms = interval.percentile(50) / 1000;
        total.p99Ms = interval.percentile(99) / 1000;
      }
      this.#onMerged?.(total, interval);
      this.timeline.push(total);
      merged.push(total);
    }
    return merged;
  }
}
