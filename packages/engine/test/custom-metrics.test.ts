import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { parseExperiment } from "@iter8/spec";
import type { ExperimentResult } from "@iter8/spec";
import { checkAssertConditions } from "@iter8/slo";
import { startLoopbackServer } from "@iter8/test-utils";
import type { LoopbackServer } from "@iter8/test-utils";
import { runExperiment } from "../src/index.js";
import type { EngineEvent } from "../src/index.js";

const SECRET = "s3cr3t-token-7f1e9a";
const hits = new Map<string, number>();
const held: Array<() => void> = [];
let server: LoopbackServer;
let url: string;
let dir: string;

const vector = (value: string) =>
  JSON.stringify({
    status: "success",
    data: { resultType: "vector", result: [{ metric: {}, value: [1700000000, value] }] },
  });

async function readQuery(req: IncomingMessage): Promise<string> {
  const parsed = new URL(req.url ?? "/", "http://x");
  if (req.method === "POST") {
    let body = "";
    for await (const chunk of req) body += String(chunk);
    return new URLSearchParams(body).get("query") ?? "";
  }
  return parsed.searchParams.get("query") ?? "";
}

beforeAll(async () => {
  // A Prometheus-like backend whose answer depends on the query: each bad behaviour on demand.
  server = await startLoopbackServer((req, res) => {
    void readQuery(req).then((query) => {
      hits.set(query, (hits.get(query) ?? 0) + 1);
      const json = (status: number, body: string) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body);
      };
      switch (query) {
        case "ok":
          return json(200, vector("42.5"));
        case "post-only":
          return req.method === "POST" ? json(200, vector("7")) : json(405, "{}");
        case "empty":
          return json(
            200,
            JSON.stringify({ status: "success", data: { resultType: "vector", result: [] } }),
          );
        case "nan":
          return json(200, vector("NaN"));
        case "inf":
          return json(200, vector("+Inf"));
        case "bad":
          return json(
            400,
            JSON.stringify({
              status: "error",
              errorType: "bad_data",
              error: 'parse error at char 4: unexpected "}"',
            }),
          );
        case "html":
          res.writeHead(500, { "content-type": "text/html" });
          return res.end(
            "<html><body><h1>Internal Server Error</h1><p>upstream exploded</p></body></html>",
          );
        case "garbage":
          res.writeHead(200, { "content-type": "text/plain" });
          return res.end("this is not json");
        case "slow":
          held.push(() => res.end());
          return;
        case "auth":
          if (req.headers.authorization !== `Bearer ${SECRET}`) {
            return json(
              401,
              JSON.stringify({ status: "error", errorType: "auth", error: "unauthorized" }),
            );
          }
          return json(200, vector("1"));
        default:
          return json(404, "{}");
      }
    });
  });
  url = server.url;
});

afterAll(async () => {
  held.forEach((release) => release());
  await server.close();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-custom-metrics-"));
  hits.clear();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const TEMPLATE = `url: {{ .url }}/api/v1/query
method: {{ .method | default "GET" }}
{{- if .auth }}
auth:
  type: bearer
  token:
    env: TEST_BACKEND_TOKEN
{{- end }}
timeout: 2s
retries: 1
metrics:
{{- range $q := .queries }}
- name: {{ $q }}
  type: gauge
  description: the {{ $q }} case
  params:
  - name: query
    value: {{ $q }}
  jqExpression: .data.result[0].value[1] | tonumber
{{- end }}
`;

function experimentYaml(values: Record<string, unknown>, slos = ""): string {
  return `- task: custommetrics
  with:
    templates:
      backend: backend.tpl
    values: ${JSON.stringify({ url, ...values })}
    versionValues: [{}]
${slos}`;
}

async function run(
  yamlText: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ result: ExperimentResult; events: EngineEvent[]; file: string }> {
  await writeFile(join(dir, "backend.tpl"), TEMPLATE);
  const parsed = parseExperiment(yamlText);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const events: EngineEvent[] = [];
  const result = await runExperiment(parsed.value, {
    dir,
    env,
    onEvent: (e) => events.push(e),
  });
  return { result, events, file: await readFile(join(dir, "result.yaml"), "utf8") };
}

describe("custommetrics against a misbehaving backend", () => {
  it("records a value, and no-data, NaN, +Inf, an error envelope, a 500 page, garbage and a timeout per metric", async () => {
    const queries = ["ok", "empty", "nan", "inf", "bad", "html", "garbage", "slow"];
    const { result, file } = await run(experimentYaml({ queries }));
    expect(result.failure).toBe(false);
    const insights = result.insights;
    expect(insights?.numVersions).toBe(1);
    expect(insights?.metricValues[0]).toEqual({
      "backend/ok": [42.5],
      "backend/inf": [Number.POSITIVE_INFINITY],
    });
    const problems = insights?.metricProblems?.[0] ?? {};
    expect(problems["backend/empty"]).toEqual({
      status: "no-data",
      reason: expect.stringMatching(/^no data/) as string,
    });
    expect(problems["backend/nan"]?.status).toBe("nan");
    expect(problems["backend/bad"]).toEqual({
      status: "error",
      reason: 'Prometheus error (bad_data): parse error at char 4: unexpected "}" (HTTP 400)',
    });
    expect(problems["backend/html"]?.status).toBe("error");
    expect(problems["backend/html"]?.reason).toBe(
      "HTTP 500 Internal Server Error: <html><body><h1>Internal Server Error</h1><p>upstream exploded</p></body></html>",
    );
    expect(problems["backend/garbage"]?.reason).toBe(
      "the answer is not JSON (HTTP 200): this is not json",
    );
    // (2 s per attempt: the other queries' answers must not time out on a loaded machine.)
    expect(problems["backend/slow"]?.reason).toMatch(/: no answer within 2000 ms \(2 attempts\)$/);
    // bounded retries: one retry after the first timeout, and a 500 is retried once too
    expect(hits.get("slow")).toBe(2);
    expect(hits.get("html")).toBe(2);
    expect(hits.get("bad")).toBe(1);
    expect(insights?.metricsInfo["backend/ok"]).toEqual({
      description: "the ok case",
      type: "Gauge",
    });
    // result.yaml keeps the values and the reasons, infinities as YAML .inf
    expect(file).toContain("backend/inf:\n        - .inf");
    expect(file).toContain("status: no-data");
  });

  it("sends the query form-encoded with method POST", async () => {
    const { result } = await run(experimentYaml({ queries: ["post-only"], method: "POST" }));
    expect(result.insights?.metricValues[0]?.["backend/post-only"]).toEqual([7]);
  });

  it("fails an SLO on a metric without a value with the reason, in assert's message", async () => {
    const slos = `- task: assess-app-versions
  with:
    SLOs:
      - metric: backend/html
        upperLimit: 1
      - metric: backend/empty
        upperLimit: 1
        onNoData: skip
      - metric: backend/ok
        upperLimit: 100
`;
    const { result } = await run(experimentYaml({ queries: ["ok", "empty", "html"] }, slos));
    expect(result.insights?.SLOsSatisfied).toEqual([[false], [true], [true]]);
    const [outcome] = checkAssertConditions([{ kind: "slos", text: "slos" }], result);
    expect(outcome?.satisfied).toBe(false);
    expect(outcome?.message).toContain(
      "version 0 fails backend/html <= 1: no data for backend/html (HTTP 500 Internal Server Error: <html>",
    );
  });

  it("fails the task naming a template variable that is not set", async () => {
    const { result } = await run(`- task: custommetrics
  with:
    templates:
      backend: backend.tpl
    values: {queries: [ok]}
`);
    expect(result.failure).toBe(true);
    expect(result.failedTask?.message).toMatch(
      /template of provider backend: line 1: template variable \.url is not set/,
    );
    expect(hits.size).toBe(0);
  });

  it("reads a bearer token from the environment and never writes it to result.yaml or events", async () => {
    const env = { TEST_BACKEND_TOKEN: SECRET };
    const { result, events, file } = await run(
      experimentYaml({ queries: ["auth", "bad", "html"], auth: true }),
      env,
    );
    expect(result.insights?.metricValues[0]?.["backend/auth"]).toEqual([1]);
    const everything = `${file}\n${JSON.stringify(events)}\n${JSON.stringify(result)}`;
    expect(everything).not.toContain(SECRET);
    expect(everything).not.toContain("Bearer");
  });

  it("fails the task with a clear message when the token's variable is not set", async () => {
    const { result, file } = await run(experimentYaml({ queries: ["auth"], auth: true }), {});
    expect(result.failedTask?.message).toBe(
      "the bearer token is read from environment variable TEST_BACKEND_TOKEN, which is not set",
    );
    expect(file).toContain("failure: true");
  });

  it("sets numVersions from versionValues when no load task ran", async () => {
    await writeFile(join(dir, "backend.tpl"), TEMPLATE);
    const parsed = parseExperiment(`- task: custommetrics
  with:
    templates: {backend: backend.tpl}
    values: {url: "${url}", queries: [ok]}
    versionValues: [{}, {}, {}]
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const result = await runExperiment(parsed.value, { dir, env: {} });
    expect(result.insights?.numVersions).toBe(3);
    expect(result.insights?.metricValues.map((v) => v["backend/ok"])).toEqual([
      [42.5],
      [42.5],
      [42.5],
    ]);
  });
});
