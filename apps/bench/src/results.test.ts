import { describe, expect, it } from "vitest";
import type { GeneratorRun, RunOutcome } from "./generators.js";
import { buildSections, renderMarkdown, renderText } from "./report.js";
import type { BenchConfig, BenchResults, ProxyResult } from "./results.js";
import {
  evaluateTargets,
  expandScenarios,
  pairedMedian,
  summarizeGrpcThroughput,
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
  grpc: {
    throughputCases: [{ connections: 10, concurrency: 50 }],
    rates: [1000],
    connections: 1,
    concurrency: 50,
    coRate: 1000,
    coConcurrency: 600,
  },
  workers: { counts: [1, 2, 4, 8], connectionsPerWorker: 10, durationS: 5 },
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

describe("evaluateTargets at a fixed rate", () => {
  const pacing = {
    steadyRate: 5000,
    rateError: 0,
    worstWindowDeviation: 0.02,
    worstWindowCount: 510,
    expectedPerWindow: 500,
  };
  const rateCase = (mine: number[], theirs: number[]) => {
    const iter8 = mine.map((cpu) => ({
      outcome: run({ rate: 5000, cpuUsPerRequest: cpu }),
      pacing,
    }));
    const autocannon = theirs.map((cpu) => ({
      outcome: run({ rate: 5000, cpuUsPerRequest: cpu }),
      pacing,
    }));
    return {
      targetRate: 5000,
      connections: 10,
      generators: {
        iter8: summarizePacedRuns(iter8, 5000),
        autocannon: summarizePacedRuns(autocannon, 5000),
      },
      runs: { iter8, autocannon },
    };
  };
  const cpuCheck = (mine: number[], theirs: number[]) =>
    evaluateTargets({ ...base5000(), rate: [rateCase(mine, theirs)] }).find(
      (t) => t.name === "rate 5000/s: CPU per request",
    );
  const base5000 = (): Omit<BenchResults, "targets"> => ({
    schemaVersion: 1,
    generatedAt: "",
    command: "",
    machine: { cpus: 2, cpuModel: "x", node: "v20", kernel: "6", loadAvg1mAtStart: 0 },
    config,
    throughput: [],
    rate: [],
  });

  it("checks CPU per request at 5 000/s against autocannon -R as the median of each round's ratio", () => {
    // Rounds: 1.2x, 4x (a noisy round), 1.4x: the median ratio is 1.4x.
    expect(cpuCheck([60, 200, 70], [50, 50, 50])).toMatchObject({
      target: "<= 1.5x autocannon -R",
      pass: true,
      value: "70.0 µs, 1.40x autocannon",
    });
    expect(cpuCheck([80, 200, 90], [50, 50, 50])?.pass).toBe(false);
  });

  it("says 'not measured' for the CPU check when no autocannon run worked", () => {
    expect(cpuCheck([60], [])?.pass).toBeNull();
  });
});

describe("evaluateTargets for the traffic proxy", () => {
  const summary = summarizeRuns([run({ rate: 10_000 })]);
  const peakCase = (ratio: number) => ({
    peak: { nginx: summary, iter8: summary },
    throughputRatio: ratio,
    proxyCpuUsPerRequest: { nginx: 20, iter8: 40 },
    cpuRatio: 2,
  });
  const proxy = (nodeRatio: number, nginxRatio: number, addedMs: number): ProxyResult => ({
    connections: 50,
    rounds: 5,
    ...peakCase(nodeRatio),
    nginxUpstream: peakCase(nginxRatio),
    pacedRate: 5_000,
    pacing: "precise",
    pacedConnections: 50,
    paced: { direct: summary, nginx: summary, iter8: summary },
    addedMedianMs: { nginx: 0.2, iter8: addedMs },
    runs: {},
  });
  const checks = (p: ProxyResult) =>
    Object.fromEntries(
      evaluateTargets({ ...baseWithoutProxy, proxy: p })
        .filter((t) => t.name.startsWith("traffic proxy"))
        .map((t) => [t.name.replace(/ at \d+\/s.*$/, ""), t.pass]),
    );
  const baseWithoutProxy: Omit<BenchResults, "targets"> = {
    schemaVersion: 1,
    generatedAt: "",
    command: "",
    machine: { cpus: 2, cpuModel: "x", node: "v20", kernel: "6", loadAvg1mAtStart: 0 },
    config,
    throughput: [],
    rate: [],
  };

  it("wants 1.0x nginx in front of the Node upstream, 0.6x in front of nginx, 0.5 ms added", () => {
    expect(checks(proxy(1.0, 0.6, 0.5))).toEqual({
      "traffic proxy throughput, Node upstream, 50 connections": true,
      "traffic proxy throughput, nginx upstream, 50 connections": true,
      "traffic proxy added median latency": true,
    });
    expect(checks(proxy(0.99, 0.59, 0.51))).toEqual({
      "traffic proxy throughput, Node upstream, 50 connections": false,
      "traffic proxy throughput, nginx upstream, 50 connections": false,
      "traffic proxy added median latency": false,
    });
  });

  it("names the rate of the added-latency check, and half the peak when it was lowered", () => {
    const lowered: ProxyResult = {
      ...proxy(1.0, 0.6, 0.3),
      pacedRate: 13_259,
      pacedRateChoice: {
        rate: 13_259,
        halfPeak: 20_717,
        tries: [
          { rate: 20_717, probe: { rate: 20_600, p50Ms: 9.3 }, carried: false },
          { rate: 16_574, probe: { rate: 16_500, p50Ms: 2.1 }, carried: false },
          { rate: 13_259, probe: { rate: 13_259, p50Ms: 0.5 }, carried: true },
        ],
        carried: true,
      },
    };
    const added = evaluateTargets({ ...baseWithoutProxy, proxy: lowered }).find((t) =>
      t.name.startsWith("traffic proxy added median latency"),
    );
    expect(added?.name).toMatch(
      /^traffic proxy added median latency at 13259\/s \(half .* 20717\/s/,
    );
    expect(added?.pass).toBe(true);
    const text = renderText(buildSections({ ...baseWithoutProxy, proxy: lowered, targets: [] }));
    expect(text).toContain("paced: iter8 at 13,259/s (half the proxy's peak, 20717/s");
  });

  it("reports both upstreams with each proxy's CPU per request", () => {
    const text = renderText(
      buildSections({ ...baseWithoutProxy, proxy: proxy(0.8, 0.35, 0.4), targets: [] }),
    );
    expect(text).toContain("same nginx upstream");
    expect(text).toContain("0.35x nginx");
    expect(text).toContain("40.0 (2.00x nginx)");
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
    expect(md).toContain("| connections | iter8 (runner) | iter8 run (CLI) | autocannon | wrk |");
  });
});

describe("expandScenarios", () => {
  it("expands grpc into the three gRPC scenarios and keeps the bench's order", () => {
    expect(expandScenarios(["grpc", "rate"])).toEqual([
      "rate",
      "grpc-throughput",
      "grpc-rate",
      "grpc-co",
    ]);
    expect(expandScenarios(["grpc-co", "grpc-co"])).toEqual(["grpc-co"]);
  });

  it("names the accepted scenarios when one is unknown", () => {
    expect(() => expandScenarios(["grcp"])).toThrow(
      /unknown scenario "grcp".*grpc-throughput.*grpc/,
    );
  });
});

describe("summarizeGrpcThroughput", () => {
  const grpcRun = (generator: "iter8" | "grpc-js" | "h2load", rate: number): RunOutcome => {
    const o = run({ rate });
    if (o.ok) o.run.generator = generator;
    return o;
  };

  it("takes iter8's median rate over grpc-js's and h2load's, and nginx's median busy share", () => {
    const c = summarizeGrpcThroughput(
      { connections: 10, concurrency: 50 },
      {
        iter8: [grpcRun("iter8", 24_000), grpcRun("iter8", 20_000), grpcRun("iter8", 22_000)],
        "grpc-js": [
          grpcRun("grpc-js", 8_000),
          grpcRun("grpc-js", 7_000),
          grpcRun("grpc-js", 9_000),
        ],
        h2load: [grpcRun("h2load", 36_000), grpcRun("h2load", 34_000), grpcRun("h2load", 35_000)],
      },
      { iter8: [0.3, 0.5, 0.4], h2load: [0.7, 0.6, 0.65] },
    );
    expect(c.ratios.iter8VsGrpcJs).toBeCloseTo(22 / 8, 10);
    expect(c.ratios.iter8VsH2load).toBeCloseTo(22 / 35, 10);
    expect(c.targetBusy.iter8).toBeCloseTo(0.4, 10);
    expect(c.targetBusy.h2load).toBeCloseTo(0.65, 10);
    expect(c.targetBusy["grpc-js"]).toBeNaN();
  });

  it("has NaN ratios when iter8 failed every run", () => {
    const c = summarizeGrpcThroughput(
      { connections: 1, concurrency: 50 },
      { iter8: [{ ok: false, error: "not implemented" }], h2load: [grpcRun("h2load", 30_000)] },
      {},
    );
    expect(c.ratios.iter8VsH2load).toBeNaN();
    expect(c.generators.iter8?.failures).toEqual(["not implemented"]);
  });
});

describe("evaluateTargets for gRPC", () => {
  const grpcBase: Omit<BenchResults, "targets"> = {
    schemaVersion: 1,
    generatedAt: "",
    command: "",
    machine: { cpus: 2, cpuModel: "x", node: "v20", kernel: "6", loadAvg1mAtStart: 0 },
    config,
    throughput: [],
    rate: [],
  };
  const shape = (iter8: number, grpcJs: number, h2load: number) =>
    summarizeGrpcThroughput(
      { connections: 10, concurrency: 50 },
      {
        iter8: [run({ rate: iter8 })],
        "grpc-js": [run({ rate: grpcJs })],
        h2load: [run({ rate: h2load })],
      },
      {},
    );

  it("checks >= 2.5x grpc-js and >= 0.6x h2load separately", () => {
    const checks = evaluateTargets({
      ...grpcBase,
      grpc: { throughput: [shape(20_000, 7_600, 35_000)], rate: [] },
    }).filter((t) => t.name.startsWith("gRPC max throughput"));
    expect(checks.map((t) => [t.target, t.pass])).toEqual([
      [">= 2.5x the grpc-js loop", true],
      [">= 0.6x h2load", false],
    ]);
  });

  it("checks the gRPC fixed rates with dispatch lag p99 only, and the gRPC CO check", () => {
    const outcome = run({ rate: 1000, latencyMs: { p50: 10, p75: 255, p99: 495, max: 500 } });
    if (outcome.ok) {
      outcome.run.iter8 = {
        requests: 10_000,
        errors: 0,
        durationMs: 10_000,
        achievedRate: 1000,
        latencyUs: { p50: 1, p75: 1, p99: 1, max: 1 },
        serviceTimeUs: { p50: 1, p99: 1 },
        queueWaitUs: { p50: 0, p99: 0 },
        dispatchLagMs: { p50: 0.5, p99: 1.2, max: 3 },
        rssSamples: [],
        maxRssKb: 1,
      };
    }
    const pacing = {
      steadyRate: 1001,
      rateError: 0.001,
      worstWindowDeviation: 0.05,
      worstWindowCount: 105,
      expectedPerWindow: 100,
    };
    const rateCase = {
      targetRate: 1000,
      connections: 1,
      concurrency: 50,
      generators: { iter8: summarizePacedRuns([{ outcome, pacing }], 1000) },
      runs: {},
    };
    const co = {
      rate: 1000,
      connections: 1,
      concurrency: 50,
      stall: { periodMs: 1000, stallMs: 500 },
      analyticMs: { p50: 0, p75: 250, p99: 490 },
      generators: { iter8: summarizeCoRuns([outcome]) },
      runs: {},
    };
    const checks = evaluateTargets({ ...grpcBase, grpc: { throughput: [], rate: [rateCase], co } });
    const byName = Object.fromEntries(checks.map((t) => [t.name, t.pass]));
    expect(byName["gRPC rate 1000/s: achieved (server-side)"]).toBe(true);
    expect(byName["gRPC rate 1000/s: worst 100 ms window"]).toBe(true);
    expect(byName["gRPC rate 1000/s: dispatch lag p99"]).toBe(false);
    expect("gRPC rate 1000/s: dispatch lag p50" in byName).toBe(false);
    expect(byName["gRPC CO check p75"]).toBe(true);
    expect(byName["gRPC CO check p99"]).toBe(true);
  });

  it("renders the gRPC tables with the shape, ratios and nginx's busy share", () => {
    const results: BenchResults = {
      ...grpcBase,
      grpc: {
        throughput: [
          summarizeGrpcThroughput(
            { connections: 10, concurrency: 50 },
            { iter8: [run({ rate: 21_000 })], "grpc-js": [run({ rate: 7_000 })] },
            { iter8: [0.42] },
          ),
        ],
        rate: [],
      },
      targets: [],
    };
    const text = renderText(buildSections(results));
    expect(text).toContain("gRPC unary max throughput against nginx over h2c");
    expect(text).toMatch(/10 x 5\s+21,000\s+7,000\s+n\/a\s+3\.00x\s+n\/a/);
    expect(text).toContain("42% / n/a / n/a");
  });
});
