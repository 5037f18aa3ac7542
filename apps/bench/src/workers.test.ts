import { describe, expect, it } from "vitest";
import type { RunOutcome } from "./generators.js";
import { renderText } from "./report.js";
import { expandScenarios } from "./results.js";
import {
  coresNeeded,
  summarizeWorkers,
  workersChecks,
  workersConfig,
  workersSection,
} from "./workers.js";

function run(rate: number): RunOutcome {
  return {
    ok: true,
    run: {
      generator: "iter8",
      rate,
      requests: rate * 5,
      errors: 0,
      durationS: 5,
      latencyMs: { p50: 1, p75: 2, p99: 3, max: 4 },
      peakRssMb: 80,
      cpuS: 1,
      cpuUsPerRequest: 12,
    },
  };
}

const config = workersConfig(10);

function measured(rates: Record<number, number[]>): Map<number, RunOutcome[]> {
  return new Map(Object.entries(rates).map(([w, list]) => [Number(w), list.map(run)]));
}

describe("the workers scenario", () => {
  it("loads 1, 2, 4 and 8 workers with 10 connections each, in runs of at most 5 s", () => {
    expect(config).toEqual({ counts: [1, 2, 4, 8], connectionsPerWorker: 10, durationS: 5 });
    expect(workersConfig(3).durationS).toBe(3);
    expect(expandScenarios(["workers"])).toEqual(["workers"]);
  });

  it("gives each count's speedup over one worker and its share of linear, from the medians", () => {
    const result = summarizeWorkers(
      config,
      16,
      measured({ 1: [10_000, 9_000, 11_000], 2: [19_000], 4: [36_000], 8: [60_000] }),
      new Map([[8, [3.5, 4, 4.5]]]),
    );
    expect(result.cores).toBe(16);
    expect(result.cases.map((c) => c.connections)).toEqual([10, 20, 40, 80]);
    const rounded = (x: number): number => Number(x.toFixed(6));
    expect(result.cases.map((c) => rounded(c.speedup))).toEqual([1, 1.9, 3.6, 6]);
    expect(result.cases.map((c) => rounded(c.efficiency))).toEqual([1, 0.95, 0.9, 0.75]);
    expect(result.cases.map((c) => c.judged)).toEqual([true, true, true, true]);
    expect(result.cases[3]?.nginxCores).toBe(4);
  });

  it("judges scaling where the machine has the cores: 0.8x linear met at 4 workers, missed at 8", () => {
    const result = summarizeWorkers(
      config,
      16,
      measured({ 1: [10_000], 2: [19_000], 4: [36_000], 8: [60_000] }),
      new Map(),
    );
    expect(workersChecks(result).map((c) => [c.name, c.pass])).toEqual([
      ["workers: throughput at 2 workers", true],
      ["workers: throughput at 4 workers", true],
      ["workers: throughput at 8 workers", false],
    ]);
  });

  it("on 2 cores reports what it measured and the cores each count needs, judging none of it", () => {
    const result = summarizeWorkers(
      config,
      2,
      measured({ 1: [10_000], 2: [12_000], 4: [11_000], 8: [10_500] }),
      new Map(),
    );
    const checks = workersChecks(result);
    expect(checks.map((c) => c.pass)).toEqual([null, null, null]);
    expect(checks[0]?.value).toBe(
      "0.60x linear (1.20x one worker); needs >= 4 cores, this machine has 2",
    );
    expect(checks[2]?.value).toContain(`needs >= ${coresNeeded(8)} cores`);
    const text = renderText([workersSection(result, 1)]);
    expect(text).toContain("2 cores per worker: here 2 cores");
    expect(text).toContain("no: needs >= 16 cores");
  });

  it("has no scaling figures for a count whose runs all failed", () => {
    const runs = measured({ 1: [10_000], 2: [20_000], 4: [40_000] });
    runs.set(8, [{ ok: false, error: "iter8 exited with 1" }]);
    const result = summarizeWorkers(config, 16, runs, new Map());
    const last = workersChecks(result).at(-1);
    expect(last).toMatchObject({ value: "n/a", pass: null });
    expect(result.cases[3]?.generator.failures).toEqual(["iter8 exited with 1"]);
  });
});
