import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectProviderMetrics, parseProviderSpec } from "../src/index.js";

const q = (name: string) => `{params: [{name: q, value: ${name}}], jqExpression: .value}`;

describe("mean and proportion metrics in provider specs", () => {
  it("reads a mean and a proportion metric with one query per part", () => {
    const spec = parseProviderSpec(
      `url: http://x/stats
metrics:
- name: order-value
  type: Mean
  units: EUR
  queries: {count: ${q("n")}, sum: ${q("s")}, sumSquares: {body: '{"q": "ss"}', jqExpression: .v}}
- name: conversion
  type: proportion
  queries: {count: ${q("visitors")}, successes: ${q("buyers")}}
`,
      "shop",
    );
    expect(spec.metrics).toEqual([
      {
        name: "order-value",
        description: "",
        type: "mean",
        units: "EUR",
        queries: {
          count: { params: [{ name: "q", value: "n" }], jqExpression: ".value" },
          sum: { params: [{ name: "q", value: "s" }], jqExpression: ".value" },
          sumSquares: { params: [], body: '{"q": "ss"}', jqExpression: ".v" },
        },
      },
      {
        name: "conversion",
        description: "",
        type: "proportion",
        queries: {
          count: { params: [{ name: "q", value: "visitors" }], jqExpression: ".value" },
          successes: { params: [{ name: "q", value: "buyers" }], jqExpression: ".value" },
        },
      },
    ]);
  });

  it.each([
    [
      "a missing part",
      `{name: m, type: mean, queries: {count: ${q("n")}, sum: ${q("s")}}}`,
      /metrics.0.queries: a mean metric has exactly the queries count, sum, sumSquares; missing sumSquares/,
    ],
    [
      "an unknown part",
      `{name: m, type: proportion, queries: {count: ${q("n")}, successes: ${q("s")}, sum: ${q("x")}}}`,
      /queries count, successes; unknown sum/,
    ],
    [
      "a top-level jqExpression",
      `{name: m, type: proportion, jqExpression: ., queries: {count: ${q("n")}, successes: ${q("s")}}}`,
      /metrics.0.jqExpression: a proportion metric sets jqExpression per query, under queries.\{count, successes\}/,
    ],
    [
      "queries on a gauge",
      `{name: m, type: gauge, jqExpression: ., queries: {count: ${q("n")}}}`,
      /metrics.0.queries: only a mean or proportion metric has queries/,
    ],
    ["a gauge without jqExpression", `{name: m, type: gauge}`, /metrics.0.jqExpression: required/],
    [
      "a part without jqExpression",
      `{name: m, type: proportion, queries: {count: {params: []}, successes: ${q("s")}}}`,
      /metrics.0.queries.count.jqExpression/,
    ],
  ])("refuses %s", (_name, metric, message) => {
    expect(() => parseProviderSpec(`url: http://x\nmetrics: [${metric}]`, "p")).toThrow(message);
  });
});

describe("collecting mean and proportion metrics", () => {
  let server: Server;
  let url = "";
  /** Answers per query name; a missing one is an HTTP 500. */
  let data: Record<string, unknown> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const name = new URL(req.url ?? "/", "http://x").searchParams.get("q") ?? "";
      if (!(name in data)) {
        res.writeHead(500, { "content-type": "text/plain" }).end("backend down");
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ value: data[name] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const collect = async (values: Record<string, unknown>) => {
    data = values;
    const spec = parseProviderSpec(
      `url: ${url}/stats
metrics:
- name: value
  type: mean
  queries: {count: ${q("n")}, sum: ${q("s")}, sumSquares: ${q("ss")}}
- name: rate
  type: proportion
  queries: {count: ${q("trials")}, successes: ${q("wins")}}
`,
      "b",
    );
    const [mean, proportion] = await collectProviderMetrics("b", spec, {
      env: {},
      baseDir: ".",
      retries: 0,
    });
    return { mean, proportion };
  };

  it("gives the summary and the mean or proportion as the value", async () => {
    const { mean, proportion } = await collect({
      n: 4,
      s: "10",
      ss: 30,
      trials: 8,
      wins: 2,
    });
    expect(mean).toEqual({
      name: "b/value",
      info: { description: "value", type: "Gauge" },
      status: "ok",
      value: 2.5,
      summary: { type: "mean", count: 4, sum: 10, sumSquares: 30 },
    });
    expect(proportion?.value).toBe(0.25);
    expect(proportion?.summary).toEqual({ type: "proportion", count: 8, successes: 2 });
  });

  it("names the part on a backend error, and keeps a zero count as no data with its summary", async () => {
    const { mean, proportion } = await collect({ n: 4, s: 10, trials: 0, wins: 0 });
    expect(mean?.status).toBe("error");
    expect(mean?.reason).toBe("sumSquares: HTTP 500 Internal Server Error: backend down");
    expect(mean?.summary).toBeUndefined();
    expect(mean?.value).toBeUndefined();
    expect(proportion).toMatchObject({
      status: "no-data",
      reason: "no data: count is 0",
      summary: { type: "proportion", count: 0, successes: 0 },
    });
    expect(proportion?.value).toBeUndefined();
  });

  it("refuses parts that cannot come from one set of data", async () => {
    const { mean, proportion } = await collect({ n: 4, s: 10, ss: 20, trials: 5, wins: 6 });
    expect(mean?.status).toBe("error");
    expect(mean?.reason).toMatch(/sumSquares 20 is less than sum²\/count = 25/);
    expect(proportion?.reason).toMatch(/successes 6 is not between 0 and count 5/);
    const nan = await collect({ n: 4, s: "NaN", ss: 30, trials: -1, wins: 0 });
    expect(nan.mean).toMatchObject({ status: "nan", reason: "sum: the backend returned NaN" });
    expect(nan.proportion?.reason).toBe("count: -1 is negative");
  });
});
