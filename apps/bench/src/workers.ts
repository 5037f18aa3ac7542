// The `workers` scenario (issue #20): unpaced HTTP throughput of `runLoad` with 1, 2, 4 and 8
// worker threads against an nginx with one worker process per core, neither pinned to one core.
// Scaling is judged only at the worker counts this machine has cores for; the others are
// reported as measured, with the cores they would need.
import type { RunOutcome } from "./generators.js";
import type { GeneratorSummary, TargetCheck } from "./results.js";
import { summarizeRuns } from "./results.js";
import type { Section } from "./report.js";
import { median } from "./stats.js";

/** What the `workers` scenario loads. */
export interface WorkersBenchConfig {
  /** Worker counts, in order; the first is the baseline the others are compared with. */
  counts: number[];
  /** Connections per worker thread (the load grows with the workers). */
  connectionsPerWorker: number;
  /** Length of each run, in s. */
  durationS: number;
}

/** The scenario's defaults: 1, 2, 4, 8 workers, 10 connections each, runs of at most 5 s. */
export function workersConfig(durationS: number): WorkersBenchConfig {
  return { counts: [1, 2, 4, 8], connectionsPerWorker: 10, durationS: Math.min(durationS, 5) };
}

/** The bar of issue #20: throughput at w workers >= 0.8 x (w x one worker's). */
export const WORKERS_EFFICIENCY_TARGET = 0.8;

/**
 * Cores a machine needs before scaling to `workers` threads can be judged: one per worker thread
 * for the generator, and as many again for nginx (its requests are cheaper than the generator's,
 * so this is a generous share; fewer and the two compete for cores).
 */
export function coresNeeded(workers: number): number {
  return 2 * workers;
}

/** Medians of one worker count's runs, and its scaling against the first count. */
export interface WorkersCase {
  /** Worker threads. */
  workers: number;
  /** Connections over all workers. */
  connections: number;
  /** The generator's medians (req/s, CPU µs/req, RSS, latency). */
  generator: GeneratorSummary;
  /** nginx's CPU use during the runs, in cores (median). */
  nginxCores: number;
  /** Throughput over the baseline's (the first count's). */
  speedup: number;
  /** `speedup` over the linear speedup (workers / baseline workers); 1 = linear. */
  efficiency: number;
  /** Whether this machine has `coresNeeded(workers)` cores, so the efficiency is judged. */
  judged: boolean;
}

/** What the `workers` scenario measured. */
export interface WorkersResult {
  /** Cores of the machine. */
  cores: number;
  /** Length of each run, in s. */
  durationS: number;
  /** One case per worker count, in the configured order. */
  cases: WorkersCase[];
}

/** Summarises the runs of each worker count (and nginx's CPU share in each) into scaling figures. */
export function summarizeWorkers(
  config: WorkersBenchConfig,
  cores: number,
  runs: ReadonlyMap<number, readonly RunOutcome[]>,
  nginxCores: ReadonlyMap<number, readonly number[]>,
): WorkersResult {
  const summaries = config.counts.map((workers) => ({
    workers,
    generator: summarizeRuns(runs.get(workers) ?? []),
  }));
  const base = summaries[0];
  const cases = summaries.map(({ workers, generator }): WorkersCase => {
    const speedup = base && base.generator.rate > 0 ? generator.rate / base.generator.rate : NaN;
    const linear = base ? workers / base.workers : NaN;
    return {
      workers,
      connections: workers * config.connectionsPerWorker,
      generator,
      nginxCores: median([...(nginxCores.get(workers) ?? [])]),
      speedup,
      efficiency: speedup / linear,
      judged: cores >= coresNeeded(workers),
    };
  });
  return { cores, durationS: config.durationS, cases };
}

function fixed(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "n/a";
}

/**
 * The scaling checks: every count past the baseline, judged where the machine has the cores and
 * otherwise reported as not measured, saying how many cores it needs.
 */
export function workersChecks(result: WorkersResult): TargetCheck[] {
  return result.cases.slice(1).map((c) => {
    const shown = `${fixed(c.efficiency)}x linear (${fixed(c.speedup)}x one worker)`;
    const name = `workers: throughput at ${c.workers} workers`;
    const target = `>= ${WORKERS_EFFICIENCY_TARGET}x linear`;
    if (!Number.isFinite(c.efficiency)) return { name, target, value: "n/a", pass: null };
    if (!c.judged) {
      return {
        name,
        target,
        value: `${shown}; needs >= ${coresNeeded(c.workers)} cores, this machine has ${result.cores}`,
        pass: null,
      };
    }
    return { name, target, value: shown, pass: c.efficiency >= WORKERS_EFFICIENCY_TARGET };
  });
}

function num(value: number, digits = 0): string {
  return Number.isFinite(value)
    ? value.toLocaleString("en-US", {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : "n/a";
}

/** The scenario's table. */
export function workersSection(result: WorkersResult, runs: number): Section {
  return {
    title: `Throughput by worker threads against nginx with ${result.cores} worker processes (req/s, median of ${runs} x ${result.durationS} s; scaling is judged where the machine has 2 cores per worker: here ${result.cores} cores)`,
    headers: [
      "workers",
      "connections",
      "req/s",
      "x one worker",
      "x linear",
      "CPU µs/req",
      "nginx cores busy",
      "judged",
    ],
    rows: result.cases.map((c) => [
      String(c.workers),
      String(c.connections),
      num(c.generator.rate),
      fixed(c.speedup),
      fixed(c.efficiency),
      num(c.generator.cpuUsPerRequest, 1),
      fixed(c.nginxCores),
      c.judged ? "yes" : `no: needs >= ${coresNeeded(c.workers)} cores`,
    ]),
  };
}
