// A result.yaml written by the engine validates against the JSON Schema of Iter8 v0.8.0's Go
// structs (base/experiment.go at v0.8.0), our additive fields allowed.
import { readFile, mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { load } from "js-yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Experiment } from "@iter8/spec";
import { startLoopbackServer } from "@iter8/test-utils";
import type { LoopbackServer } from "@iter8/test-utils";
import { runExperiment } from "../src/index.js";

const require = createRequire(import.meta.url);

let server: LoopbackServer;
let dir: string;
let validate: ReturnType<Ajv["compile"]>;

beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    res.writeHead(req.url === "/fail" ? 503 : 200, { "content-type": "text/plain" });
    res.end("ok");
  });
  dir = await mkdtemp(join(tmpdir(), "iter8-v080-"));
  const schemaFile = require.resolve("@iter8/spec/result-v0.8.0.schema.json");
  const schema = JSON.parse(await readFile(schemaFile, "utf8")) as object;
  validate = new Ajv({ allErrors: true }).compile(schema);
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe("result.yaml against the Iter8 v0.8.0 schema", () => {
  it("a result written by runExperiment (load on 127.0.0.1, SLOs) validates", async () => {
    const experiment: Experiment = {
      format: "v0.8",
      tasks: [
        {
          task: "gen-load-and-collect-metrics",
          with: {
            qps: 0,
            connections: 2,
            numRequests: 20,
            warmupMs: 0,
            errorRanges: [{ lower: 400 }],
            percentiles: [50, 95],
            versionInfo: [{ url: server.url }, { url: `${server.url}/fail` }],
          },
        },
        {
          task: "assess-app-versions",
          with: { SLOs: [{ metric: "built-in/error-rate", upperLimit: 0 }] },
        },
      ],
    };
    await runExperiment(experiment, { dir });
    const written = load(await readFile(join(dir, "result.yaml"), "utf8")) as {
      insights: {
        SLOsSatisfiedBy: unknown;
        metricsInfo: Record<string, { type: string; numBuckets?: number }>;
        metricValues: Array<Record<string, number[]>>;
        loadDetails: Array<{ histogram: Array<[number, number, number]> }>;
      };
    };
    expect(validate(written), JSON.stringify(validate.errors)).toBe(true);
    // Version 0 answers 200, version 1 answers 503: only version 0 satisfies the SLO.
    expect(written.insights.SLOsSatisfiedBy).toEqual([0]);
    expect(written.insights.metricsInfo["built-in/latency"]).toMatchObject({
      type: "Histogram",
      numBuckets: 20,
    });
    // Beside our exact histogram, with the same number of observations.
    written.insights.metricValues.forEach((values, v) => {
      const counts = values["built-in/latency"] ?? [];
      const exact = written.insights.loadDetails[v]?.histogram ?? [];
      expect(counts).toHaveLength(20);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(exact.reduce((a, [, , n]) => a + n, 0));
      expect(exact.length).toBeGreaterThan(0);
    });
  });

  it("refuses SLOsSatisfiedBy as booleans (what we wrote before), a Go []int", () => {
    const result = {
      startTime: "2024-05-01T10:00:00.000Z",
      numCompletedTasks: 1,
      failure: false,
      insights: { numVersions: 1, SLOsSatisfiedBy: [true] },
    };
    expect(validate(result)).toBe(false);
  });
});
