import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadResult, parseExperiment, parseRoutingOrThrow } from "@iter8/spec";
import type { Experiment } from "@iter8/spec";
import { checkAssertConditions, parseAssertCondition } from "@iter8/slo";
import { startLoopbackServer } from "@iter8/test-utils";
import { startTrafficProxy } from "@iter8/traffic";
import type { TrafficProxy } from "@iter8/traffic";
import { runExperiment } from "../src/index.js";

const TOTAL = 200;
/** Every proxy of these tests takes this admin token; the task reads it from ITER8_PROXY_TOKEN. */
const TOKEN = "proxy-metrics-test-token-0123456789";
const env = { ITER8_PROXY_TOKEN: TOKEN };

let dir: string;
let v1: Server;
let v2: Server;
let v1Url: string;
let v2Url: string;
let proxy: TrafficProxy;

const listen = startLoopbackServer;

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** What the client saw through the proxy, per version. */
interface Seen {
  requests: number;
  errors: number;
}

/** Sends `count` GETs through the proxy, 10 at a time, and counts answers by `x-iter8-version`. */
async function sendThroughProxy(
  count: number,
  through: TrafficProxy = proxy,
  headers: Record<string, string> = {},
): Promise<Record<string, Seen>> {
  const seen: Record<string, Seen> = {};
  for (let sent = 0; sent < count; sent += 10) {
    const batch = Array.from({ length: Math.min(10, count - sent) }, async () => {
      const res = await fetch(`${through.url}/`, { headers });
      await res.text();
      const version = res.headers.get("x-iter8-version") ?? "?";
      const own = (seen[version] ??= { requests: 0, errors: 0 });
      own.requests++;
      if (res.status >= 500) own.errors++;
    });
    await Promise.all(batch);
  }
  return seen;
}

function parse(yaml: string): Experiment {
  const parsed = parseExperiment(yaml);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return parsed.value;
}

const assess = `- task: assess-app-versions
  with:
    SLOs:
    - metric: built-in/error-rate
      upperLimit: 0.05
    - metric: built-in/p95
      upperLimit: 10000
`;

beforeAll(async () => {
  const a = await listen((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("v1");
  });
  // v2 answers 500 to its 1st, 5th, 9th, ... request: any traffic to it includes errors.
  let count = 0;
  const b = await listen((_req, res) => {
    count++;
    res.writeHead(count % 4 === 1 ? 500 : 200, { "content-type": "text/plain" });
    res.end("v2");
  });
  v1 = a.server;
  v2 = b.server;
  v1Url = a.url;
  v2Url = b.url;
  proxy = await startProxy(`
  - name: app
    split: [{version: v1, weight: 90}, {version: v2, weight: 10}]`);
});

/** A proxy in front of v1 and v2 with the given `routes:` (YAML list items). */
function startProxy(routes: string): Promise<TrafficProxy> {
  return startTrafficProxy({
    routing: parseRoutingOrThrow(`versions:
  - name: v1
    url: ${v1Url}
  - name: v2
    url: ${v2Url}
routes:${routes}
`),
    port: 0,
    adminPort: 0,
    adminToken: TOKEN,
  });
}

afterAll(async () => {
  await proxy.close();
  await Promise.all([close(v1), close(v2)]);
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-proxymetrics-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("proxymetrics", () => {
  it("records the proxy's live counts per version, and SLOs judge them (window, then an empty window)", async () => {
    proxy.takeWindow(); // start from an empty window whatever ran before
    const seen = await sendThroughProxy(TOTAL);
    const s1 = seen.v1 ?? { requests: 0, errors: 0 };
    const s2 = seen.v2 ?? { requests: 0, errors: 0 };
    expect(s1.requests + s2.requests).toBe(TOTAL);
    expect(s1.errors).toBe(0);
    expect(s2.errors).toBeGreaterThan(0);

    const experiment = parse(`- task: proxymetrics
  with:
    admin: ${proxy.adminUrl}
    versions: [v1, v2]
    percentiles: [50, 95]
    window: true
${assess}`);
    const result = await runExperiment(experiment, { dir, env });
    expect(result.failure).toBe(false);
    const values = result.insights?.metricValues ?? [];
    expect(values[0]?.["built-in/request-count"]).toEqual([s1.requests]);
    expect(values[1]?.["built-in/request-count"]).toEqual([s2.requests]);
    expect(values[0]?.["built-in/error-count"]).toEqual([0]);
    expect(values[1]?.["built-in/error-count"]).toEqual([s2.errors]);
    expect(values[0]?.["built-in/error-rate"]).toEqual([0]);
    expect(values[1]?.["built-in/error-rate"]?.[0]).toBeCloseTo(s2.errors / s2.requests, 12);
    expect(values[1]?.["built-in/p95.0"]?.[0]).toBeGreaterThan(0);
    expect(result.insights?.metricSummaries?.[1]?.["built-in/error-rate"]).toEqual({
      type: "proportion",
      count: s2.requests,
      successes: s2.errors,
    });
    // v1 meets both SLOs; v2's injected errors (≥ 25% of its requests) break the error-rate SLO.
    expect(result.insights?.SLOsSatisfied).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(result.insights?.SLOsSatisfiedBy).toEqual([true, false]);
    expect((await loadResult(join(dir, "result.yaml"))).insights?.metricValues).toEqual(values);

    // The window was read and restarted: nothing has been sent since, so there is no data.
    const again = await runExperiment(experiment, { dir, env });
    const empty = again.insights;
    expect(empty?.metricValues[0]?.["built-in/request-count"]).toEqual([0]);
    expect(empty?.metricValues[0]?.["built-in/error-rate"]).toBeUndefined();
    expect(empty?.metricProblems?.[0]?.["built-in/error-rate"]).toEqual({
      status: "no-data",
      reason: 'the proxy counted no live requests for version "v1" in this window',
    });
    expect(empty?.SLOsSatisfiedBy).toEqual([false, false]);
  });

  it("reads cumulative counters by default, for the proxy's versions in routing order", async () => {
    const before = proxy.stats().versions;
    const seen = await sendThroughProxy(20);
    const result = await runExperiment(
      parse(`- task: proxymetrics
  with: {admin: "${proxy.adminUrl}/"}
`),
      { dir, env },
    );
    expect(result.failure).toBe(false);
    expect(result.insights?.numVersions).toBe(2);
    ["v1", "v2"].forEach((name, v) => {
      const expected = (before[name]?.live.requests ?? 0) + (seen[name]?.requests ?? 0);
      expect(result.insights?.metricValues[v]?.["built-in/request-count"]).toEqual([expected]);
    });
    // The default percentiles are the load task's.
    expect(Object.keys(result.insights?.metricsInfo ?? {})).toContain("built-in/p99.9");
    // Reading cumulative counters leaves the proxy's window alone.
    expect(proxy.takeWindow().versions.v1?.live.requests).toBe(seen.v1?.requests ?? 0);
  });

  it("gives no data, not zeros, for mirror traffic when nothing is mirrored", async () => {
    await sendThroughProxy(10);
    const result = await runExperiment(
      parse(`- task: proxymetrics
  with: {admin: "${proxy.adminUrl}", traffic: mirror}
${assess}`),
      { dir, env },
    );
    expect(result.insights?.metricValues[0]?.["built-in/request-count"]).toEqual([0]);
    expect(result.insights?.metricValues[0]?.["built-in/mean-latency"]).toBeUndefined();
    expect(result.insights?.metricProblems?.[1]?.["built-in/p95.0"]?.reason).toBe(
      'the proxy counted no mirror requests for version "v2"',
    );
    expect(result.insights?.SLOsSatisfiedBy).toEqual([false, false]);
  });

  it("fails with the proxy's versions when a named version is not one of them, keeping the window", async () => {
    proxy.takeWindow();
    await sendThroughProxy(10);
    const result = await runExperiment(
      parse(`- task: proxymetrics
  with: {admin: "${proxy.adminUrl}", versions: [v1, v3], window: true}
`),
      { dir, env },
    );
    expect(result.failure).toBe(true);
    expect(result.failedTask?.message).toBe(
      `proxymetrics: the proxy at ${proxy.adminUrl} has no version "v3"; its versions are v1, v2`,
    );
    const window = proxy.takeWindow().versions;
    expect((window.v1?.live.requests ?? 0) + (window.v2?.live.requests ?? 0)).toBe(10);
  });

  it("fails with the URL and how to start the proxy when the admin API is unreachable", async () => {
    const { server, url } = await listen(() => undefined);
    await close(server); // a port nothing listens on
    const result = await runExperiment(
      parse(`- task: proxymetrics
  with: {admin: "${url}"}
`),
      { dir, env },
    );
    expect(result.failure).toBe(true);
    expect(result.failedTask?.message).toMatch(
      new RegExp(
        `^proxymetrics: cannot reach the proxy's admin API at ${url} \\(.*ECONNREFUSED.*\\); start the proxy with iter8 traffic proxy .*--admin-port`,
      ),
    );
    expect(result.failedTask?.message).not.toContain("\n");
  });

  it.each([
    ["text", 200, "hello", /GET http:\/\/127\.0\.0\.1:\d+\/stats did not answer with JSON/],
    [
      "JSON that is not stats",
      200,
      '{"ok": true}',
      /\/stats is not an iter8 traffic proxy's stats/,
    ],
    [
      "broken counters",
      200,
      '{"versions": {"v1": {"live": {"requests": -1}}}}',
      /\/stats has malformed counters for version "v1"/,
    ],
    [
      "a 404",
      404,
      "no such page",
      /GET http:\/\/127\.0\.0\.1:\d+\/stats answered 404: no such page/,
    ],
  ])(
    "fails with one clear line when the endpoint answers %s",
    async (_what, status, body, message) => {
      const { server, url } = await listen((_req, res) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(body);
      });
      try {
        const result = await runExperiment(
          parse(`- task: proxymetrics
  with: {admin: "${url}", versions: [v1]}
`),
          { dir, env },
        );
        expect(result.failure).toBe(true);
        expect(result.failedTask?.message).toMatch(message);
        expect(result.failedTask?.message).not.toContain("\n");
      } finally {
        await close(server);
      }
    },
  );
});

/** assess with a reward, so `assess-app-versions` runs the sample-ratio-mismatch check. */
function assessRewards(weights?: number[]): string {
  return `- task: assess-app-versions
  with:
    rewards: [{metric: built-in/mean-latency, preferredDirection: low}]${weights ? `\n    weights: [${weights.join(", ")}]` : ""}
`;
}

describe("proxymetrics: the proxy's admin token", () => {
  it("reads the token from tokenFile, relative to the experiment's folder", async () => {
    await writeFile(join(dir, "proxy-token"), `${TOKEN}\n`);
    const result = await runExperiment(
      parse(`- task: proxymetrics
  with: {admin: "${proxy.adminUrl}", tokenFile: proxy-token}
`),
      { dir, env: {} },
    );
    expect(result.failedTask?.message).toBeUndefined();
    expect(result.insights?.numVersions).toBe(2);
  });

  it("fails in one line naming ITER8_PROXY_TOKEN and tokenFile when it has no token", async () => {
    const result = await runExperiment(
      parse(`- task: proxymetrics
  with: {admin: "${proxy.adminUrl}"}
`),
      { dir, env: {} },
    );
    expect(result.failure).toBe(true);
    expect(result.failedTask?.message).toBe(
      `proxymetrics: GET ${proxy.adminUrl}/routing answered 401: the proxy's admin API needs its token; set ITER8_PROXY_TOKEN or tokenFile: to the token the proxy printed at start`,
    );
  });

  it("fails in one line when tokenFile cannot be read", async () => {
    const result = await runExperiment(
      parse(`- task: proxymetrics
  with: {admin: "${proxy.adminUrl}", tokenFile: missing-token}
`),
      { dir, env },
    );
    expect(result.failedTask?.message).toBe(
      "proxymetrics: cannot read tokenFile missing-token: ENOENT",
    );
  });
});

describe("proxymetrics: traffic counts for the sample-ratio-mismatch check", () => {
  it("records the live counts and the route's weights, and assess checks the counts against them", async () => {
    proxy.takeWindow();
    const seen = await sendThroughProxy(100);
    const counts = [seen.v1?.requests ?? 0, seen.v2?.requests ?? 0];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(100);
    const result = await runExperiment(
      parse(`- task: proxymetrics
  with: {admin: "${proxy.adminUrl}", versions: [v1, v2], window: true}
${assessRewards()}`),
      { dir, env },
    );
    expect(result.failure).toBe(false);
    expect(result.insights?.trafficCounts).toEqual(counts);
    expect(result.insights?.trafficWeights).toEqual([90, 10]);
    const srm = result.insights?.winner?.srm;
    expect(srm?.counts).toEqual(counts);
    expect(srm?.weights).toEqual([90, 10]);
    expect(srm?.mismatch).toBe((srm?.pValue ?? 1) < 0.001);
    const saved = (await loadResult(join(dir, "result.yaml"))).insights;
    expect(saved?.trafficCounts).toEqual(counts);
    expect(saved?.trafficWeights).toEqual([90, 10]);
  });

  it("flags a mismatch when a version the stated weights expect traffic for got none", async () => {
    // The experimenter states 50/50, but the routing sends every request to v1.
    const own = await startProxy(`
  - split: [{version: v1, weight: 100}, {version: v2, weight: 0}]`);
    try {
      await sendThroughProxy(40, own);
      const result = await runExperiment(
        parse(`- task: proxymetrics
  with: {admin: "${own.adminUrl}"}
${assessRewards([50, 50])}`),
        { dir, env },
      );
      expect(result.failure).toBe(false);
      expect(result.insights?.trafficCounts).toEqual([40, 0]);
      expect(result.insights?.trafficWeights).toEqual([100, 0]);
      const winner = result.insights?.winner;
      expect(winner?.srm?.counts).toEqual([40, 0]);
      expect(winner?.srm?.weights).toEqual([50, 50]);
      expect(winner?.srm?.mismatch).toBe(true);
      expect(winner?.warnings?.[0]).toMatch(
        /^sample ratio mismatch: counts 40\/0 do not fit weights 50\/50/,
      );
    } finally {
      await own.close();
    }
  });

  it.each([
    [
      "two routes send to the versions",
      `
  - match: [{headers: {x-beta: {exact: "1"}}}]
    split: [{version: v2, weight: 100}]
  - split: [{version: v1, weight: 50}, {version: v2, weight: 50}]`,
      false,
    ],
    [
      "the route keeps users on a version (affinity)",
      `
  - split: [{version: v1, weight: 50}, {version: v2, weight: 50}]
    affinity: {key: header, name: x-user, mode: hash}`,
      false,
    ],
    [
      "the routing was swapped since the proxy started",
      `
  - split: [{version: v1, weight: 50}, {version: v2, weight: 50}]`,
      true,
    ],
  ])("records the counts but no weights when %s", async (_why, routes, swap) => {
    const own = await startProxy(routes);
    try {
      if (swap) own.setRouting(own.routing); // the same routing, a new generation
      await sendThroughProxy(10, own, { "x-beta": "1", "x-user": "u1" });
      await sendThroughProxy(10, own);
      const result = await runExperiment(
        parse(`- task: proxymetrics
  with: {admin: "${own.adminUrl}"}
${assessRewards()}`),
        { dir, env },
      );
      expect(result.failure).toBe(false);
      const stats = own.stats().versions;
      expect(result.insights?.trafficCounts).toEqual([
        stats.v1?.live.requests,
        stats.v2?.live.requests,
      ]);
      expect(result.insights?.trafficCounts?.reduce((a, b) => a + b, 0)).toBe(20);
      expect(result.insights?.trafficWeights).toBeUndefined();
      expect(result.insights?.winner?.srm).toBeUndefined();
    } finally {
      await own.close();
    }
  });

  it("records mirror counts and no weights for traffic: mirror", async () => {
    const own = await startProxy(`
  - split: [{version: v1, weight: 100}]
    mirror: [{version: v2, percent: 100}]`);
    try {
      await sendThroughProxy(10, own);
      // Copies finish after the client's answer; wait (up to 20 s, for a loaded machine) until
      // all ten are counted.
      for (let i = 0; i < 2000 && (own.stats().versions.v2?.mirror.requests ?? 0) < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const result = await runExperiment(
        parse(`- task: proxymetrics
  with: {admin: "${own.adminUrl}", traffic: mirror}
`),
        { dir, env },
      );
      expect(result.failure).toBe(false);
      expect(result.insights?.trafficCounts).toEqual([0, 10]);
      expect(result.insights?.trafficWeights).toBeUndefined();
    } finally {
      await own.close();
    }
  });
});

describe("proxymetrics: version indexes of conditions", () => {
  it("counts its versions for if: and assert: 0..N-1 work on the proxy's versions, N is rejected in one line", async () => {
    const own = await startProxy(`
  - split: [{version: v1, weight: 50}, {version: v2, weight: 50}]`);
    try {
      const seen = await sendThroughProxy(40, own);
      // v2 answers 500 to one request in four: four or more requests include an error.
      expect(seen.v2?.requests).toBeGreaterThanOrEqual(4);
      const yaml = (indexes: number[]) => `- task: proxymetrics
  with: {admin: "${own.adminUrl}", versions: [v1, v2]}
${assess}${indexes.map((i) => `- run: echo promote\n  if: SLOsBy(${i})\n`).join("")}`;
      const result = await runExperiment(parse(yaml([0, 1])), { dir, env });
      expect(result.failure).toBe(false);
      // v1 meets the SLOs, so the run task after SLOsBy(0) ran; v2's errors fail them, so the one
      // after SLOsBy(1) was skipped.
      expect(result.insights?.SLOsSatisfiedBy).toEqual([true, false]);
      expect(result.skippedTasks).toEqual([3]);
      expect(result.runOutputs?.map((o) => o.index)).toEqual([2]);

      const outcomes = checkAssertConditions(
        ["slosby=0", "slosby=1"].map((c) => parseAssertCondition(c)),
        result,
      );
      expect(outcomes.map((o) => o.satisfied)).toEqual([true, false]);
      expect(() => checkAssertConditions([parseAssertCondition("slosby=2")], result)).toThrow(
        'invalid assert condition "slosby=2": the result has 2 versions, so the version must be in 0..1',
      );

      const rejected = parseExperiment(yaml([2]));
      expect(rejected.ok).toBe(false);
      if (!rejected.ok) {
        expect(rejected.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
          "[2].if: SLOsBy(2) refers to version 2, but the experiment has 2 versions (indexes 0 to 1)",
        ]);
      }
    } finally {
      await own.close();
    }
  });
});
