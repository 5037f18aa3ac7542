import { mergeLoadResults, runVersions } from "@iter8/loadgen";
import type { LoadResult, LoadResultPart } from "@iter8/loadgen";
import type { LatencyHistogram } from "@iter8/metrics";
import { formatDuration, formatResult } from "@iter8/spec";
import type { Experiment, ExperimentResult, LoadTask, ShardLoadDetails, Task } from "@iter8/spec";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";
import type { EngineEvent } from "../events.js";
import { createTaskRegistry } from "../registry.js";
import type { TaskContext, TaskRegistry, TaskRunner } from "../registry.js";
import { runExperiment } from "../run-experiment.js";
import type { RunExperimentOptions } from "../run-experiment.js";
import { recordLoadResults } from "../tasks/load.js";
import type { ShardExchange, ShardReport } from "./exchange.js";
import { decodeShardMeasurement, encodeShardMeasurement } from "./measurement.js";
import type { ShardMeasurement } from "./measurement.js";
import { isShardedTask, isShardedTaskName, splitExperiment } from "./split.js";

/** Defaults of `runShard`'s timing options, in milliseconds. */
export const SHARD_DEFAULTS = {
  /** How long a shard waits for every shard to be ready before starting with those that are. */
  readyTimeoutMs: 300_000,
  /** How long shard 0 waits, after its own load, for the other shards' measurements. */
  reportTimeoutMs: 120_000,
  /** The common start is this far after the moment the last shard was seen ready. */
  startMarginMs: 3000,
  /** How often the exchange is polled while waiting. */
  pollIntervalMs: 250,
} as const;

/** Options of `runShard`: those of `runExperiment`, plus which shard and where shards meet. */
export interface RunShardOptions extends RunExperimentOptions {
  /** This shard's index, 0 to `count - 1`; shard 0 merges and writes the result. */
  shard: number;
  /** How many shards the experiment's load is split over. */
  count: number;
  /** Where the shards meet (`createDirectoryExchange`, or Secrets in Kubernetes). */
  exchange: ShardExchange;
  /** See {@link SHARD_DEFAULTS}. */
  readyTimeoutMs?: number;
  /** See {@link SHARD_DEFAULTS}. */
  reportTimeoutMs?: number;
  /** See {@link SHARD_DEFAULTS}. */
  startMarginMs?: number;
  /** See {@link SHARD_DEFAULTS}. */
  pollIntervalMs?: number;
}

/** What `runShard` resolves with. */
export interface ShardRunResult {
  /** The shard that ran. */
  shard: number;
  /** Shard 0: the experiment's result, with the merged measurements (also `exchange.writeResult`). */
  result?: ExperimentResult;
  /** What this shard measured (undefined when it failed before measuring). */
  measurement?: ShardMeasurement;
  /** True when the run was interrupted; what was measured is kept. */
  aborted: boolean;
}

interface ShardTiming {
  readyTimeoutMs: number;
  reportTimeoutMs: number;
  startMarginMs: number;
  pollIntervalMs: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || !(ms > 0)) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Marks this shard ready, waits until every shard is (or the ready timeout passes), proposes
 * a common start (first writer wins) and sleeps until it. Resolves false when aborted first.
 */
async function startTogether(
  shard: number,
  count: number,
  exchange: ShardExchange,
  timing: ShardTiming,
  signal: AbortSignal,
): Promise<boolean> {
  await exchange.markReady(shard, Date.now());
  const deadline = Date.now() + timing.readyTimeoutMs;
  let start = await exchange.startTime();
  while (start === undefined) {
    if (signal.aborted) return false;
    const reports = await exchange.reports();
    const leader = reports.find((r) => r.shard === 0);
    if (shard !== 0 && leader?.failure !== undefined) {
      throw new EngineError(
        ENGINE_ERROR_CODES.shardFailed,
        `shard 0 failed before the start: ${leader.failure}`,
      );
    }
    const ready = reports.filter((r) => r.shard < count && r.readyAt !== undefined).length;
    if (ready >= count || Date.now() >= deadline) {
      start = await exchange.proposeStart(Date.now() + timing.startMarginMs);
      break;
    }
    await sleep(timing.pollIntervalMs, signal);
    start = await exchange.startTime();
  }
  await sleep(start - Date.now(), signal);
  return !signal.aborted;
}

/**
 * Runs this shard's share of every load task, from the common start, and publishes what it
 * measured; publishes the failure instead when one fails, and rethrows.
 */
async function loadShare(
  split: Experiment,
  options: RunShardOptions,
  timing: ShardTiming,
  signal: AbortSignal,
  emit: (event: EngineEvent) => void,
): Promise<ShardMeasurement> {
  const { shard, count, exchange } = options;
  try {
    const started = await startTogether(shard, count, exchange, timing, signal);
    const measurement: ShardMeasurement = { shard, count, startedAt: Date.now(), tasks: [] };
    split.tasks.forEach((task, index) => {
      if (started && isShardedTask(task)) measurement.tasks.push({ index, versions: [] });
    });
    for (const entry of measurement.tasks) {
      if (signal.aborted) break;
      entry.versions = await runShareOf(
        split.tasks[entry.index] as Task,
        entry.index,
        options,
        signal,
        emit,
      );
    }
    await exchange.publishMeasurement(shard, encodeShardMeasurement(measurement));
    return measurement;
  } catch (error) {
    await exchange.publishFailure(shard, messageOf(error)).catch(() => undefined);
    throw error;
  }
}

/** Runs one load task's share (inputs already split): one part per version, null when not loaded. */
async function runShareOf(
  task: Task,
  index: number,
  options: RunShardOptions,
  signal: AbortSignal,
  emit: (event: EngineEvent) => void,
): Promise<Array<LoadResultPart | null>> {
  // One branch per load task kind (gRPC: runGrpcLoad), as `splitExperiment` has one splitter.
  const inputs = (task as LoadTask).with;
  const numVersions = inputs.versionInfo.length;
  const intervals: LatencyHistogram[][] = inputs.versionInfo.map(() => []);
  const results = await runVersions(inputs, {
    signal,
    baseDir: options.dir,
    onProgress: (version, progress) =>
      emit({ type: "load-progress", index, version, numVersions, progress }),
    onSample: (version, _sample, interval) => intervals[version]?.push(interval.clone()),
  });
  return results.map((result, v) => {
    if (!result) return null;
    const own = intervals[v] ?? [];
    return own.length === result.timeline.length ? { result, intervals: own } : { result };
  });
}

/** Polls until every other shard has a measurement or a failure, the deadline passes, or abort. */
async function gatherReports(
  exchange: ShardExchange,
  count: number,
  timing: ShardTiming,
  signal: AbortSignal,
): Promise<ShardReport[]> {
  const deadline = Date.now() + timing.reportTimeoutMs;
  for (;;) {
    const reports = await exchange.reports();
    const settled = reports.filter(
      (r) => r.shard < count && (r.measurement !== undefined || r.failure !== undefined),
    ).length;
    if (settled >= count || signal.aborted || Date.now() >= deadline) return reports;
    await sleep(timing.pollIntervalMs, signal);
  }
}

interface MergedShards {
  /** Merged results per load task index, one per version. */
  results: Map<number, Array<LoadResult | null>>;
  /** Per load task index and version: the shards' part in it. */
  shards: Map<number, ShardLoadDetails[]>;
  /** Why shards are missing, one line each. */
  problems: string[];
}

/** Merges shard 0's own measurement with what the other shards reported. */
function mergeShards(
  split: Experiment,
  own: ShardMeasurement,
  reports: readonly ShardReport[],
  timing: ShardTiming,
  aborted: boolean,
): MergedShards {
  const count = own.count;
  const measurements: Array<ShardMeasurement | undefined> = [own];
  const problems: string[] = [];
  for (let s = 1; s < count; s++) {
    const report = reports.find((r) => r.shard === s);
    if (report?.measurement !== undefined) {
      try {
        const m = decodeShardMeasurement(report.measurement, `shard ${s}'s measurement`);
        if (m.shard !== s || m.count !== count) {
          problems.push(
            `shard ${s} of ${count} published the measurement of shard ${m.shard} of ${m.count}`,
          );
        } else measurements[s] = m;
      } catch (error) {
        problems.push(messageOf(error));
      }
    } else if (report?.failure !== undefined) {
      problems.push(`shard ${s} of ${count} failed: ${report.failure}`);
    } else if (!aborted) {
      const state = report?.readyAt === undefined ? "it never became ready" : "it was ready";
      problems.push(
        `shard ${s} of ${count} never reported within ${formatDuration(timing.reportTimeoutMs)} (${state})`,
      );
    }
  }
  const started = measurements.filter(
    (m): m is ShardMeasurement => m !== undefined && m.tasks.length > 0,
  );
  const startSkewMs =
    started.length > 0
      ? Math.max(...started.map((m) => m.startedAt)) - Math.min(...started.map((m) => m.startedAt))
      : 0;
  const results = new Map<number, Array<LoadResult | null>>();
  const shards = new Map<number, ShardLoadDetails[]>();
  split.tasks.forEach((task, index) => {
    if (!isShardedTask(task)) return;
    const numVersions = (task as LoadTask).with.versionInfo.length;
    const partsOf = (v: number): Array<LoadResultPart | null | undefined> =>
      measurements.map((m) => m?.tasks.find((t) => t.index === index)?.versions[v]);
    const merged: Array<LoadResult | null> = [];
    const details: ShardLoadDetails[] = [];
    for (let v = 0; v < numVersions; v++) {
      const parts = partsOf(v);
      const present = parts.filter((p): p is LoadResultPart => p !== undefined && p !== null);
      merged.push(present.length > 0 ? mergeLoadResults(present) : null);
      details.push({
        count,
        requests: Array.from({ length: count }, (_, s) => parts[s]?.result.requests ?? null),
        startSkewMs: Math.round(startSkewMs * 10) / 10,
      });
    }
    results.set(index, merged);
    shards.set(index, details);
  });
  return { results, shards, problems };
}

/**
 * Runs shard `shard` of `count` of an experiment. Every shard takes its share of each load task
 * (`splitExperiment`), waits until all shards are ready (or `readyTimeoutMs`), sleeps until the
 * common start, loads, and publishes its encoded measurement through `exchange` (or its failure).
 *
 * Shard 0 runs the experiment as `runExperiment` does, with the load tasks in their place: the
 * tasks before the first load run before it marks ready; after its own load it waits up to
 * `reportTimeoutMs` for the others, merges every shard's measurement exactly (histograms merged,
 * counters summed: `mergeLoadResults`) and records the merged results through the load task's own
 * path, with `loadDetails[v].shards` (requests per shard, start skew); then it runs the remaining
 * tasks once and writes the result (to `resultFile` and `exchange.writeResult`). A shard that
 * failed or never reported fails the experiment with `failedTask` naming it and why, after the
 * other shards' measurements are recorded. When `signal` aborts, what was measured is kept.
 *
 * Throws `EngineError` `ITER8_SHARD_SPLIT` (after publishing it) when the experiment cannot be
 * split so; a non-zero shard rethrows the failure of its load after publishing it.
 */
export async function runShard(
  experiment: Experiment,
  options: RunShardOptions,
): Promise<ShardRunResult> {
  const { shard, count, exchange } = options;
  const timing: ShardTiming = {
    readyTimeoutMs: options.readyTimeoutMs ?? SHARD_DEFAULTS.readyTimeoutMs,
    reportTimeoutMs: options.reportTimeoutMs ?? SHARD_DEFAULTS.reportTimeoutMs,
    startMarginMs: options.startMarginMs ?? SHARD_DEFAULTS.startMarginMs,
    pollIntervalMs: options.pollIntervalMs ?? SHARD_DEFAULTS.pollIntervalMs,
  };
  let split: Experiment;
  try {
    split = splitExperiment(experiment, shard, count);
  } catch (error) {
    await exchange.publishFailure(shard, messageOf(error)).catch(() => undefined);
    throw error;
  }
  const signal = options.signal ?? new AbortController().signal;
  const emit = options.onEvent ?? (() => undefined);

  if (shard !== 0) {
    const measurement = await loadShare(split, options, timing, signal, emit);
    return { shard, measurement, aborted: signal.aborted };
  }

  let loadBegan = false;
  let own: ShardMeasurement | undefined;
  let merged: MergedShards | undefined;
  const recorded = new Set<number>();
  const record = (index: number, ctx: Pick<TaskContext, "result">): void => {
    const results = merged?.results.get(index);
    if (!results || recorded.has(index)) return;
    recorded.add(index);
    const details = recordLoadResults(split.tasks[index] as LoadTask, ctx, results);
    merged?.shards.get(index)?.forEach((shards, v) => {
      const entry = details[v];
      if (entry && results[v]) entry.shards = shards;
    });
  };
  const shardedLoad: TaskRunner = async (_task, ctx) => {
    if (!loadBegan) {
      loadBegan = true;
      own = await loadShare(split, options, timing, ctx.signal, ctx.emit);
      const reports = await gatherReports(exchange, count, timing, ctx.signal);
      merged = mergeShards(split, own, reports, timing, ctx.signal.aborted);
      if (merged.problems.length > 0 || ctx.signal.aborted) {
        // Keep every load task's measurements before the run stops here.
        for (const index of merged.results.keys()) record(index, ctx);
      }
      if (merged.problems.length > 0) {
        throw new EngineError(ENGINE_ERROR_CODES.shardFailed, merged.problems.join("; "));
      }
    }
    record(ctx.index, ctx);
  };
  const base = options.registry ?? createTaskRegistry();
  const registry: TaskRegistry = {
    get: (name) => (isShardedTaskName(name) ? shardedLoad : base.get(name)),
    register: (name, runner) => base.register(name, runner),
    names: () => base.names(),
  };
  const result = await runExperiment(split, { ...options, registry });
  if (!loadBegan && (result.failure || result.aborted)) {
    const why = result.failedTask
      ? `task [${result.failedTask.index}] (${result.failedTask.task}) failed before the load: ${result.failedTask.message}`
      : "interrupted before the load";
    await exchange.publishFailure(0, why).catch(() => undefined);
  }
  await exchange.writeResult(formatResult(result));
  const out: ShardRunResult = { shard, result, aborted: result.aborted === true };
  if (own) out.measurement = own;
  return out;
}
