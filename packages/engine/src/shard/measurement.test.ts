import { LatencyHistogram } from "@iter8/metrics";
import type { LoadProgress, LoadResult, LoadResultPart } from "@iter8/loadgen";
import { createSeededRandom } from "@iter8/test-utils";
import { describe, expect, it } from "vitest";
import {
  decodeShardMeasurement,
  encodeShardMeasurement,
  MAX_SHARD_MEASUREMENT_BYTES,
} from "./measurement.js";
import type { ShardMeasurement } from "./measurement.js";

/**
 * A version's run: `seconds` one-second samples of `perSecond` latencies (µs), mostly 1-5 ms with
 * a tail to a few hundred ms. Twenty distinct seconds are drawn and repeated, which keeps the test
 * fast and each second's encoded size realistic.
 */
function run(seconds: number, perSecond: number, seed: number): LoadResultPart {
  const random = createSeededRandom(seed);
  const drawn = Array.from({ length: 20 }, () => {
    const interval = new LatencyHistogram();
    for (let i = 0; i < perSecond; i++) {
      interval.record(1000 * Math.exp(random() * 1.6 + (random() < 0.01 ? random() * 5 : 0)));
    }
    return interval;
  });
  const latency = new LatencyHistogram();
  const timeline: LoadProgress[] = [];
  const intervals: LatencyHistogram[] = [];
  for (let s = 0; s < seconds; s++) {
    const interval = drawn[s % drawn.length] as LatencyHistogram;
    latency.merge(interval);
    const completed = (s + 1) * perSecond;
    timeline.push({
      elapsedMs: (s + 1) * 1000,
      sent: completed,
      completed,
      errors: 0,
      rate: perSecond,
      phase: "measure",
    });
    intervals.push(interval);
  }
  const result: LoadResult = {
    aborted: false,
    requests: latency.count,
    errors: 3,
    statusCodes: { "200": latency.count - 3, "503": 3 },
    errorClasses: {},
    startTime: 1_700_000_000_000,
    durationMs: seconds * 1000,
    achievedRate: perSecond,
    latency,
    serviceTime: latency.clone(),
    queueWait: new LatencyHistogram(),
    dispatchLagMs: { p50: 0.01, p99: 0.2, max: 3 },
    warmupRequests: 50,
    timeline,
  };
  return { result, intervals };
}

function measurementOf(versions: Array<LoadResultPart | null>): ShardMeasurement {
  return { shard: 1, count: 4, startedAt: 1_700_000_000_000, tasks: [{ index: 2, versions }] };
}

describe("shard measurements", () => {
  it("stay under 1 MiB for a realistic run (2 versions, 10 minutes at 500 req/s each), with every second's histogram", () => {
    const text = encodeShardMeasurement(measurementOf([run(600, 500, 1), run(600, 500, 2)]));
    expect(Buffer.byteLength(text)).toBeLessThan(MAX_SHARD_MEASUREMENT_BYTES);
    expect(text).not.toMatch(/\[\s*\d+(\.\d+)?\s*(,\s*\d+(\.\d+)?\s*){50,}\]/); // no raw samples
    const decoded = decodeShardMeasurement(text);
    expect(decoded.tasks[0]?.versions[0]?.intervals).toHaveLength(600);
  });

  it("round-trip: counters, histograms and the timeline come back equal", () => {
    const part = run(5, 200, 3);
    const decoded = decodeShardMeasurement(encodeShardMeasurement(measurementOf([null, part])));
    expect(decoded.shard).toBe(1);
    expect(decoded.count).toBe(4);
    expect(decoded.tasks[0]?.index).toBe(2);
    expect(decoded.tasks[0]?.versions[0]).toBeNull();
    const back = decoded.tasks[0]?.versions[1];
    expect(back?.result.statusCodes).toEqual(part.result.statusCodes);
    expect(back?.result.dispatchLagMs).toEqual(part.result.dispatchLagMs);
    expect(back?.result.latency.count).toBe(part.result.latency.count);
    for (const p of [50, 90, 99, 99.9]) {
      expect(back?.result.latency.percentile(p)).toBe(part.result.latency.percentile(p));
    }
    expect(back?.result.timeline.map((s) => s.completed)).toEqual(
      part.result.timeline.map((s) => s.completed),
    );
    expect(back?.intervals?.map((h) => h.percentile(99))).toEqual(
      part.intervals?.map((h) => h.percentile(99)),
    );
  });

  it("leave out the per-second histograms of a run too long to fit, and still fit", () => {
    const measurement = measurementOf([run(800, 500, 4), run(800, 500, 5), run(800, 500, 6)]);
    const text = encodeShardMeasurement(measurement);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_SHARD_MEASUREMENT_BYTES);
    const back = decodeShardMeasurement(text).tasks[0]?.versions[0];
    expect(back?.intervals).toBeUndefined();
    expect(back?.result.timeline).toHaveLength(800);
  });

  it.each([
    ["not JSON", "{", "shard 3's measurement: not JSON"],
    [
      "another document",
      '{"kind":"x"}',
      "shard 3's measurement: not an iter8 shard measurement (expected format: iter8-shard-measurement)",
    ],
    [
      "a newer version",
      '{"format":"iter8-shard-measurement","version":2}',
      "shard 3's measurement: version 2 is not read by this iter8 (it reads version 1); run the same iter8 on every shard",
    ],
    [
      "a missing field",
      '{"format":"iter8-shard-measurement","version":1,"shard":3,"count":4,"startedAt":1,"tasks":[{"index":0,"versions":[{"aborted":false}]}]}',
      /^shard 3's measurement: tasks\[0\]\.versions\[0\]\.requests: /,
    ],
  ])("refuse %s with a clear error", (_name, text, message) => {
    expect(() => decodeShardMeasurement(text, "shard 3's measurement")).toThrow(message);
  });

  it("refuse a corrupt histogram, naming where it is", () => {
    const text = encodeShardMeasurement(measurementOf([run(2, 10, 6)])).replace(
      /"latency":"ih1;/,
      '"latency":"ih1;x',
    );
    expect(() => decodeShardMeasurement(text)).toThrow(
      /^shard measurement: tasks\[0\]\.versions\[0\]\.latency: not an encoded LatencyHistogram/,
    );
  });
});
