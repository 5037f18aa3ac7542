import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseExperiment } from "@iter8/spec";
import type { ExperimentResult } from "@iter8/spec";
import { startLoopbackServer } from "@iter8/test-utils";
import type { LoopbackServer } from "@iter8/test-utils";
import { runExperiment } from "../src/index.js";

/** What the backend answers per query (`<part>-<version>`); absent → an empty result. */
let data: Record<string, number> = {};
const asked: string[] = [];
let server: LoopbackServer;
let url: string;
let dir: string;

beforeAll(async () => {
  // A small analytics backend: GET /stats?q=<name> → {"result": {"value": N}} or {"result": {}}.
  server = await startLoopbackServer((req, res) => {
    const q = new URL(req.url ?? "/", "http://x").searchParams.get("q") ?? "";
    asked.push(q);
    const value = data[q];
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ result: value === undefined ? {} : { value } }));
  });
  url = server.url;
});
afterAll(() => server.close());

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-custom-summaries-"));
  asked.length = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const TEMPLATE = `url: {{ .url }}/stats
metrics:
- name: order-value
  description: Order value per user
  type: mean
  units: EUR
  queries:
    count:
      params: [{name: q, value: orders-{{ .v }}}]
      jqExpression: .result.value
    sum:
      params: [{name: q, value: order-sum-{{ .v }}}]
      jqExpression: .result.value
    sumSquares:
      params: [{name: q, value: order-sumsq-{{ .v }}}]
      jqExpression: .result.value
- name: conversion
  description: Visitors who bought
  type: proportion
  queries:
    count:
      params: [{name: q, value: visitors-{{ .v }}}]
      jqExpression: .result.value
    successes:
      params: [{name: q, value: buyers-{{ .v }}}]
      jqExpression: .result.value
`;

/** Sufficient statistics of `n` values with mean `mean` and population standard deviation `sd`. */
function meanData(v: string, n: number, mean: number, sd: number): Record<string, number> {
  return {
    [`orders-${v}`]: n,
    [`order-sum-${v}`]: n * mean,
    [`order-sumsq-${v}`]: n * (sd * sd + mean * mean),
  };
}

const EXPERIMENT = `- task: custommetrics
  with:
    templates:
      shop: shop.tpl
    values: {url: URL}
    versionValues: [{v: a}, {v: b}]
- task: assess-app-versions
  with:
    rewards:
    - metric: shop/order-value
      preferredDirection: high
    - metric: shop/conversion
      preferredDirection: high
`;

async function run(): Promise<{ result: ExperimentResult; file: string }> {
  await writeFile(join(dir, "shop.tpl"), TEMPLATE);
  const parsed = parseExperiment(EXPERIMENT.replace("URL", url));
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const result = await runExperiment(parsed.value, { dir });
  return { result, file: await readFile(join(dir, "result.yaml"), "utf8") };
}

describe("custommetrics mean and proportion metrics", () => {
  it("collects each part per version and assess-app-versions declares the better version the winner", async () => {
    data = {
      ...meanData("a", 400, 10, 2),
      ...meanData("b", 400, 11, 2),
      "visitors-a": 1000,
      "buyers-a": 100,
      "visitors-b": 1000,
      "buyers-b": 150,
    };
    const { result, file } = await run();
    expect(result.failedTask?.message).toBeUndefined();
    expect(result.failure).toBe(false);
    const insights = result.insights;
    expect(insights?.metricSummaries?.[0]?.["shop/order-value"]).toEqual({
      type: "mean",
      count: 400,
      sum: 4000,
      sumSquares: 400 * (4 + 100),
    });
    expect(insights?.metricSummaries?.[1]?.["shop/conversion"]).toEqual({
      type: "proportion",
      count: 1000,
      successes: 150,
    });
    // The point value is the mean or the proportion.
    expect(insights?.metricValues[0]?.["shop/order-value"]).toEqual([10]);
    expect(insights?.metricValues[1]?.["shop/order-value"]).toEqual([11]);
    expect(insights?.metricValues[0]?.["shop/conversion"]).toEqual([0.1]);
    expect(insights?.metricValues[1]?.["shop/conversion"]).toEqual([0.15]);
    expect(insights?.metricsInfo["shop/order-value"]).toEqual({
      description: "Order value per user",
      type: "Gauge",
      units: "EUR",
    });
    expect(insights?.metricProblems).toBeUndefined();
    // Every part of every version was asked for, once.
    expect([...asked].sort()).toEqual(
      ["a", "b"]
        .flatMap((v) => [
          `orders-${v}`,
          `order-sum-${v}`,
          `order-sumsq-${v}`,
          `visitors-${v}`,
          `buyers-${v}`,
        ])
        .sort(),
    );
    const rows = insights?.comparisons ?? [];
    expect(rows.map((r) => [r.metric, r.version])).toEqual([
      ["shop/order-value", 1],
      ["shop/conversion", 1],
    ]);
    expect(rows[0]?.estimate).toBeCloseTo(0.1, 9); // +10% order value
    expect(rows[1]?.estimate).toBeCloseTo(0.5, 9); // +50% conversion
    for (const row of rows) expect(row.adjustedPValue).toBeLessThan(0.05);
    expect(insights?.winner?.version).toBe(1);
    expect(file).toContain("metricSummaries:");
    expect(file).toContain("type: proportion");
  });

  it("declares no winner when the versions' data are the same", async () => {
    data = {
      ...meanData("a", 400, 10, 2),
      ...meanData("b", 400, 10, 2),
      "visitors-a": 1000,
      "buyers-a": 100,
      "visitors-b": 1000,
      "buyers-b": 100,
    };
    const { result } = await run();
    expect(result.insights?.comparisons?.length).toBe(2);
    expect(result.insights?.winner?.version).toBeUndefined();
  });

  it("records no data with the part and reason when a part is missing, never 0", async () => {
    data = {
      ...meanData("a", 400, 10, 2),
      ...meanData("b", 400, 11, 2),
      "visitors-a": 1000,
      "buyers-a": 100,
      "visitors-b": 1000, // buyers-b is missing
    };
    delete data["order-sumsq-a"];
    const { result } = await run();
    expect(result.failedTask?.message).toBeUndefined();
    expect(result.failure).toBe(false);
    const insights = result.insights;
    expect(insights?.metricProblems?.[0]?.["shop/order-value"]).toEqual({
      status: "no-data",
      reason: "sumSquares: no data: jq .result.value found no value",
    });
    expect(insights?.metricProblems?.[1]?.["shop/conversion"]).toEqual({
      status: "no-data",
      reason: "successes: no data: jq .result.value found no value",
    });
    expect(insights?.metricValues[0]?.["shop/order-value"]).toBeUndefined();
    expect(insights?.metricSummaries?.[0]?.["shop/order-value"]).toBeUndefined();
    expect(insights?.metricValues[1]?.["shop/conversion"]).toBeUndefined();
    expect(insights?.metricSummaries?.[1]?.["shop/conversion"]).toBeUndefined();
    // The complete metrics are still there.
    expect(insights?.metricValues[1]?.["shop/order-value"]).toEqual([11]);
    expect(insights?.metricValues[0]?.["shop/conversion"]).toEqual([0.1]);
    expect(insights?.winner?.version).toBeUndefined();
    expect(insights?.winner?.reason).toMatch(/shop\/order-value/);
  });
});
