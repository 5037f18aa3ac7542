// Runs one load generator as its own process, pinned to a core, under GNU time.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  TIME_FORMAT,
  WRK_DONE_SCRIPT,
  parseAutocannonOutput,
  parseTimeOutput,
  parseWrkOutput,
} from "./parse.js";
import type { Pacing } from "@iter8/loadgen";
import type { GeneratorReport, TimeReport } from "./parse.js";
import { runCommand } from "./processes.js";
import type { RunnerOutput, RunnerSpec } from "./runner-protocol.js";
import type { Tools } from "./tools.js";

/** The generators compared. */
export const GENERATORS = ["iter8", "autocannon", "wrk"] as const;

/** One of `GENERATORS`. */
export type GeneratorName = (typeof GENERATORS)[number];

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
}

/** One finished generator run. */
export interface GeneratorRun extends GeneratorReport {
  /** Which generator. */
  generator: GeneratorName;
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
}

function commandFor(
  generator: GeneratorName,
  spec: LoadSpec,
  tools: Tools,
  paths: GeneratorPaths,
  wrkScript: string,
): string[] {
  switch (generator) {
    case "iter8": {
      const runnerSpec: RunnerSpec = {
        url: spec.url,
        connections: spec.connections,
        qps: spec.rate,
        durationMs: spec.durationS * 1000,
        warmupMs: spec.warmupMs ?? 0,
        rssSampleEveryMs: spec.rssSampleEveryMs ?? 0,
        ...(spec.pacing ? { pacing: spec.pacing } : {}),
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

function reportFor(
  generator: GeneratorName,
  stdout: string,
): { report: GeneratorReport; iter8?: RunnerOutput } {
  if (generator === "wrk") return { report: parseWrkOutput(stdout) };
  if (generator === "autocannon") return { report: parseAutocannonOutput(stdout) };
  const lines = stdout.split("\n").filter((l) => l.startsWith("{"));
  const out = JSON.parse(lines[lines.length - 1] ?? "null") as RunnerOutput | null;
  if (out === null) throw new Error("iter8-runner printed no result");
  return {
    report: {
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
    },
    iter8: out,
  };
}

/**
 * Runs `generator` with `spec`, pinned to `core` with taskset, under GNU time. Never throws for a
 * failed run: the outcome carries the error, so one broken generator does not stop the bench.
 */
export async function runGenerator(
  generator: GeneratorName,
  spec: LoadSpec,
  tools: Tools,
  paths: GeneratorPaths,
  core: number,
): Promise<RunOutcome> {
  const dir = await mkdtemp(join(tmpdir(), "iter8-bench-run-"));
  try {
    const wrkScript = join(dir, "done.lua");
    const timeFile = join(dir, "time.txt");
    await writeFile(wrkScript, WRK_DONE_SCRIPT);
    const command = commandFor(generator, spec, tools, paths, wrkScript);
    const budgetMs = spec.durationS * 1000 + (spec.warmupMs ?? 0) + 30_000;
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
    const { report, iter8 } = reportFor(generator, result.stdout);
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
