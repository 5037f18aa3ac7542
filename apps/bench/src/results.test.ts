import { describe, expect, it } from "vitest";
import type { GeneratorRun, RunOutcome } from "./generators.js";
import { buildSections, renderMarkdown, renderText } from "./report.js";
import type { BenchConfig, BenchResults } from "./results.js";
import {
  evaluateTargets,
  pairedMedian,
  summarizeCoRuns,
  summarizePacedRuns,
  summarizeRuns,
} from "./results.js";

function run(partial: Partial<GeneratorRun> & { rate: number }): RunOutcome {
  return {
    ok: true,
    run: {
      generator: "iter8",
      requests: partial.rate * 10,
      errors: 0,
      durationS: 10,
      latencyMs: { p50: 1, p75: 2, p99: 3, max: 4 },
      peakRssMb: 50,
      cpuS: 1,
      cpuUsPerRequest: 10,
      ...partial,
    },
  };
}

const config: BenchConfig = {
  runs: 3,
  proxyRounds: 5,
  proxyPacing: "precise",
  durationS: 10,
  rssDurationS: 60,
  rssEarlyS: 10,
  throughputConnections: [10, 50],
  rates: [1000],
  rateConnections: 10,
  warmupMs: 1000,
  co: { rate: 1000, connections: 50 },
  only: ["throughput", "rate", "rss", "co"],
  quick: false,
};

describe("summarizeRuns", () => {
  it("takes medians over the successful runs and keeps the failures", () => {
    const s = summarizeRuns([
      run({ rate: 100 }),
      { ok: false, error: "boom" },
      run({ rate: 300 }),
      run({ rate: 200 }),
    ]);
    expect(s.okRuns).toBe(3);
    expect(s.rate).toBe(200);
    expect(s.failures).toEqual(["boom"]);
  });
});

describe("pairedMedian", () => {
  it("combines the runs of each round and takes the median, skipping rounds where a run failed", () => {
    const a = [run({ rate: 100 }), run({ rate: 90 }), run({ rate: 300 }), run({ rate: 50 })];
    const b = [run({ rate: 200 }), { ok: false, error: "boom" } as const, run({ rate: 300 })];
    // Round 2 failed on b's side and round 4 has no b: ratios 0.5 and 1.
    expect(pairedMedian(a, b, (x, y) => x.rate / y.rate)).toBe(0.75);
  });

  it("is not pulled down by a slow spell that covers a round and a half", () => {
    // iter8 does 60% of nginx's rate; the machine is slow through round 2 and iter8's run of round 3.
    const nginx = [run({ rate: 20_000 }), run({ rate: 10_000 }), run({ rate: 20_000 })];
    const iter8 = [run({ rate: 12_000 }), run({ rate: 6_000 }), run({ rate: 7_000 })];
    expect(pairedMedian(iter8, nginx, (x, y) => x.rate / y.rate)).toBeCloseTo(0.6, 10);
    expect(summarizeRuns(iter8).rate / summarizeRuns(nginx).rate).toBeCloseTo(0.35, 10);
  });

  it("is NaN when no round has both runs", () => {
    expect(pairedMedian([run({ rate: 1 })], [], (x, y) => x.rate - y.rate)).toBeNaN();
  });
});

describe("summarizePacedRuns", () => {
  it("reports rate errors against the target and iter8's dispatch lag", () => {
    const outcome = run({ rate: 990 });
    if (outcome.ok) {
      outcome.run.iter8 = {
        requests: 9900,
        errors: 0,
        durationMs: 10_000,
        achievedRate: 990,
        latencyUs: { p50: 1, p75: 1, p99: 1, max: 1 },
        serviceTimeUs: { p50: 1, p99: 1 },
        queueWaitUs: { p50: 0, p99: 0 },
        dispatchLagMs: { p50: 0.05, p99: 0.8, max: 3 },
        rssSamples: [],
        maxRssKb: 1,
      };
    }
    const pacing = {
      steadyRate: 1005,
      rateError: 0.005,
      worstWindowDeviation: 0.12,
      worstWindowCount: 112,
      expectedPerWindow: 100,
    };
    const s = summarizePacedRuns([{ outcome, pacing }], 1000);
    expect(s.rateError).toBeCloseTo(-0.01);
    expect(s.serverRateError).toBeCloseTo(0.005);
    expect(s.worstWindowDeviation).toBe(0.12);
    expect(s.dispatchLagP50Ms).toBe(0.05);
    expect(s.dispatchLagP99Ms).toBe(0.8);
  });
});

describe("summarizeCoRuns", () => {
  it("marks each percentile within or outside the tolerance", () => {
    const s = summarizeCoRuns([
      run({ rate: 1000, latencyMs: { p50: 4, p75: 300, p99: 480, max: 500 } }),
    ]);
    expect(s.within).toEqual({ p50: true, p75: false, p99: true });
  });
});

describe("evaluateTargets", () => {
  const base: Omit<BenchResults, "targets"> = {
    schemaVersion: 1,
    generatedAt: "2026-01-01T00:00:00.000Z",
    command: "pnpm bench",
    machine: { cpus: 2, cpuModel: "x", node: "v20", kernel: "6", loadAvg1mAtStart: 0 },
    config,
    throughput: [
      {
        connections: 50,
        generators: {
          iter8: summarizeRuns([run({ rate: 70_000, peakRssMb: 60 })]),
          autocannon: summarizeRuns([run({ rate: 60_000, peakRssMb: 80 })]),
        },
        ratios: { iter8VsAutocannon: 70 / 60, iter8VsWrk: Number.NaN },
        runs: {},
      },
    ],
    rate: [],
    rss: {
      durationS: 60,
      earlyS: 10,
      connections: 50,
      earlyMb: 60,
      lateMb: 71,
      growthMb: 11,
      runs: [],
    },
  };

  it("checks throughput ratio, peak RSS and RSS growth (10 MB = 9.54 MiB)", () => {
    const targets = evaluateTargets(base);
    const byName = Object.fromEntries(targets.map((t) => [t.name, t.pass]));
    expect(byName["max throughput, 50 connections"]).toBe(true);
    expect(byName["peak RSS at 50 connections"]).toBe(true);
    expect(byName["RSS after 60 s vs after 10 s"]).toBe(false);
    const rss = { ...base.rss!, growthMb: 9.5 };
    expect(evaluateTargets({ ...base, rss }).find((t) => t.name.startsWith("RSS"))?.pass).toBe(
      true,
    );
  });

  it("says 'not measured' (null) rather than passing when iter8 failed", () => {
    const throughput = [
      { ...base.throughput[0]!, ratios: { iter8VsAutocannon: Number.NaN, iter8VsWrk: Number.NaN } },
    ];
    const t = evaluateTargets({ ...base, throughput }).find((c) =>
      c.name.startsWith("max throughput"),
    );
    expect(t?.pass).toBeNull();
    expect(t?.value).toBe("n/a");
  });
});

describe("report rendering", () => {
  it("puts the same figures in the text and Markdown tables", () => {
    const results: BenchResults = {
      schemaVersion: 1,
      generatedAt: "",
      command: "",
      machine: { cpus: 2, cpuModel: "x", node: "v20", kernel: "6", loadAvg1mAtStart: 0 },
      config,
      throughput: [
        {
          connections: 10,
          generators: {
            iter8: summarizeRuns([run({ rate: 65_000 })]),
            autocannon: summarizeRuns([run({ rate: 50_000 })]),
          },
          ratios: { iter8VsAutocannon: 1.3, iter8VsWrk: Number.NaN },
          runs: {},
        },
      ],
      rate: [],
      targets: [],
    };
    const sections = buildSections(results);
    const text = renderText(sections);
    const md = renderMarkdown(sections);
    for (const out of [text, md]) {
      expect(out).toContain("65,000");
      expect(out).toContain("50,000");
      expect(out).toContain("1.30x");
    }
    expect(md).toContain("| connections | iter8 | autocannon | wrk |");
  });
});
