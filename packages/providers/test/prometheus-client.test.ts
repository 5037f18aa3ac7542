import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  callBackend,
  collectProviderMetrics,
  measurePrometheusResult,
  parsePrometheusResponse,
  parsePrometheusValue,
  parseProviderSpec,
  queryPrometheus,
  queryPrometheusRange,
  resolveAuthHeaders,
} from "../src/index.js";
import type { PrometheusResponse } from "../src/index.js";

interface Seen {
  method: string;
  path: string;
  params: URLSearchParams;
  headers: IncomingMessage["headers"];
}

let server: Server;
let base: string;
const seen: Seen[] = [];
let flaky = 0;
const held: Array<() => void> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const params = req.method === "POST" ? new URLSearchParams(body) : url.searchParams;
      seen.push({ method: req.method ?? "", path: url.pathname, params, headers: req.headers });
      if (url.pathname === "/flaky") {
        flaky++;
        res.writeHead(flaky < 3 ? 503 : 200, { "content-type": "application/json" });
        return res.end(flaky < 3 ? "busy" : '{"fine":true}');
      }
      if (url.pathname === "/stall") {
        held.push(() => res.end());
        return;
      }
      if (url.pathname === "/echo/api/v1/query") {
        // An error envelope echoing the request head, as some proxies in front of Prometheus do.
        const head = Object.entries(req.headers)
          .map(([name, value]) => `${name}: ${String(value)}`)
          .join("\r\n");
        res.writeHead(400, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            status: "error",
            errorType: "bad_data",
            error: `bad request\r\n${head}`,
            warnings: [`echo\n${head}`],
          }),
        );
      }
      if (url.pathname === "/api/v1/query_range") {
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(
          JSON.stringify({
            status: "success",
            data: {
              resultType: "matrix",
              result: [
                {
                  metric: { job: "a" },
                  values: [
                    [1, "1"],
                    [2, "3"],
                  ],
                },
              ],
            },
          }),
        );
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          status: "success",
          warnings: ["slow query"],
          data: { resultType: "vector", result: [{ metric: {}, value: [1, params.get("query")] }] },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  held.forEach((release) => release());
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("Prometheus values and envelopes", () => {
  it.each([
    ["1.5", 1.5],
    ["0", 0],
    ["NaN", Number.NaN],
    ["+Inf", Number.POSITIVE_INFINITY],
    ["-Inf", Number.NEGATIVE_INFINITY],
    ["1e3", 1000],
  ])("reads the sample value %s", (text, value) => {
    expect(parsePrometheusValue(text)).toBe(value);
  });

  it("refuses a sample value that is not a number", () => {
    expect(() => parsePrometheusValue("many")).toThrow(/not a number: "many"/);
  });

  const vector = (values: string[]): PrometheusResponse => ({
    status: "success",
    data: { resultType: "vector", result: values.map((v) => ({ metric: {}, value: [1, v] })) },
  });

  it.each([
    ["one sample", vector(["3"]), { status: "ok", value: 3 }],
    ["+Inf", vector(["+Inf"]), { status: "ok", value: Number.POSITIVE_INFINITY }],
    ["NaN", vector(["NaN"]), { status: "nan", reason: "the query returned NaN" }],
    ["an empty result", vector([]), { status: "no-data", reason: "the query returned no series" }],
    [
      "a scalar",
      { status: "success", data: { resultType: "scalar", result: [1, "2"] } },
      { status: "ok", value: 2 },
    ],
    [
      "an error envelope",
      { status: "error", errorType: "timeout", error: "query timed out" },
      { status: "error", reason: "Prometheus error (timeout): query timed out" },
    ],
  ] as Array<[string, PrometheusResponse, unknown]>)("measures %s", (_name, response, expected) => {
    expect(measurePrometheusResult(response)).toEqual(expected);
  });

  it("refuses two series for one value", () => {
    expect(measurePrometheusResult(vector(["1", "2"]))).toMatchObject({
      status: "error",
      reason: expect.stringMatching(/returned 2 series/) as string,
    });
  });

  it.each([
    [
      "HTML",
      502,
      "<html><h1>Bad Gateway</h1></html>",
      "HTTP 502: the answer is not JSON: <html><h1>Bad Gateway</h1></html>",
    ],
    [
      "another JSON",
      200,
      '{"hello":1}',
      'HTTP 200: the answer is not a Prometheus API envelope: {"hello":1}',
    ],
    [
      "a broken vector",
      200,
      '{"status":"success","data":{"resultType":"vector","result":[{"value":3}]}}',
      'HTTP 200: unexpected data of resultType "vector"',
    ],
  ])("names the problem with %s answers", (_name, status, body, message) => {
    expect(() => parsePrometheusResponse({ status, body })).toThrow(message);
  });

  it("keeps an error envelope's type, message and warnings", () => {
    const body = JSON.stringify({
      status: "error",
      errorType: "bad_data",
      error: "parse error",
      warnings: ["w"],
    });
    expect(parsePrometheusResponse({ status: 400, body })).toEqual({
      status: "error",
      errorType: "bad_data",
      error: "parse error",
      warnings: ["w"],
    });
  });
});

describe("Prometheus client", () => {
  it("runs an instant query with GET and a time", async () => {
    const response = await queryPrometheus(
      { query: "42", time: new Date(1_700_000_000_000) },
      { baseUrl: base },
    );
    expect(response).toMatchObject({ status: "success", warnings: ["slow query"] });
    expect(measurePrometheusResult(response)).toEqual({ status: "ok", value: 42 });
    const last = seen.at(-1);
    expect(last?.method).toBe("GET");
    expect(last?.path).toBe("/api/v1/query");
    expect(last?.params.get("time")).toBe("1700000000");
  });

  it("runs an instant query with POST, form-encoded", async () => {
    await queryPrometheus({ query: 'sum(x{a="b"})' }, { baseUrl: `${base}/`, method: "POST" });
    const last = seen.at(-1);
    expect(last?.method).toBe("POST");
    expect(last?.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    expect(last?.params.get("query")).toBe('sum(x{a="b"})');
  });

  it("runs a range query and measures its last point", async () => {
    const response = await queryPrometheusRange(
      { query: "x", start: new Date(0), end: new Date(60_000), stepSeconds: 15 },
      { baseUrl: base },
    );
    expect(seen.at(-1)?.params.get("step")).toBe("15");
    expect(seen.at(-1)?.params.get("end")).toBe("60");
    expect(measurePrometheusResult(response)).toEqual({ status: "ok", value: 3 });
  });
});

describe("Prometheus client error texts", () => {
  it("redacts the secrets and strips the line breaks of an error envelope echoing the request", async () => {
    const response = await queryPrometheus(
      { query: "up" },
      {
        baseUrl: `${base}/echo`,
        headers: { authorization: "Bearer tok-5Fz9/Qa+1" },
        redact: ["tok-5Fz9/Qa+1"],
      },
    );
    expect(response.status).toBe("error");
    const error = response.status === "error" ? response.error : "";
    expect(error).toMatch(/^bad request .*authorization: Bearer \*\*\*/);
    expect(error).not.toContain("tok-5Fz9");
    expect(error).not.toMatch(/[\r\n]/);
    expect(response.warnings?.[0]).toMatch(/^echo .*authorization: Bearer \*\*\*/);
    expect(JSON.stringify(response.warnings)).not.toContain("tok-5Fz9");
  });
});

describe("backend calls", () => {
  it("retries 5xx answers a bounded number of times", async () => {
    flaky = 0;
    const answer = await callBackend(
      { url: `${base}/flaky`, method: "GET" },
      { retries: 2, retryDelayMs: 10 },
    );
    expect(answer).toMatchObject({ status: 200, attempts: 3, body: '{"fine":true}' });
  });

  it("gives up after the retries with the last status", async () => {
    flaky = -10;
    const answer = await callBackend(
      { url: `${base}/flaky`, method: "GET" },
      { retries: 1, retryDelayMs: 10 },
    );
    expect(answer).toMatchObject({ status: 503, attempts: 2, body: "busy" });
  });

  it("times out each attempt and says so, without the secrets", async () => {
    const call = callBackend(
      { url: `${base}/stall?key=hunter2`, method: "GET" },
      { timeoutMs: 100, retries: 1, retryDelayMs: 10, redact: ["hunter2"] },
    );
    await expect(call).rejects.toThrow(
      `GET ${base}/stall?key=***: no answer within 100 ms (2 attempts)`,
    );
  });

  it("reports a refused connection", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(
      callBackend({ url: `http://127.0.0.1:${port}/`, method: "GET" }, { retries: 0 }),
    ).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe("provider specs and auth", () => {
  it("refuses a secret written in the template", () => {
    expect(() =>
      parseProviderSpec(
        "url: http://x/q\nauth: {type: bearer, token: abc}\nmetrics: [{name: m, type: gauge, jqExpression: .}]",
        "p",
      ),
    ).toThrow(/provider p: auth.token: secrets are never written in templates/);
  });

  it.each([
    ["no url", "metrics: [{name: m, type: gauge, jqExpression: .}]", /provider p: url/],
    [
      "a bad method",
      "url: http://x\nmethod: PUT\nmetrics: [{name: m, type: gauge, jqExpression: .}]",
      /method must be GET or POST/,
    ],
    [
      "a bad type",
      "url: http://x\nmetrics: [{name: m, type: histogram, jqExpression: .}]",
      /type must be counter, gauge, mean or proportion/,
    ],
    ["no metrics", "url: http://x\nmetrics: []", /at least one metric/],
    ["not YAML", "url: [", /not valid YAML/],
  ])("refuses a spec with %s", (_name, text, message) => {
    expect(() => parseProviderSpec(text, "p")).toThrow(message);
  });

  it("builds basic and apiKey headers from environment variables and files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iter8-secret-"));
    try {
      await writeFile(join(dir, "password"), "pa55word\n");
      const basic = await resolveAuthHeaders(
        { type: "basic", username: "alice", password: { file: "password" } },
        { env: {}, baseDir: dir },
      );
      expect(basic.headers.authorization).toBe(
        `Basic ${Buffer.from("alice:pa55word").toString("base64")}`,
      );
      expect(basic.secrets).toContain("pa55word");
      const apiKey = await resolveAuthHeaders(
        { type: "apiKey", header: "DD-API-KEY", key: { env: "DD_KEY" } },
        { env: { DD_KEY: "k-123" }, baseDir: dir },
      );
      expect(apiKey.headers).toEqual({ "DD-API-KEY": "k-123" });
      await expect(
        resolveAuthHeaders(
          { type: "bearer", token: { file: "missing" } },
          { env: {}, baseDir: dir },
        ),
      ).rejects.toThrow(/cannot read the bearer token from .*missing \(ENOENT\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("sends an API key and a JSON body to an HTTP+JSON backend and reads the value with jq", async () => {
    const spec = parseProviderSpec(
      [
        `url: ${base}/search`,
        "method: POST",
        "auth: {type: apiKey, header: X-Api-Key, key: {env: KEY}}",
        "metrics:",
        "- name: hits",
        "  type: counter",
        '  body: \'{"q": "errors"}\'',
        "  jqExpression: .data.result[0].value[1] | tonumber",
      ].join("\n"),
      "json",
    );
    const [m] = await collectProviderMetrics("json", spec, {
      env: { KEY: "key-456" },
      baseDir: ".",
    });
    const last = seen.at(-1);
    expect(last?.headers["x-api-key"]).toBe("key-456");
    expect(last?.headers["content-type"]).toBe("application/json");
    // the stand-in backend echoes the (absent) form query as the value: null → no data, never 0
    expect(m).toMatchObject({ name: "json/hits", status: "no-data" });
  });
});
