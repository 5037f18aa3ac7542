// Runs one load generator as its own process, pinned to a core, under GNU time.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BenchParseError,
  TIME_FORMAT,
  WRK_DONE_SCRIPT,
  parseAutocannonOutput,
  parseH2loadOutput,
  parseTimeOutput,
  parseWrkOutput,
} from "./parse.js";
import type { Pacing } from "@iter8/loadgen";
import { loadResult, RESULT_FILE } from "@iter8/spec";
import {
  BENCH_NAME,
  GREETER_CALL,
  GREETER_PATH,
  encodeHelloMessage,
  frameGrpcMessage,
} from "./grpc-wire.js";
import type { GeneratorReport, TimeReport } from "./parse.js";
import { runCommand } from "./processes.js";
import type {
  BaselineOutput,
  GrpcRunnerSpec,
  RunnerOutput,
  RunnerSpec,
} from "./runner-protocol.js";
import type { Tools } from "./tools.js";

/**
 * The HTTP generators compared. `iter8` is the bench runner (`runLoad` in a bare process);
 * `iter8-cli` is `iter8 run` of the same load as an experiment, the process users run.
 */
export const GENERATORS = ["iter8", "iter8-cli", "autocannon", "wrk"] as const;

/** One of `GENERATORS`. */
export type GeneratorName = (typeof GENERATORS)[number];

/**
 * The gRPC generators compared: iter8 (`runGrpcLoad`), a plain @grpc/grpc-js client loop (the
 * Node baseline) and h2load (nghttp2, C; the ceiling).
 */
export const GRPC_GENERATORS = ["iter8", "grpc-js", "h2load"] as const;

/** One of `GRPC_GENERATORS`. */
export type GrpcGeneratorName = (typeof GRPC_GENERATORS)[number];

/** One load to apply. */
export interface LoadSpec {
  /** Target URL. */
  url: string;
  /** Open connections. */
  connections: number;
  /** Measured duration in s. */
  durationS: number;
  /** Requests per second; 0 = as fast as possible. */
  rate: number;
  /** Warm-up (ms) at the same load before the measured part, discarded (iter8 and autocannon). */
  warmupMs?: number;
  /** iter8 only: sample RSS this often (ms). */
  rssSampleEveryMs?: number;
  /** iter8 only: how paced requests are timed (loadgen's default, `precise`, when unset). */
  pacing?: Pacing;
  /** iter8 only: worker threads sharing the load (1 when unset). */
  workers?: number;
}

/** One gRPC load to apply: helloworld.Greeter/SayHello with `{name: "bench"}`, plaintext h2c. */
export interface GrpcLoadSpec {
  /** `host:port` of the target. */
  host: string;
  /** Separate HTTP/2 connections. */
  connections: number;
  /** Calls in flight at most, over all connections (a multiple of `connections` for h2load). */
  concurrency: number;
  /** Measured duration in s. */
  durationS: number;
  /** Calls per second; 0 = as fast as possible (only iter8 paces). */
  rate: number;
  /** Warm-up (ms) at the same load before the measured part, discarded (Node generators). */
  warmupMs?: number;
  /** iter8 only: how paced calls are timed. */
  pacing?: Pacing;
}

/** One finished generator run. */
export interface GeneratorRun extends GeneratorReport {
  /** Which generator. */
  generator: GeneratorName | GrpcGeneratorName;
  /** Peak RSS of the generator process, in MiB (GNU time %M). */
  peakRssMb: number;
  /** User + system CPU seconds the generator process used. */
  cpuS: number;
  /** CPU µs per completed request. */
  cpuUsPerRequest: number;
  /** iter8 only: the runner's full output (dispatch lag, RSS samples). */
  iter8?: RunnerOutput;
}

/** A run that worked, or why it did not. */
export type RunOutcome = { ok: true; run: GeneratorRun } | { ok: false; error: string };

/** Paths the generators need besides the tools. */
export interface GeneratorPaths {
  /** Built `iter8-runner.js`. */
  iter8Runner: string;
  /** Built `iter8` executable (`@iter8/cli`'s `dist/bin.js`). */
  iter8Cli: string;
}

/** Paths the gRPC generators need besides the tools. */
export interface GrpcGeneratorPaths {
  /** Built `iter8-grpc-runner.js`. */
  iter8GrpcRunner: string;
  /** Built `grpc-js-runner.js`. */
  grpcJsRunner: string;
  /** The Greeter proto (the demo app's `greeter.proto`). */
  proto: string;
}

/**
 * The experiment `iter8 run` runs for `spec`: one HTTP load task, unpaced or at `spec.rate`, with
 * the same warm-up as the runner's (none unless the spec has one).
 */
export function cliExperimentFor(spec: LoadSpec): string {
  const lines = [
    "- task: gen-load-and-collect-metrics",
    "  with:",
    "    versionInfo:",
    `      - url: ${JSON.stringify(spec.url)}`,
    `    qps: ${spec.rate}`,
    `    connections: ${spec.connections}`,
    `    duration: ${spec.durationS}s`,
    `    warmup: ${(spec.warmupMs ?? 0) / 1000}s`,
  ];
  if (spec.pacing) lines.push(`    pacing: ${spec.pacing}`);
  return `${lines.join("\n")}\n`;
}

function commandFor(
  generator: GeneratorName,
  spec: LoadSpec,
  tools: Tools,
  paths: GeneratorPaths,
  dir: string,
): string[] {
  const wrkScript = join(dir, "done.lua");
  switch (generator) {
    case "iter8-cli":
      return [process.execPath, paths.iter8Cli, "run", "--dir", dir];
    case "iter8": {
      const runnerSpec: RunnerSpec = {
        url: spec.url,
        connections: spec.connections,
        qps: spec.rate,
        durationMs: spec.durationS * 1000,
        warmupMs: spec.warmupMs ?? 0,
        rssSampleEveryMs: spec.rssSampleEveryMs ?? 0,
        ...(spec.pacing ? { pacing: spec.pacing } : {}),
        ...(spec.workers ? { workers: spec.workers } : {}),
      };
      return [process.execPath, paths.iter8Runner, JSON.stringify(runnerSpec)];
    }
    case "autocannon":
      return [
        process.execPath,
        tools.autocannon,
        "--json",
        "--no-progress",
        "-c",
        String(spec.connections),
        "-d",
        String(spec.durationS),
        ...(spec.rate > 0 ? ["-R", String(spec.rate)] : []),
        // autocannon's warm-up is a separate run with the same options before the measured one.
        ...(spec.warmupMs
          ? ["-W", "[", "-c", String(spec.connections), "-d", String(spec.warmupMs / 1000), "]"]
          : []),
        spec.url,
      ];
    case "wrk":
      if (spec.rate > 0) throw new Error("wrk (4.x, Debian) cannot pace at a fixed rate");
      if (spec.warmupMs) throw new Error("wrk has no warm-up");
      return [
        tools.wrk,
        "-t1",
        "-c",
        String(spec.connections),
        "-d",
        `${spec.durationS}s`,
        "-s",
        wrkScript,
        spec.url,
      ];
  }
}

/** Reads the last JSON line a Node runner printed (iter8's runners, the grpc-js loop). */
function runnerLine<T extends BaselineOutput>(stdout: string, runner: string): T {
  const lines = stdout.split("\n").filter((l) => l.startsWith("{"));
  const out = JSON.parse(lines[lines.length - 1] ?? "null") as T | null;
  if (out === null) throw new BenchParseError(`${runner} printed no result`);
  return out;
}

function reportOfRunner(out: BaselineOutput): GeneratorReport {
  return {
    requests: out.requests,
    errors: out.errors,
    durationS: out.durationMs / 1000,
    rate: out.achievedRate,
    latencyMs: {
      p50: out.latencyUs.p50 / 1000,
      p75: out.latencyUs.p75 / 1000,
      p99: out.latencyUs.p99 / 1000,
      max: out.latencyUs.max / 1000,
    },
  };
}

/** What a generator's stdout says, normalised; iter8's runners also give their full output. */
type Parsed = { report: GeneratorReport; iter8?: RunnerOutput };

/**
 * What `iter8 run` measured, from the result it wrote in `dir`: the counts and percentiles of the
 * built-in metrics, and the measured time from the load's timeline.
 */
async function cliReport(dir: string): Promise<GeneratorReport> {
  const result = await loadResult(join(dir, RESULT_FILE));
  if (result.failure) throw new BenchParseError("iter8 run failed its task");
  const values = result.insights?.metricValues[0];
  const value = (name: string): number => {
    const v = values?.[`built-in/${name}`]?.[0];
    if (typeof v !== "number") throw new BenchParseError(`iter8 run wrote no built-in/${name}`);
    return v;
  };
  const timeline = result.insights?.loadDetails?.[0]?.timeline ?? [];
  const durationMs = timeline[timeline.length - 1]?.elapsedMs;
  if (durationMs === undefined || durationMs <= 0) {
    throw new BenchParseError("iter8 run wrote no load timeline");
  }
  const requests = value("request-count");
  return {
    requests,
    errors: value("error-count"),
    durationS: durationMs / 1000,
    rate: (requests * 1000) / durationMs,
    latencyMs: {
      p50: value("p50.0"),
      p75: value("p75.0"),
      p99: value("p99.0"),
      max: value("max-latency"),
    },
  };
}

function reportFor(generator: GeneratorName, stdout: string): Parsed {
  if (generator === "wrk") return { report: parseWrkOutput(stdout) };
  if (generator === "autocannon") return { report: parseAutocannonOutput(stdout) };
  const out = runnerLine<RunnerOutput>(stdout, "iter8-runner");
  return { report: reportOfRunner(out), iter8: out };
}

function grpcReportFor(generator: GrpcGeneratorName, stdout: string): Parsed {
  if (generator === "h2load") return { report: parseH2loadOutput(stdout) };
  if (generator === "grpc-js")
    return { report: reportOfRunner(runnerLine<BaselineOutput>(stdout, "grpc-js-runner")) };
  const out = runnerLine<RunnerOutput>(stdout, "iter8-grpc-runner");
  return { report: reportOfRunner(out), iter8: out };
}

/** The command line of one gRPC generator; `requestFile` holds the framed request (h2load). */
export function grpcCommandFor(
  generator: GrpcGeneratorName,
  spec: GrpcLoadSpec,
  tools: Pick<Tools, "h2load">,
  paths: GrpcGeneratorPaths,
  requestFile: string,
): string[] {
  if (generator === "h2load") {
    if (spec.rate > 0) throw new Error("h2load cannot pace calls at a fixed rate");
    if (spec.warmupMs) throw new Error("h2load has no warm-up here");
    if (spec.concurrency % spec.connections !== 0) {
      throw new Error(
        `h2load: concurrency ${spec.concurrency} is not a multiple of ${spec.connections} connections`,
      );
    }
    return [
      tools.h2load,
      "-t",
      "1",
      "-c",
      String(spec.connections),
      "-m",
      String(spec.concurrency / spec.connections),
      "-D",
      String(spec.durationS),
      "-d",
      requestFile,
      "-H",
      "content-type: application/grpc",
      "-H",
      "te: trailers",
      `http://${spec.host}${GREETER_PATH}`,
    ];
  }
  const runnerSpec: GrpcRunnerSpec = {
    host: spec.host,
    proto: paths.proto,
    call: GREETER_CALL,
    data: { name: BENCH_NAME },
    connections: spec.connections,
    concurrency: spec.concurrency,
    qps: spec.rate,
    durationMs: spec.durationS * 1000,
    warmupMs: spec.warmupMs ?? 0,
    rssSampleEveryMs: 0,
    ...(spec.pacing ? { pacing: spec.pacing } : {}),
  };
  const script = generator === "iter8" ? paths.iter8GrpcRunner : paths.grpcJsRunner;
  return [process.execPath, script, JSON.stringify(runnerSpec)];
}

/** A core (`1`) or a taskset CPU list (`"0-7"`) a process is pinned to. */
export type CpuSet = number | string;

/**
 * Runs a generator's command pinned to `core` with taskset, under GNU time, in a temp dir that
 * `prepare` fills and turns into the command. Never throws for a failed run: the outcome carries
 * the error, so one broken generator does not stop the bench.
 */
async function runPinned(
  generator: GeneratorName | GrpcGeneratorName,
  prepare: (dir: string) => Promise<string[]>,
  parse: (stdout: string, dir: string) => Parsed | Promise<Parsed>,
  budgetMs: number,
  tools: Tools,
  core: CpuSet,
): Promise<RunOutcome> {
  const dir = await mkdtemp(join(tmpdir(), "iter8-bench-run-"));
  try {
    const timeFile = join(dir, "time.txt");
    const command = await prepare(dir);
    const result = await runCommand(
      tools.time,
      ["-f", TIME_FORMAT, "-o", timeFile, tools.taskset, "-c", String(core), ...command],
      budgetMs,
    );
    if (result.timedOut)
      return { ok: false, error: `${generator} exceeded ${budgetMs} ms and was killed` };
    if (result.code !== 0) {
      const tail = result.stderr.trim().split("\n").slice(-3).join(" | ");
      return {
        ok: false,
        error: `${generator} exited with ${result.code ?? result.signal}: ${tail}`,
      };
    }
    const time: TimeReport = parseTimeOutput(await readFile(timeFile, "utf8"));
    const { report, iter8 } = await parse(result.stdout, dir);
    const cpuS = time.userS + time.systemS;
    const run: GeneratorRun = {
      generator,
      ...report,
      peakRssMb: time.maxRssKb / 1024,
      cpuS,
      cpuUsPerRequest: report.requests > 0 ? (cpuS * 1e6) / report.requests : Number.NaN,
    };
    if (iter8 !== undefined) run.iter8 = iter8;
    return { ok: true, run };
  } catch (error) {
    return { ok: false, error: `${generator}: ${(error as Error).message}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs HTTP `generator` with `spec`, pinned to `core` with taskset, under GNU time. */
export function runGenerator(
  generator: GeneratorName,
  spec: LoadSpec,
  tools: Tools,
  paths: GeneratorPaths,
  core: CpuSet,
): Promise<RunOutcome> {
  return runPinned(
    generator,
    async (dir) => {
      if (generator === "wrk") await writeFile(join(dir, "done.lua"), WRK_DONE_SCRIPT);
      if (generator === "iter8-cli")
        await writeFile(join(dir, "experiment.yaml"), cliExperimentFor(spec));
      return commandFor(generator, spec, tools, paths, dir);
    },
    async (stdout, dir) =>
      generator === "iter8-cli" ? { report: await cliReport(dir) } : reportFor(generator, stdout),
    spec.durationS * 1000 + (spec.warmupMs ?? 0) + 30_000,
    tools,
    core,
  );
}

/** Runs gRPC `generator` with `spec`, pinned to `core` with taskset, under GNU time. */
export function runGrpcGenerator(
  generator: GrpcGeneratorName,
  spec: GrpcLoadSpec,
  tools: Tools,
  paths: GrpcGeneratorPaths,
  core: number,
): Promise<RunOutcome> {
  return runPinned(
    generator,
    async (dir) => {
      const requestFile = join(dir, "request.grpc");
      await writeFile(requestFile, frameGrpcMessage(encodeHelloMessage(BENCH_NAME)));
      return grpcCommandFor(generator, spec, tools, paths, requestFile);
    },
    (stdout) => grpcReportFor(generator, stdout),
    spec.durationS * 1000 + (spec.warmupMs ?? 0) + 30_000,
    tools,
    core,
  );
}
