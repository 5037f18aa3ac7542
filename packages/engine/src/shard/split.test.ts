import type { Experiment, LoadInputs, LoadTask } from "@iter8/spec";
import { createSeededRandom } from "@iter8/test-utils";
import { describe, expect, it } from "vitest";
import { EngineError } from "../errors.js";
import { checkShardable, splitExperiment, splitShares } from "./split.js";

function loadTask(inputs: Partial<LoadInputs>): LoadTask {
  return {
    task: "gen-load-and-collect-metrics",
    with: {
      qps: 8,
      connections: 4,
      errorRanges: [{ lower: 400 }],
      percentiles: [50, 99],
      versionInfo: [{ url: "http://127.0.0.1:1/" }],
      ...inputs,
    },
  };
}

function experimentOf(...tasks: Experiment["tasks"]): Experiment {
  return { tasks, format: "v0.8" };
}

function shardInputs(experiment: Experiment, count: number): LoadInputs[] {
  return Array.from({ length: count }, (_, shard) => {
    const task = splitExperiment(experiment, shard, count).tasks[0] as LoadTask;
    return task.with;
  });
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

describe("splitShares", () => {
  it("adds up exactly to the total for every count 1..64 and awkward totals, each share within one of its proportion", () => {
    const random = createSeededRandom(18);
    const totals = [0, 1, 7, 63, 64, 65, 97, 1000, 9973, 65_537, 1_000_003, 2 ** 31 - 1];
    const problems: string[] = [];
    for (let count = 1; count <= 64; count++) {
      const weightSets = [
        new Array<number>(count).fill(1),
        Array.from({ length: count }, () => 0.1 + random() * 10),
        Array.from({ length: count }, (_, k) => k + 1),
      ];
      for (const total of totals) {
        for (const weights of weightSets) {
          const shares = splitShares(total, weights);
          const w = sum(weights);
          const fair = shares.every(
            (share, k) =>
              Number.isInteger(share) &&
              share >= 0 &&
              Math.abs(share - (total * (weights[k] as number)) / w) < 1.000001,
          );
          if (shares.length !== count || sum(shares) !== total || !fair) {
            problems.push(`${total} over ${weights.join(",")}: ${shares.join(",")}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("splits evenly as k6 does", () => {
    expect(splitShares(10, [1, 1, 1, 1])).toEqual([2, 3, 2, 3]);
    expect(splitShares(8, [1, 1, 1, 1])).toEqual([2, 2, 2, 2]);
  });
});

describe("splitExperiment", () => {
  it("gives shards whose qps, numRequests and connections add up exactly, with the same duration, for N 1..64", () => {
    const random = createSeededRandom(4);
    for (let count = 1; count <= 64; count++) {
      for (let trial = 0; trial < 4; trial++) {
        const connections = count + Math.floor(random() * 300);
        const qps = trial % 2 === 0 ? count + Math.floor(random() * 5000) : count + random() * 5000;
        const numRequests = count * 20 + Math.floor(random() * 100_000);
        const experiment = experimentOf(loadTask({ qps, connections, numRequests }));
        const shards = shardInputs(experiment, count);
        expect(sum(shards.map((s) => s.connections))).toBe(connections);
        expect(sum(shards.map((s) => s.numRequests ?? 0))).toBe(numRequests);
        expect(sum(shards.map((s) => s.qps))).toBe(qps);
        // Every shard gets some of each, and requests follow the rate, so shards finish together.
        const uneven = shards.filter(
          (s) =>
            !(s.connections > 0 && s.qps > 0 && (s.numRequests ?? 0) > 0) ||
            Math.abs((s.numRequests ?? 0) / s.qps - numRequests / qps) >= 1 / s.qps + 1e-9,
        );
        expect(uneven).toEqual([]);
        const timed = shardInputs(
          experimentOf(loadTask({ qps: 0, connections, durationMs: 5000 })),
          count,
        );
        expect(timed.every((s) => s.durationMs === 5000 && s.qps === 0)).toBe(true);
        expect(sum(timed.map((s) => s.connections))).toBe(connections);
      }
    }
  });

  it("adds a fractional rate's fraction to one shard so the rates add up exactly", () => {
    const shards = shardInputs(experimentOf(loadTask({ qps: 10.5, connections: 4 })), 4);
    expect(shards.map((s) => s.qps)).toEqual([2.5, 3, 2, 3]);
    expect(sum(shards.map((s) => s.qps))).toBe(10.5);
  });

  it("refuses a split that leaves a shard without connections, saying to use fewer shards", () => {
    const experiment = experimentOf(loadTask({ connections: 3 }));
    expect(() => splitExperiment(experiment, 1, 4)).toThrow(
      "task [0] (gen-load-and-collect-metrics): connections 3 over 4 shards leaves shard 0 with none",
    );
    try {
      splitExperiment(experiment, 1, 4);
    } catch (error) {
      expect(error).toBeInstanceOf(EngineError);
      expect((error as EngineError).code).toBe("ITER8_SHARD_SPLIT");
      expect((error as EngineError).kind).toBe("invalid-input");
      expect((error as EngineError).hint).toBe("use at most 3 shards, or raise connections");
    }
  });

  it("refuses a rate or request count too small for the shards", () => {
    expect(() => splitExperiment(experimentOf(loadTask({ qps: 2, connections: 8 })), 0, 4)).toThrow(
      /qps 2 over 4 shards leaves shard 0 with none/,
    );
    expect(() =>
      splitExperiment(experimentOf(loadTask({ qps: 0, numRequests: 3, connections: 8 })), 0, 4),
    ).toThrow(/numRequests 3 over 4 shards/);
  });

  it("leaves other tasks alone and refuses what a sharded run cannot do", () => {
    const assess = {
      task: "assess-app-versions",
      with: { SLOs: [] },
    } as Experiment["tasks"][number];
    const run = { task: "run", with: { script: "true" } } as Experiment["tasks"][number];
    const split = splitExperiment(experimentOf(run, loadTask({}), loadTask({}), assess), 1, 2);
    expect(split.tasks[0]).toBe(run);
    expect(split.tasks[3]).toBe(assess);
    expect((split.tasks[1] as LoadTask).with.connections).toBe(2);
    expect(() => checkShardable(experimentOf(loadTask({}), run, loadTask({})))).toThrow(
      "task [1] (run) sits between load tasks; in a sharded run the load tasks run back to back",
    );
    expect(() => checkShardable(experimentOf(assess))).toThrow(/no load task/);
    expect(() => splitExperiment(experimentOf(loadTask({})), 4, 4)).toThrow(
      "shard 4 of 4: shards are numbered 0 to 3",
    );
  });
});
