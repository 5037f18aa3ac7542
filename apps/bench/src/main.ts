// `pnpm bench`: iter8's load generator against autocannon and wrk on loopback. See README.md.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg, release } from "node:os";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { GREETER_PROTO_PATH } from "@iter8/demo-app";
import type { Pacing } from "@iter8/loadgen";
import { GENERATORS, GRPC_GENERATORS, runGenerator, runGrpcGenerator } from "./generators.js";
import type {
  GeneratorName,
  GeneratorPaths,
  GrpcGeneratorName,
  GrpcGeneratorPaths,
  GrpcLoadSpec,
  LoadSpec,
  RunOutcome,
} from "./generators.js";
import {
  killAllChildren,
  startNginx,
  startNodeTarget,
  startTrafficProxyTarget,
} from "./processes.js";
import type { NodeTarget, Target } from "./processes.js";
import { buildSections, renderMarkdown, renderText } from "./report.js";
import {
  SCENARIOS,
  analyticCoPercentiles,
  evaluateTargets,
  expandScenarios,
  summarizeCoRuns,
  summarizeGrpcThroughput,
  summarizePacedRuns,
  pairedMedian,
  summarizeRuns,
} from "./results.js";
import type {
  BenchConfig,
  BenchResults,
  CoResult,
  GrpcResults,
  GrpcThroughputCase,
  PacedRun,
  ProxyPeakCase,
  ProxyResult,
  RateCase,
  RssResult,
  Scenario,
  ThroughputCase,
} from "./results.js";
import { pickRssAt } from "./runner-protocol.js";
import { BENCH_STALL } from "./co-analytic.js";
import { median, ratio, summarizeArrivals } from "./stats.js";
import { ensureTools } from "./tools.js";
import type { Tools } from "./tools.js";
import { describeNoise, NOISY_SHARE, probeHostNoise } from "./host-noise.js";
import type { CoreNoise } from "./host-noise.js";
import {
  busyShare,
  choosePacedRate,
  describeTries,
  pacedRateNote,
  parseCoreTicks,
} from "./proxy-rate.js";
import type { CoreTicks, PacedRateChoice } from "./proxy-rate.js";
import { summarizeWorkers, workersChecks, workersConfig } from "./workers.js";
import type { WorkersResult } from "./workers.js";

/** Core for the targets (nginx, Node server) and for the generator under test. */
/** How long the host-noise probe spins on each core, before and after the scenarios (ms). */
const NOISE_PROBE_MS = 3000;
const TARGET_CORE = 0;
const GENERATOR_CORE = 1;
const MIB = 1024 * 1024;

/** The gRPC coordinated-omission check's rate (calls/s). */
const GRPC_CO_RATE = 1000;

const HELP = `Usage: pnpm bench [--quick] [--only throughput,rate,rss,co,proxy,grpc-throughput,grpc-rate,grpc-co,grpc,workers] [--runs N] [--duration S] [--rss-duration S] [--co-connections N] [--proxy-rounds N] [--proxy-pacing timer|precise]

  --quick           1 run of each, 3 s runs, 6 s RSS run (development; writes results/dev.json)
  --only LIST       run only these scenarios (comma-separated; writes results/dev.json);
                    grpc = grpc-throughput,grpc-rate,grpc-co; workers = runLoad with
                    1, 2, 4, 8 worker threads (runs of at most 5 s), unpinned
  --runs N          runs per measurement (default 3; medians are reported)
  --duration S      seconds per throughput / fixed-rate / CO run (default 10)
  --rss-duration S  seconds of iter8's RSS-stability run (default 60)
  --co-connections N  connections of the coordinated-omission check (default 50)
  --proxy-rounds N  rounds of the proxy scenario (default 5): each runs both proxies' peaks (in
                    front of the Node upstream, then of nginx), then the paced paths, back to
                    back; its ratios and differences are taken per round
  --proxy-pacing P  how the proxy scenario's paced runs are timed: precise (default) or timer
`;

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function pacingFlag(raw: string | undefined): Pacing {
  // Precise by default: evenly spaced requests are what "added latency at a rate" means. With
  // timer pacing the bursts (requests due in the same millisecond) queue at the Node upstream,
  // which shares core 0 with the generator, more when they reach it directly than through a
  // proxy on core 1 that spaces them out: a run at 5,964/s read "added" -0.29 ms for iter8.
  if (raw === undefined) return "precise";
  if (raw === "timer" || raw === "precise") return raw;
  throw new Error(`--proxy-pacing: expected timer or precise, got "${raw}"`);
}

function parseConfig(argv: string[]): BenchConfig | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      runs: { type: "string" },
      duration: { type: "string" },
      "rss-duration": { type: "string" },
      "co-connections": { type: "string" },
      "proxy-rounds": { type: "string" },
      "proxy-pacing": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    log(HELP);
    return undefined;
  }
  const only = expandScenarios(
    (values.only ?? [])
      .flatMap((v) => v.split(","))
      .map((v) => v.trim())
      .filter(Boolean),
  );
  const positive = (raw: string | undefined, flag: string, fallback: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0)
      throw new Error(`${flag}: expected a positive integer, got "${raw}"`);
    return n;
  };
  const quick = values.quick;
  const durationS = positive(values.duration, "--duration", quick ? 3 : 10);
  const rssDurationS = positive(values["rss-duration"], "--rss-duration", quick ? 6 : 60);
  return {
    runs: positive(values.runs, "--runs", quick ? 1 : 3),
    proxyRounds: positive(values["proxy-rounds"], "--proxy-rounds", quick ? 1 : 5),
    proxyPacing: pacingFlag(values["proxy-pacing"]),
    durationS,
    rssDurationS,
    rssEarlyS: Math.min(10, Math.max(1, Math.floor(rssDurationS / 6))),
    throughputConnections: [10, 50],
    rates: [1000, 5000, 10000],
    rateConnections: 10,
    // Paced runs warm up 3 s, not the run's default 1 s: at 1 000 req/s one second is 1 000
    // requests, and V8 is still optimising undici's and the engine's hot functions for the next
    // two seconds, on background threads that share the generator's core; dispatch lag p99 then
    // reads ~0.9 ms instead of ~0.35 ms (five alternating pairs). The bench judges steady state.
    warmupMs: 3000,
    co: { rate: 1000, connections: positive(values["co-connections"], "--co-connections", 50) },
    grpc: {
      // 10 x 5 is the shape h2load reached ~35k calls/s with on this kind of machine (issue #17);
      // 1 x 50 is ghz's default (one connection, 50 in flight), as grpc-js shares one connection.
      throughputCases: [
        { connections: 10, concurrency: 50 },
        { connections: 1, concurrency: 50 },
      ],
      rates: [1000, 5000],
      connections: 1,
      concurrency: 50,
      coRate: GRPC_CO_RATE,
      // The analytic CO percentiles assume every request leaves when it is due. A stall holds
      // rate x stall calls (500 at 1 000/s); with ghz's 50 in flight the other 450 wait inside
      // the generator and drain through 50 streams after each stall, at the gRPC path's
      // throughput (~90 ms on one core), which the p50 and p75 then measure (70 / 281 ms against
      // 0 / 250 on a quiet machine). The HTTP check's 50 connections drain the same backlog in a
      // few ms (HTTP/1.1 round trips on loopback are ~20x cheaper). So the gRPC check gets room
      // for a whole stall's calls, plus a fifth, on its one connection.
      coConcurrency: Math.ceil((GRPC_CO_RATE * BENCH_STALL.stallMs * 1.2) / 1000),
    },
    workers: workersConfig(durationS),
    only: only.length > 0 ? only : [...SCENARIOS],
    quick,
  };
}

/** Prints progress with an estimate of the time left. */
class Progress {
  private done = 0;
  private doneEstimateS = 0;
  private readonly startedAt = Date.now();
  constructor(
    private readonly steps: number,
    private readonly totalEstimateS: number,
  ) {}
  begin(label: string): void {
    const elapsedS = (Date.now() - this.startedAt) / 1000;
    const leftS = Math.max(0, this.totalEstimateS - this.doneEstimateS);
    // Steps the plan could not foresee (the proxy's paced-rate tries) extend the count.
    const steps = Math.max(this.steps, this.done + 1);
    process.stdout.write(
      `[${String(this.done + 1).padStart(String(steps).length)}/${steps}] ${formatDuration(elapsedS)} elapsed, ~${formatDuration(leftS)} left · ${label} ... `,
    );
  }
  end(estimateS: number, summary: string): void {
    this.done += 1;
    this.doneEstimateS += estimateS;
    process.stdout.write(`${summary}\n`);
  }
}

function formatDuration(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}

function describe(outcome: RunOutcome): string {
  if (!outcome.ok) return `FAILED: ${outcome.error}`;
  const r = outcome.run;
  // h2load reports no percentiles, only the max.
  const latency = Number.isFinite(r.latencyMs.p99)
    ? `p99 ${r.latencyMs.p99.toFixed(2)} ms`
    : `max ${r.latencyMs.max.toFixed(2)} ms`;
  return `${Math.round(r.rate).toLocaleString("en-US")} req/s, ${latency}, ${r.peakRssMb.toFixed(0)} MiB, ${r.cpuUsPerRequest.toFixed(1)} µs CPU/req${r.errors > 0 ? `, ${r.errors} errors` : ""}`;
}

/** Per-step overhead estimate (process start, connection set-up, result parsing). */
const STEP_OVERHEAD_S = 1.5;

function plan(config: BenchConfig): { steps: number; estimateS: number } {
  const has = (s: Scenario): boolean => config.only.includes(s);
  let steps = 0;
  let estimateS = 0;
  const add = (n: number, eachS: number): void => {
    steps += n;
    estimateS += n * (eachS + STEP_OVERHEAD_S);
  };
  if (has("throughput"))
    add(config.runs * config.throughputConnections.length * GENERATORS.length, config.durationS);
  const paced = config.durationS + config.warmupMs / 1000;
  if (has("rate")) add(config.runs * config.rates.length * 2, paced);
  if (has("rss")) add(config.runs, config.rssDurationS);
  if (has("co")) add(config.runs * 2, paced);
  if (has("grpc-throughput"))
    add(
      config.runs * config.grpc.throughputCases.length * GRPC_GENERATORS.length,
      config.durationS,
    );
  if (has("grpc-rate")) add(config.runs * config.grpc.rates.length, paced);
  if (has("grpc-co")) add(config.runs, paced);
  if (has("workers"))
    add(config.runs * config.workers.counts.length, config.workers.durationS + WORKERS_WARMUP_S);
  if (has("proxy")) {
    // Peak rounds in front of the Node upstream and of nginx, then one warmed pair for the paced runs.
    add((config.proxyRounds * 2 + 1) * 2, PROXY_WARMUP_S);
    add(config.proxyRounds * 2 * 2, config.durationS);
    add(config.proxyRounds * 3, paced);
    // The paced rate's first try (more only where the direct path cannot carry half the peak).
    add(1, proxyRateProbeS(config) + config.warmupMs / 1000);
  }
  return { steps, estimateS };
}

interface Context {
  config: BenchConfig;
  tools: Tools;
  paths: GeneratorPaths & GrpcGeneratorPaths & { serverScript: string; proxyScript: string };
  progress: Progress;
}

async function runStep(
  ctx: Context,
  label: string,
  generator: GeneratorName,
  spec: LoadSpec,
  core: number | string = GENERATOR_CORE,
): Promise<RunOutcome> {
  ctx.progress.begin(label);
  const outcome = await runGenerator(generator, spec, ctx.tools, ctx.paths, core);
  ctx.progress.end(spec.durationS + (spec.warmupMs ?? 0) / 1000, describe(outcome));
  return outcome;
}

async function runGrpcStep(
  ctx: Context,
  label: string,
  generator: GrpcGeneratorName,
  spec: GrpcLoadSpec,
): Promise<RunOutcome> {
  ctx.progress.begin(label);
  const outcome = await runGrpcGenerator(generator, spec, ctx.tools, ctx.paths, GENERATOR_CORE);
  ctx.progress.end(spec.durationS + (spec.warmupMs ?? 0) / 1000, describe(outcome));
  return outcome;
}

/** `host:port` of a target's URL, as gRPC generators take it. */
function hostOf(target: Target): string {
  return new URL(target.url).host;
}

/**
 * Unpaced unary calls against nginx over h2c, iter8 / grpc-js / h2load alternating; nginx's CPU
 * time over each run gives its headroom.
 */
async function runGrpcThroughput(ctx: Context, nginx: Target): Promise<GrpcThroughputCase[]> {
  const cases: GrpcThroughputCase[] = [];
  for (const shape of ctx.config.grpc.throughputCases) {
    const runs: Partial<Record<GrpcGeneratorName, RunOutcome[]>> = {};
    const busy: Partial<Record<GrpcGeneratorName, number[]>> = {};
    for (let i = 1; i <= ctx.config.runs; i++) {
      for (const generator of GRPC_GENERATORS) {
        const cpuBefore = await nginx.cpuSeconds();
        const outcome = await runGrpcStep(
          ctx,
          `grpc throughput ${shape.connections}x${shape.concurrency / shape.connections} ${generator} run ${i}/${ctx.config.runs}`,
          generator,
          {
            host: hostOf(nginx),
            connections: shape.connections,
            concurrency: shape.concurrency,
            durationS: ctx.config.durationS,
            rate: 0,
          },
        );
        const cpu = (await nginx.cpuSeconds()) - cpuBefore;
        if (outcome.ok && outcome.run.durationS > 0) {
          const share = cpu / outcome.run.durationS;
          (busy[generator] ??= []).push(share);
          log(`      nginx busy ${(share * 100).toFixed(0)}% of its core`);
        }
        (runs[generator] ??= []).push(outcome);
      }
    }
    cases.push(summarizeGrpcThroughput(shape, runs, busy));
  }
  return cases;
}

async function runThroughput(ctx: Context, nginx: Target): Promise<ThroughputCase[]> {
  const cases: ThroughputCase[] = [];
  for (const connections of ctx.config.throughputConnections) {
    const runs: Partial<Record<GeneratorName, RunOutcome[]>> = {};
    // Generators alternate within each round, so drift on the machine hits all of them alike.
    for (let i = 1; i <= ctx.config.runs; i++) {
      for (const generator of GENERATORS) {
        const outcome = await runStep(
          ctx,
          `throughput c=${connections} ${generator} run ${i}/${ctx.config.runs}`,
          generator,
          {
            url: nginx.url,
            connections,
            durationS: ctx.config.durationS,
            rate: 0,
          },
        );
        (runs[generator] ??= []).push(outcome);
      }
    }
    const generators = Object.fromEntries(
      Object.entries(runs).map(([name, outcomes]) => [name, summarizeRuns(outcomes)]),
    ) as ThroughputCase["generators"];
    cases.push({
      connections,
      generators,
      ratios: {
        iter8VsAutocannon: ratio(generators.iter8?.rate, generators.autocannon?.rate),
        iter8VsWrk: ratio(generators.iter8?.rate, generators.wrk?.rate),
        iter8CliVsAutocannon: ratio(generators["iter8-cli"]?.rate, generators.autocannon?.rate),
      },
      runs,
    });
  }
  return cases;
}

const PACED_GENERATORS = ["iter8", "autocannon"] as const satisfies readonly GeneratorName[];

/** Runs one paced load of `generator` at `rate`; `label` names the step. */
type PacedLaunch = (generator: GeneratorName, rate: number, label: string) => Promise<RunOutcome>;

/** HTTP: iter8 and autocannon at each rate with the same connections and warm-up. */
function httpPaced(ctx: Context, target: Target, connections: number): PacedLaunch {
  return (generator, rate, label) =>
    runStep(ctx, label, generator, {
      url: target.url,
      connections,
      durationS: ctx.config.durationS,
      rate,
      warmupMs: ctx.config.warmupMs,
    });
}

/** gRPC: iter8's runGrpcLoad (the only gRPC generator here that paces), `concurrency` in flight. */
function grpcPaced(ctx: Context, target: Target, concurrency: number): PacedLaunch {
  return (_generator, rate, label) =>
    runGrpcStep(ctx, label, "iter8", {
      host: hostOf(target),
      connections: ctx.config.grpc.connections,
      concurrency,
      durationS: ctx.config.durationS,
      rate,
      warmupMs: ctx.config.warmupMs,
    });
}

async function runRates(
  ctx: Context,
  target: NodeTarget,
  options: {
    rates: readonly number[];
    generators: readonly GeneratorName[];
    launch: PacedLaunch;
    prefix: string;
    connections: number;
    concurrency?: number;
  },
): Promise<RateCase[]> {
  const cases: RateCase[] = [];
  for (const targetRate of options.rates) {
    const runs: Partial<Record<GeneratorName, PacedRun[]>> = {};
    for (let i = 1; i <= ctx.config.runs; i++) {
      for (const generator of options.generators) {
        await target.reset();
        const outcome = await options.launch(
          generator,
          targetRate,
          `${options.prefix}rate ${targetRate}/s ${generator} run ${i}/${ctx.config.runs}`,
        );
        const summary = summarizeArrivals(await target.arrivals(), {
          targetRate,
          skipMs: ctx.config.warmupMs,
        });
        const paced: PacedRun = { outcome };
        if (summary !== undefined) {
          const {
            steadyRate,
            rateError,
            worstWindowDeviation,
            worstWindowCount,
            expectedPerWindow,
          } = summary;
          paced.pacing = {
            steadyRate,
            rateError,
            worstWindowDeviation,
            worstWindowCount,
            expectedPerWindow,
          };
          log(
            `      server: ${Math.round(steadyRate)} req/s steady, worst 100 ms window ${worstWindowCount} (expected ${expectedPerWindow})`,
          );
        }
        (runs[generator] ??= []).push(paced);
      }
    }
    const generators = Object.fromEntries(
      Object.entries(runs).map(([name, paced]) => [name, summarizePacedRuns(paced, targetRate)]),
    ) as RateCase["generators"];
    cases.push({
      targetRate,
      connections: options.connections,
      ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
      generators,
      runs,
    });
  }
  return cases;
}

async function runRss(ctx: Context, nginx: Target): Promise<RssResult> {
  const connections = 50;
  const runs: RunOutcome[] = [];
  const early: number[] = [];
  const late: number[] = [];
  const growth: number[] = [];
  for (let i = 1; i <= ctx.config.runs; i++) {
    const outcome = await runStep(
      ctx,
      `rss ${ctx.config.rssDurationS} s iter8 run ${i}/${ctx.config.runs}`,
      "iter8",
      {
        url: nginx.url,
        connections,
        durationS: ctx.config.rssDurationS,
        rate: 0,
        rssSampleEveryMs: 1000,
      },
    );
    runs.push(outcome);
    const samples = outcome.ok ? (outcome.run.iter8?.rssSamples ?? []) : [];
    const a = pickRssAt(samples, ctx.config.rssEarlyS * 1000);
    const b = pickRssAt(samples, ctx.config.rssDurationS * 1000);
    if (a && b) {
      early.push(a.rssBytes / MIB);
      late.push(b.rssBytes / MIB);
      growth.push((b.rssBytes - a.rssBytes) / MIB);
      log(
        `      RSS ${(a.rssBytes / MIB).toFixed(1)} MiB at ${a.atMs} ms, ${(b.rssBytes / MIB).toFixed(1)} MiB at ${b.atMs} ms`,
      );
    }
  }
  return {
    durationS: ctx.config.rssDurationS,
    earlyS: ctx.config.rssEarlyS,
    connections,
    earlyMb: median(early),
    lateMb: median(late),
    growthMb: median(growth),
    runs,
  };
}

async function runCo(
  ctx: Context,
  target: NodeTarget,
  options: {
    rate: number;
    generators: readonly GeneratorName[];
    launch: PacedLaunch;
    prefix: string;
    connections: number;
    concurrency?: number;
  },
): Promise<CoResult> {
  const runs: Partial<Record<GeneratorName, RunOutcome[]>> = {};
  for (let i = 1; i <= ctx.config.runs; i++) {
    for (const generator of options.generators) {
      // No stalls during the warm-up (see target-server.ts).
      await target.reset(ctx.config.warmupMs);
      const outcome = await options.launch(
        generator,
        options.rate,
        `${options.prefix}co ${options.rate}/s ${generator} run ${i}/${ctx.config.runs}`,
      );
      if (outcome.ok) {
        const l = outcome.run.latencyMs;
        const i = outcome.run.iter8;
        const ms = (us: number): string => (us / 1000).toFixed(1);
        const extra = i
          ? `; service time p50/p99 ${ms(i.serviceTimeUs.p50)}/${ms(i.serviceTimeUs.p99)} ms, queue wait p50/p99 ${ms(i.queueWaitUs.p50)}/${ms(i.queueWaitUs.p99)} ms`
          : "";
        log(
          `      p50 ${l.p50.toFixed(1)} ms, p75 ${l.p75.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms${extra}`,
        );
      }
      (runs[generator] ??= []).push(outcome);
    }
  }
  return {
    rate: options.rate,
    connections: options.connections,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    stall: { ...BENCH_STALL },
    analyticMs: analyticCoPercentiles(),
    generators: Object.fromEntries(
      Object.entries(runs).map(([name, outcomes]) => [name, summarizeCoRuns(outcomes)]),
    ),
    runs,
  };
}

const PROXY_CONNECTIONS = 50;
// The paced runs use as many connections as the peak runs. With 10, the generator's own limit
// (10 connections / 6 600 per s = 1.5 ms per round trip, by Little's law) sits at the round-trip
// time through a proxy, so a queue forms inside the generator and the figure measures that queue.
const PROXY_PACED_CONNECTIONS = 50;
/** Seconds of discarded closed-loop load on each proxy before its peak runs. */
const PROXY_WARMUP_S = 5;

/** Seconds of each paced-rate try straight to the upstream (after the usual warm-up). */
function proxyRateProbeS(config: BenchConfig): number {
  return Math.min(3, config.durationS);
}

/** One log line on how the proxy scenario's paced rate was chosen. */
function describePacedRate(choice: PacedRateChoice): string {
  const note = pacedRateNote(choice);
  return `proxy paced rate: ${choice.rate}/s${note === "" ? ", half the iter8 proxy's peak" : note} (tries: ${describeTries(choice)})`;
}

/** The counters of `core` now, or undefined where /proc/stat cannot be read. */
async function readCoreTicks(core: number): Promise<CoreTicks | undefined> {
  try {
    return parseCoreTicks(await readFile("/proc/stat", "utf8"), core);
  } catch {
    return undefined;
  }
}

/** The proxies under test, in the order odd rounds run them. */
const PROXIES = ["nginx", "iter8"] as const;

/**
 * Peak rounds of both proxies in front of `upstreamUrl`: each round starts both afresh (on this
 * VM a proxy process can run at half its usual rate for minutes while the other proxy, run in
 * between, does not: a full run had iter8 at 14,059, 14,569, then 8,269, 8,334 and 8,198/s, nginx
 * 26,025-26,611/s around them, so one process's spell must not decide every round), warms them,
 * then runs wrk against each in alternating order. Each proxy's CPU time over its run (from
 * /proc) gives its CPU µs per request, a figure the machine's load moves far less than req/s.
 */
async function runProxyPeaks(
  ctx: Context,
  upstreamUrl: string,
  label: string,
): Promise<ProxyPeakCase & { runs: Record<string, RunOutcome[]> }> {
  const rounds = ctx.config.proxyRounds;
  const runs: Record<string, RunOutcome[]> = {};
  const cpu: Record<(typeof PROXIES)[number], number[]> = { nginx: [], iter8: [] };
  for (let i = 1; i <= rounds; i++) {
    await withProxies(ctx, upstreamUrl, async (targets) => {
      for (const name of inRoundOrder(PROXIES, i)) {
        const before = await targets[name].cpuSeconds();
        const outcome = await runStep(
          ctx,
          `proxy peak ${name} (wrk c=${PROXY_CONNECTIONS}, ${label}) round ${i}/${rounds}`,
          "wrk",
          {
            url: targets[name].url,
            connections: PROXY_CONNECTIONS,
            durationS: ctx.config.durationS,
            rate: 0,
          },
          TARGET_CORE,
        );
        const used = (await targets[name].cpuSeconds()) - before;
        const ok = outcome.ok && outcome.run.requests > 0 && Number.isFinite(used);
        const perRequest = ok ? (used * 1e6) / outcome.run.requests : Number.NaN;
        cpu[name].push(perRequest);
        if (ok) log(`      ${name} proxy: ${perRequest.toFixed(1)} µs CPU per request`);
        (runs[`peak-${name}`] ??= []).push(outcome);
      }
    });
  }
  return {
    peak: {
      nginx: summarizeRuns(runs["peak-nginx"] ?? []),
      iter8: summarizeRuns(runs["peak-iter8"] ?? []),
    },
    throughputRatio: pairedMedian(
      runs["peak-iter8"] ?? [],
      runs["peak-nginx"] ?? [],
      (mine, theirs) => ratio(mine.rate, theirs.rate),
    ),
    proxyCpuUsPerRequest: { nginx: finiteMedian(cpu.nginx), iter8: finiteMedian(cpu.iter8) },
    cpuRatio: finiteMedian(cpu.iter8.map((mine, i) => mine / (cpu.nginx[i] ?? Number.NaN))),
    runs,
  };
}

/** The median of the finite values (NaN marks a round that measured nothing). */
function finiteMedian(values: readonly number[]): number {
  return median(values.filter((v) => Number.isFinite(v)));
}

/** Rounds run their steps in alternating order, so neither side always goes first. */
function inRoundOrder<T>(names: readonly T[], round: number): T[] {
  return round % 2 === 1 ? [...names] : [...names].reverse();
}

/**
 * iter8's traffic proxy against nginx as a reverse proxy, both pinned to the generator core, in
 * front of the same upstream on the target core: the bench's Node server, then nginx serving a
 * static answer (where the proxy's own cost decides the ratio); the generators share the
 * upstream's core, so the proxy under test has a core to itself. Peak: wrk, closed loop, in
 * rounds, each with freshly started and warmed proxies. Then, in front of the Node upstream,
 * iter8's runLoad paced at 50% of the iter8 proxy's median peak, straight to the upstream and
 * through each proxy, in rounds.
 */
async function runProxy(ctx: Context): Promise<ProxyResult> {
  const { tools, paths, config } = ctx;
  log(
    `proxy: upstream and generators on core ${TARGET_CORE}, the proxy under test (nginx or iter8) on core ${GENERATOR_CORE}`,
  );
  const upstream = await startNodeTarget(
    { taskset: tools.taskset, serverScript: paths.serverScript },
    "ok",
    TARGET_CORE,
  );
  const rounds = config.proxyRounds;
  try {
    const { runs, ...nodeCase } = await runProxyPeaks(ctx, upstream.url, "Node upstream");
    const nginxUpstream = await withTarget(
      () => startNginx(tools, TARGET_CORE),
      async (target) => {
        const { runs: nginxRuns, ...peaks } = await runProxyPeaks(
          ctx,
          target.url,
          "nginx upstream",
        );
        for (const [key, outcomes] of Object.entries(nginxRuns))
          runs[`nginx-upstream-${key}`] = outcomes;
        return peaks;
      },
    );
    const choice = await choosePacedRate(nodeCase.peak.iter8.rate / 2, async (rate) => {
      const before = await readCoreTicks(TARGET_CORE);
      const outcome = await runStep(
        ctx,
        `proxy paced rate: direct at ${rate}/s (does the direct path carry it?)`,
        "iter8",
        {
          url: upstream.url,
          connections: PROXY_PACED_CONNECTIONS,
          durationS: proxyRateProbeS(config),
          rate,
          warmupMs: config.warmupMs,
          pacing: config.proxyPacing,
        },
        TARGET_CORE,
      );
      const coreBusy = busyShare(before, await readCoreTicks(TARGET_CORE));
      return outcome.ok
        ? { rate: outcome.run.rate, p50Ms: outcome.run.latencyMs.p50, coreBusy }
        : undefined;
    });
    const pacedRate = choice.rate;
    log(describePacedRate(choice));
    await withProxies(ctx, upstream.url, async (proxies) => {
      const pacedTargets = { direct: upstream, ...proxies } as const;
      for (let i = 1; i <= rounds; i++) {
        for (const name of inRoundOrder(["direct", "nginx", "iter8"] as const, i)) {
          const outcome = await runStep(
            ctx,
            `proxy paced (${config.proxyPacing}) ${name} at ${pacedRate}/s round ${i}/${rounds}`,
            "iter8",
            {
              url: pacedTargets[name].url,
              connections: PROXY_PACED_CONNECTIONS,
              durationS: config.durationS,
              rate: pacedRate,
              warmupMs: config.warmupMs,
              pacing: config.proxyPacing,
            },
            TARGET_CORE,
          );
          (runs[`paced-${name}`] ??= []).push(outcome);
        }
      }
    });
    const paced = {
      direct: summarizeRuns(runs["paced-direct"] ?? []),
      nginx: summarizeRuns(runs["paced-nginx"] ?? []),
      iter8: summarizeRuns(runs["paced-iter8"] ?? []),
    };
    const added = (name: "nginx" | "iter8"): number =>
      pairedMedian(
        runs[`paced-${name}`] ?? [],
        runs["paced-direct"] ?? [],
        (through, direct) => through.latencyMs.p50 - direct.latencyMs.p50,
      );
    return {
      connections: PROXY_CONNECTIONS,
      rounds,
      ...nodeCase,
      nginxUpstream,
      pacedRate,
      pacedRateChoice: choice,
      pacing: config.proxyPacing,
      pacedConnections: PROXY_PACED_CONNECTIONS,
      paced,
      addedMedianMs: { nginx: added("nginx"), iter8: added("iter8") },
      runs,
    };
  } finally {
    await upstream.stop();
  }
}

/**
 * Starts nginx and iter8's proxy in front of `upstreamUrl` on the generator core, warms each with
 * `PROXY_WARMUP_S` of discarded wrk load (wrk has no warm-up of its own, and iter8's proxy is a
 * fresh Node process: its first seconds run unoptimised code, p99 300-400 ms), runs `use`, stops both.
 */
async function withProxies(
  ctx: Context,
  upstreamUrl: string,
  use: (proxies: { nginx: Target; iter8: Target }) => Promise<void>,
): Promise<void> {
  const { tools, paths } = ctx;
  const started: Target[] = [];
  try {
    const nginx = await startNginx(tools, GENERATOR_CORE, upstreamUrl);
    started.push(nginx);
    const iter8 = await startTrafficProxyTarget(
      { taskset: tools.taskset, proxyScript: paths.proxyScript },
      upstreamUrl,
      GENERATOR_CORE,
    );
    started.push(iter8);
    const proxies = { nginx, iter8 } as const;
    for (const name of ["nginx", "iter8"] as const) {
      await runStep(
        ctx,
        `proxy warm-up ${name} (wrk c=${PROXY_CONNECTIONS}, ${PROXY_WARMUP_S} s, discarded)`,
        "wrk",
        {
          url: proxies[name].url,
          connections: PROXY_CONNECTIONS,
          durationS: PROXY_WARMUP_S,
          rate: 0,
        },
        TARGET_CORE,
      );
    }
    await use(proxies);
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
}

async function withTarget<T, R>(
  start: () => Promise<T & Target>,
  use: (t: T & Target) => Promise<R>,
): Promise<R> {
  const target = await start();
  try {
    return await use(target);
  } finally {
    await target.stop();
  }
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Warm-up of each `workers` run: every worker thread compiles its hot paths first. */
const WORKERS_WARMUP_S = 1;

/**
 * `workers`: iter8 unpaced with 1, 2, 4, 8 worker threads against nginx with one worker process
 * per core; neither is pinned (both may use every core). nginx's CPU over each run shows whether
 * it kept up.
 */
async function runWorkers(ctx: Context): Promise<WorkersResult> {
  const cores = availableParallelism();
  const everyCore = `0-${cores - 1}`;
  const config = ctx.config.workers;
  return withTarget(
    () => startNginx(ctx.tools, everyCore, { kind: "ok", workerProcesses: cores }),
    async (nginx) => {
      const runs = new Map<number, RunOutcome[]>();
      const busy = new Map<number, number[]>();
      // Counts alternate within each round, so drift on the machine hits all of them alike.
      for (let i = 1; i <= ctx.config.runs; i++) {
        for (const workers of config.counts) {
          const cpuBefore = await nginx.cpuSeconds();
          const outcome = await runStep(
            ctx,
            `workers ${workers} run ${i}/${ctx.config.runs}`,
            "iter8",
            {
              url: nginx.url,
              connections: workers * config.connectionsPerWorker,
              durationS: config.durationS,
              rate: 0,
              warmupMs: WORKERS_WARMUP_S * 1000,
              workers,
            },
            everyCore,
          );
          const cpu = (await nginx.cpuSeconds()) - cpuBefore;
          if (outcome.ok && outcome.run.durationS > 0) {
            const share = cpu / (outcome.run.durationS + WORKERS_WARMUP_S);
            pushTo(busy, workers, share);
            log(`      nginx busy ${share.toFixed(2)} cores`);
          }
          pushTo(runs, workers, outcome);
        }
      }
      return summarizeWorkers(config, cores, runs, busy);
    },
  );
}

/** The gRPC scenarios: nginx over h2c for throughput, the Node gRPC target for rate and CO. */
async function runGrpc(ctx: Context): Promise<GrpcResults> {
  const { tools, paths, config } = ctx;
  const has = (s: Scenario): boolean => config.only.includes(s);
  const nodeTarget = (mode: "ok" | "stall") => () =>
    startNodeTarget(
      { taskset: tools.taskset, serverScript: paths.serverScript },
      mode,
      TARGET_CORE,
      "grpc",
    );
  const paced = {
    generators: ["iter8"] as const,
    prefix: "grpc ",
    connections: config.grpc.connections,
    concurrency: config.grpc.concurrency,
  };
  const throughput = has("grpc-throughput")
    ? await withTarget(
        () => startNginx(tools, TARGET_CORE, { kind: "grpc" }),
        (nginx) => runGrpcThroughput(ctx, nginx),
      )
    : [];
  const rate = has("grpc-rate")
    ? await withTarget(nodeTarget("ok"), (t) =>
        runRates(ctx, t, {
          ...paced,
          rates: config.grpc.rates,
          launch: grpcPaced(ctx, t, config.grpc.concurrency),
        }),
      )
    : [];
  const co = has("grpc-co")
    ? await withTarget(nodeTarget("stall"), (t) =>
        runCo(ctx, t, {
          ...paced,
          concurrency: config.grpc.coConcurrency,
          rate: config.grpc.coRate,
          launch: grpcPaced(ctx, t, config.grpc.coConcurrency),
        }),
      )
    : undefined;
  return { throughput, rate, ...(co ? { co } : {}) };
}

/**
 * Formats a results file as the repository's Prettier would (so a committed latest.json passes
 * `pnpm format:check`); Prettier is the workspace root's devDependency, so this is best effort.
 */
async function formatForRepo(text: string, parser: "json" | "markdown"): Promise<string> {
  try {
    const prettier = (await import("prettier")) as {
      format(source: string, options: { parser: string }): Promise<string>;
    };
    return await prettier.format(text, { parser });
  } catch {
    return text;
  }
}

async function main(argv: string[]): Promise<number> {
  const config = parseConfig(argv);
  if (config === undefined) return 0;
  if (availableParallelism() < 2)
    throw new Error("the bench needs 2 CPU cores (targets on core 0, generators on core 1)");
  const tools = ensureTools(log);
  const distDir = dirname(fileURLToPath(import.meta.url));
  const benchDir = dirname(distDir);
  const paths = {
    iter8Runner: join(distDir, "iter8-runner.js"),
    iter8Cli: join(
      dirname(createRequire(import.meta.url).resolve("@iter8/cli/package.json")),
      "dist",
      "bin.js",
    ),
    serverScript: join(distDir, "servers", "target-server.js"),
    proxyScript: join(distDir, "servers", "traffic-proxy-server.js"),
    iter8GrpcRunner: join(distDir, "iter8-grpc-runner.js"),
    grpcJsRunner: join(distDir, "grpc-js-runner.js"),
    proto: GREETER_PROTO_PATH,
  };
  const { steps, estimateS } = plan(config);
  const loadAvg1mAtStart = loadavg()[0] ?? Number.NaN;
  log(
    `iter8 bench: ${config.only.join(", ")}; ${config.runs} run(s) each, ${config.durationS} s runs${config.quick ? " (--quick)" : ""}`,
  );
  log(
    `targets on core ${TARGET_CORE}, generators on core ${GENERATOR_CORE}; ${steps} steps, about ${formatDuration(estimateS)}; load average ${loadAvg1mAtStart.toFixed(2)}`,
  );
  if (loadAvg1mAtStart > 0.5) log("note: the machine is not idle; expect noisier figures");
  const noiseAtStart = await probeNoise(tools, "before");
  const ctx: Context = { config, tools, paths, progress: new Progress(steps, estimateS) };
  const has = (s: Scenario): boolean => config.only.includes(s);

  let throughput: ThroughputCase[] = [];
  let rss: RssResult | undefined;
  if (has("throughput") || has("rss")) {
    await withTarget(
      () => startNginx(tools, TARGET_CORE),
      async (nginx) => {
        if (has("throughput")) throughput = await runThroughput(ctx, nginx);
        if (has("rss")) rss = await runRss(ctx, nginx);
      },
    );
  }
  const rate = has("rate")
    ? await withTarget(
        () =>
          startNodeTarget(
            { taskset: tools.taskset, serverScript: paths.serverScript },
            "ok",
            TARGET_CORE,
          ),
        (t) =>
          runRates(ctx, t, {
            rates: ctx.config.rates,
            generators: PACED_GENERATORS,
            launch: httpPaced(ctx, t, ctx.config.rateConnections),
            prefix: "",
            connections: ctx.config.rateConnections,
          }),
      )
    : [];
  const co = has("co")
    ? await withTarget(
        () =>
          startNodeTarget(
            { taskset: tools.taskset, serverScript: paths.serverScript },
            "stall",
            TARGET_CORE,
          ),
        (t) =>
          runCo(ctx, t, {
            rate: ctx.config.co.rate,
            generators: PACED_GENERATORS,
            launch: httpPaced(ctx, t, ctx.config.co.connections),
            prefix: "",
            connections: ctx.config.co.connections,
          }),
      )
    : undefined;
  const grpc = config.only.some((s) => s.startsWith("grpc-")) ? await runGrpc(ctx) : undefined;

  const proxy = has("proxy") ? await runProxy(ctx) : undefined;
  const workers = has("workers") ? await runWorkers(ctx) : undefined;

  const noiseAtEnd = await probeNoise(tools, "after");
  const cpu = cpus()[0];
  const partial: Omit<BenchResults, "targets"> = {
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    command: `pnpm bench${argv.length > 0 ? ` ${argv.join(" ")}` : ""}`,
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpu?.model ?? "unknown",
      node: process.version,
      kernel: release(),
      loadAvg1mAtStart,
      hostNoise: { start: noiseAtStart, end: noiseAtEnd },
    },
    config,
    throughput,
    rate,
    ...(rss ? { rss } : {}),
    ...(co ? { co } : {}),
    ...(proxy ? { proxy } : {}),
    ...(grpc ? { grpc } : {}),
    ...(workers ? { workers } : {}),
  };
  const results: BenchResults = {
    ...partial,
    targets: [...evaluateTargets(partial), ...(workers ? workersChecks(workers) : [])],
  };
  const sections = buildSections(results);
  log("");
  log(renderText(sections));
  const complete = !config.quick && config.only.length === SCENARIOS.length;
  const base = complete ? "latest" : "dev";
  const resultsDir = join(benchDir, "results");
  await mkdir(resultsDir, { recursive: true });
  await writeFile(
    join(resultsDir, `${base}.json`),
    await formatForRepo(`${JSON.stringify(results, null, 2)}\n`, "json"),
  );
  await writeFile(
    join(resultsDir, `${base}.md`),
    await formatForRepo(renderMarkdown(sections), "markdown"),
  );
  log(`wrote ${relative(process.cwd(), join(resultsDir, `${base}.json`))} and ${base}.md`);
  return 0;
}

/** Probes what the host takes from the target's and the generator's cores, and logs it. */
async function probeNoise(tools: Tools, when: "before" | "after"): Promise<CoreNoise[]> {
  const noise = await probeHostNoise(tools.taskset, [TARGET_CORE, GENERATOR_CORE], NOISE_PROBE_MS);
  log(
    `host noise ${when} the scenarios (${NOISE_PROBE_MS / 1000} s spin probe): ${describeNoise(noise)}`,
  );
  if (noise.some((n) => n.lostShare > NOISY_SHARE)) {
    log(
      `note: the host took more than ${NOISY_SHARE * 100}% of a core; paced and proxy figures are not comparable with a quiet run`,
    );
  }
  return noise;
}

process.on("SIGINT", () => {
  killAllChildren();
  process.exit(130);
});

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  killAllChildren();
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
