import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LatencyHistogram } from "@iter8/metrics";
import { startServer } from "@iter8/test-utils";
import type { TestServer } from "@iter8/test-utils";
import { runLoad } from "../src/index.js";
import { ensureBuilt } from "./ensure-built.js";

let server: TestServer | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("runLoad onSample", () => {
  it.each([1, 2])(
    "gives one interval histogram per timeline sample, together holding every latency (workers: %i)",
    async (workers) => {
      server = await startServer();
      const intervals: LatencyHistogram[] = [];
      const result = await runLoad(
        { url: server.url, qps: 100, connections: 4, durationMs: 2500, warmupMs: 0, workers },
        { onSample: (_sample, interval) => intervals.push(interval.clone()) },
      );
      expect(result.timeline.length).toBeGreaterThanOrEqual(2);
      expect(intervals).toHaveLength(result.timeline.length);
      expect(intervals.reduce((sum, h) => sum + h.count, 0)).toBe(result.latency.count);
      result.timeline.forEach((sample, k) => {
        const interval = intervals[k] as LatencyHistogram;
        if (interval.count > 0) expect(sample.p99Ms).toBe(interval.percentile(99) / 1000);
      });
    },
  );
});
