import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRollout } from "@iter8/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTrafficProxy, TrafficError } from "@iter8/traffic";
import type { TrafficProxy } from "@iter8/traffic";
import { runRollout } from "../src/index.js";
import type { RolloutDecision } from "../src/index.js";
import { routingFor, startUpstream } from "@iter8/test-utils";
import type { Upstream } from "@iter8/test-utils";

/** A stand-in for Prometheus's instant-query API whose answer the test switches. */
interface FakePrometheus {
  url: string;
  /** The error rate to report; `undefined` answers an empty vector (no data). */
  errorRate: number | undefined;
  queries: string[];
  close(): Promise<void>;
}

async function startFakePrometheus(): Promise<FakePrometheus> {
  const state: FakePrometheus = {
    url: "",
    errorRate: 0,
    queries: [],
    close: async () => {},
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/api/v1/query") {
      res.writeHead(404).end("not found");
      return;
    }
    state.queries.push(url.searchParams.get("query") ?? "");
    const now = Date.now() / 1000;
    const result =
      state.errorRate === undefined ? [] : [{ metric: {}, value: [now, String(state.errorRate)] }];
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}

const TEMPLATE = `url: {{ .url }}/api/v1/query
method: GET
timeout: 10s
retries: 0
metrics:
- name: error-rate
  type: gauge
  description: candidate error rate
  params:
  - name: query
    value: 'sum(rate(http_errors{version="{{ .version }}",weight="{{ .weight }}"}[{{ .elapsedTimeSeconds }}s]))'
  jqExpression: .data.result[0].value[1] | tonumber
`;

let prometheus: FakePrometheus;
let v1: Upstream;
let v2: Upstream;
let dir: string;

beforeAll(async () => {
  prometheus = await startFakePrometheus();
  v1 = await startUpstream("v1", { keep: false });
  v2 = await startUpstream("v2", { keep: false });
  dir = await mkdtemp(join(tmpdir(), "iter8-rollout-provider-"));
  await writeFile(join(dir, "prometheus.tpl"), TEMPLATE);
});

afterAll(async () => {
  await prometheus.close();
  await v1.close();
  await v2.close();
  await rm(dir, { recursive: true, force: true });
});

/** Runs a rollout (steps 25, 50, 100; 150 ms each) gated only on the provider's error rate. */
async function rollout(
  sloExtra = "",
  onDecision: (d: RolloutDecision) => void = () => {},
  values = `{url: "${prometheus.url}"}`,
) {
  const proxy: TrafficProxy = await startTrafficProxy({
    routing: routingFor([v1, v2], "  - name: app\n    split: [{version: v1, weight: 100}]\n"),
    port: 0,
    adminPort: 0,
  });
  const parsed = parseRollout(`admin: ${proxy.adminUrl}
baseline: v1
candidate: v2
steps: [25, 50, 100]
interval: 150ms
failureLimit: 2
minRequests: 0
custommetrics:
  templates: {prometheus: prometheus.tpl}
  values: ${values}
SLOs:
  - {metric: prometheus/error-rate, upperLimit: 0.05${sloExtra}}
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const live: RolloutDecision[] = [];
  try {
    const result = await runRollout(parsed.value, {
      baseDir: dir,
      env: { ITER8_PROXY_TOKEN: proxy.adminToken },
      onDecision: (d) => {
        live.push(d);
        onDecision(d);
      },
    });
    return { result, live, split: proxy.routing.routes[0]?.split };
  } finally {
    await proxy.close();
  }
}

describe("runRollout with provider metrics (custommetrics)", () => {
  it("takes a candidate whose provider-reported error rate is low to 100%", async () => {
    prometheus.errorRate = 0.01;
    prometheus.queries = [];
    const { result, live, split } = await rollout();
    expect(result.state).toBe("promoted");
    expect(live.map((d) => d.action)).toEqual(["start", "advance", "advance", "promote"]);
    expect(live[1]?.candidate?.metrics).toEqual({ "prometheus/error-rate": 0.01 });
    expect(split).toEqual([
      { version: "v1", weight: 0 },
      { version: "v2", weight: 100 },
    ]);
    // One query per check, rendered with the candidate's name, the step's weight and length.
    expect(prometheus.queries).toHaveLength(3);
    expect(prometheus.queries[0]).toMatch(
      /^sum\(rate\(http_errors\{version="v2",weight="25"\}\[\d+s\]\)\)$/,
    );
    expect(prometheus.queries[2]).toContain('weight="100"');
  });

  it("rolls back when the provider's error rate turns high after the first step", async () => {
    prometheus.errorRate = 0.01;
    const { result, live, split } = await rollout("", (d) => {
      if (d.action === "advance") prometheus.errorRate = 0.2;
    });
    expect(result.state).toBe("rolled-back");
    expect(live.map((d) => d.action)).toEqual(["start", "advance", "hold", "rollback"]);
    expect(live[2]?.reason).toContain("v2 fails prometheus/error-rate <= 0.05 (value 0.2)");
    expect(live[3]?.reason).toContain("all traffic back to v1");
    expect(split).toEqual([
      { version: "v1", weight: 100 },
      { version: "v2", weight: 0 },
    ]);
  });

  it("fails a check with the provider's reason when there is no data", async () => {
    prometheus.errorRate = undefined;
    const { result, live } = await rollout();
    expect(result.state).toBe("rolled-back");
    expect(live[1]?.reason).toContain("v2 fails prometheus/error-rate <= 0.05: no data");
    expect(live[1]?.reason).toContain("found no value");
    expect(live[1]?.candidate?.metrics).toEqual({ "prometheus/error-rate": null });
  });

  it("passes a check without data when the SLO says onNoData: skip", async () => {
    prometheus.errorRate = undefined;
    const { result } = await rollout(", onNoData: skip");
    expect(result.state).toBe("promoted");
  });

  it("fails a check with the reason when the provider cannot be reached", async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const { result, live } = await rollout("", () => {}, `{url: "http://127.0.0.1:${port}"}`);
    expect(result.state).toBe("rolled-back");
    expect(live[1]?.reason).toContain("fails prometheus/error-rate <= 0.05: no data");
    expect(live[1]?.reason).toMatch(/ECONNREFUSED|connect/i);
  });

  it("refuses a template with an unset variable before changing any weight", async () => {
    const decisions: RolloutDecision[] = [];
    const error = await rollout("", (d) => decisions.push(d), "{}").catch((e: unknown) => e);
    expect(decisions).toEqual([]);
    expect(error).toBeInstanceOf(TrafficError);
    expect((error as TrafficError).code).toBe("ITER8_TRAFFIC_ROLLOUT_INVALID");
    expect((error as TrafficError).kind).toBe("invalid-input");
    expect((error as TrafficError).message).toContain("custommetrics:");
    expect((error as TrafficError).message).toContain("template variable .url is not set");
  });
});
