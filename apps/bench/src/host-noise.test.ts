import { describe, expect, it } from "vitest";
import { buildSections } from "./report.js";
import type { BenchResults } from "./results.js";
import { describeNoise, GAP_MS, probeHostNoise, summariseGaps } from "./host-noise.js";

describe("summariseGaps", () => {
  it("adds up the gaps, keeps the longest and counts those over 1 ms", () => {
    const noise = summariseGaps(1, 1000, [0.2, 12.5, 1.5, 0.3]);
    expect(noise.core).toBe(1);
    expect(noise.lostShare).toBeCloseTo(14.5 / 1000, 9);
    expect(noise.maxGapMs).toBe(12.5);
    expect(noise.gapsOver1Ms).toBe(2);
  });

  it("reads no gaps as nothing lost", () => {
    expect(summariseGaps(0, 500, [])).toEqual({
      core: 0,
      spanMs: 500,
      lostShare: 0,
      maxGapMs: 0,
      gapsOver1Ms: 0,
    });
  });
});

describe("probeHostNoise", () => {
  it("spins on each core asked for and reports a share lost between 0 and 1", async () => {
    const noise = await probeHostNoise("/usr/bin/taskset", [0], 300);
    expect(noise).toHaveLength(1);
    const [core0] = noise;
    expect(core0?.core).toBe(0);
    // The child stops at its first clock read past 300 ms: a little later on a busy machine.
    expect(core0?.spanMs).toBeGreaterThanOrEqual(300);
    expect(core0?.lostShare).toBeGreaterThanOrEqual(0);
    expect(core0?.lostShare).toBeLessThan(1);
    expect(core0?.maxGapMs === 0 || (core0?.maxGapMs ?? 0) > GAP_MS).toBe(true);
    expect(describeNoise(noise)).toMatch(
      /^core 0 lost \d+\.\d% \(max gap \d+\.\d ms, \d+ over 1 ms\)$/,
    );
  }, 40_000);
});

describe("the report", () => {
  it("has a host-noise section with each core's loss before and after", () => {
    const results = {
      machine: {
        cpus: 2,
        cpuModel: "x",
        node: "v20",
        kernel: "6",
        loadAvg1mAtStart: 0,
        hostNoise: {
          start: [summariseGaps(0, 1000, [2]), summariseGaps(1, 1000, [])],
          end: [summariseGaps(0, 1000, []), summariseGaps(1, 1000, [30, 20])],
        },
      },
      config: { runs: 1, durationS: 1, warmupMs: 0 },
      throughput: [],
      rate: [],
      targets: [],
    } as unknown as BenchResults;
    const section = buildSections(results).find((s) => s.title.startsWith("What the host took"));
    expect(section?.rows).toEqual([
      ["0", "0.2%", "2.0 ms", "0.0%", "0.0 ms"],
      ["1", "0.0%", "0.0 ms", "5.0%", "30.0 ms"],
    ]);
  });
});
