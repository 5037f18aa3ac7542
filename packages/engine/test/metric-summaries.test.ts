import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExperiment } from "@iter8/spec";
import { startLoopbackServer } from "@iter8/test-utils";
import type { LoopbackServer } from "@iter8/test-utils";
import { runExperiment } from "../src/index.js";

let server: LoopbackServer;
let url = "";

beforeAll(async () => {
  let n = 0;
  // Every 4th request the server sees fails if it is for /flaky, so /flaky has errors.
  server = await startLoopbackServer((req, res) => {
    n++;
    res.writeHead(req.url === "/flaky" && n % 4 === 0 ? 500 : 200).end("ok");
  });
  url = server.url;
});
afterAll(() => server.close());

describe("sufficient statistics from the load task", () => {
  it("records mean-latency and error-rate summaries that agree with the built-in metrics", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iter8-summaries-"));
    try {
      const parsed = parseExperiment(
        [
          "- task: gen-load-and-collect-metrics",
          "  with:",
          "    numRequests: 40",
          "    qps: 0",
          "    connections: 1",
          "    versionInfo:",
          `    - url: ${url}/ok`,
          `    - url: ${url}/flaky`,
        ].join("\n"),
      );
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      const result = await runExperiment(parsed.value, { dir });
      const insights = result.insights;
      for (const v of [0, 1]) {
        const values = insights?.metricValues[v] ?? {};
        const latency = insights?.metricSummaries?.[v]?.["built-in/mean-latency"];
        const errors = insights?.metricSummaries?.[v]?.["built-in/error-rate"];
        if (latency?.type !== "mean" || errors?.type !== "proportion") throw new Error("missing");
        expect(latency.count).toBe(values["built-in/request-count"]?.[0]);
        expect(latency.sum / latency.count).toBeCloseTo(
          values["built-in/mean-latency"]?.[0] ?? NaN,
          9,
        );
        // Population variance from the summary equals the reported stddev².
        const variance = latency.sumSquares / latency.count - (latency.sum / latency.count) ** 2;
        expect(Math.sqrt(Math.max(0, variance))).toBeCloseTo(
          values["built-in/stddev-latency"]?.[0] ?? NaN,
          6,
        );
        expect(errors.count).toBe(values["built-in/request-count"]?.[0]);
        expect(errors.successes).toBe(values["built-in/error-count"]?.[0]);
      }
      const flaky = insights?.metricSummaries?.[1]?.["built-in/error-rate"];
      expect(flaky?.type === "proportion" && flaky.successes).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
