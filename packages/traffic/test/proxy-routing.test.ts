import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { startTrafficProxy } from "../src/index.js";
import type { TrafficProxy } from "../src/index.js";
import { adminHeaders, percentOf, routingFor, sendMany, startUpstream } from "@iter8/test-utils";
import type { Upstream } from "@iter8/test-utils";

let v1: Upstream;
let v2: Upstream;
let proxy: TrafficProxy;

beforeAll(async () => {
  v1 = await startUpstream("v1", { keep: false });
  v2 = await startUpstream("v2", { keep: false });
  const routing = routingFor(
    [v1, v2],
    `  - name: beta-header
    match:
      - headers: {x-group: {exact: beta}}
    split: [{version: v2, weight: 1}]
  - name: beta-cookie
    match:
      - cookies: {segment: {prefix: beta}}
      - query: {canary: {present: true}}
      - path: {regex: "^/v2/"}
        method: {exact: POST}
    split: [{version: v2, weight: 1}]
  - name: default
    split: [{version: v1, weight: 90}, {version: v2, weight: 10}]
`,
  );
  proxy = await startTrafficProxy({ routing, port: 0, adminPort: 0 });
});

afterAll(async () => {
  await proxy.close();
  await v1.close();
  await v2.close();
});

describe("weighted split", () => {
  it("sends 90/10 of 20 000 requests within 1.5 points", async () => {
    const answers = await sendMany(proxy.url, 20_000, () => ({}), 32);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    // The body proves the version header names the upstream that answered.
    expect(answers.every((a) => a.body === a.version)).toBe(true);
    expect(Math.abs(percentOf(answers, "v2") - 10)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(percentOf(answers, "v1") - 90)).toBeLessThanOrEqual(1.5);
    // 1.5 points is 7 standard errors of 20 000 draws. The client, the proxy and both upstreams
    // share this thread: 17 s on a quiet machine, over 60 s at a load of 34.
  }, 240_000);
});

describe("segments", () => {
  it.each([
    ["a header", { headers: { "x-group": "beta" } }],
    ["a cookie", { headers: { cookie: "a=1; segment=beta-7" } }],
    ["a query parameter", { path: "/x?canary" }],
    ["a path and a method together", { path: "/v2/orders", method: "POST", body: "{}" }],
  ])("routes every request matching %s to v2", async (_what, req) => {
    const answers = await sendMany(proxy.url, 500, () => req, 16);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(percentOf(answers, "v2")).toBe(100);
  });

  it("leaves requests that match only part of an AND entry to the default split", async () => {
    const answers = await sendMany(proxy.url, 400, () => ({ path: "/v2/orders" }), 16);
    expect(percentOf(answers, "v1")).toBeGreaterThan(70);
  });
});

describe("streaming and errors", () => {
  it("streams a request body to the version and its answer back", async () => {
    const payload = "x".repeat(200_000);
    const answers = await sendMany(
      proxy.url,
      1,
      () => ({ path: "/v2/a", method: "POST", body: payload }),
      1,
    );
    expect(answers[0]?.body).toBe(`v2:${payload}`);
  });

  it("answers 502 naming the version when its upstream is down", async () => {
    const dead = await startUpstream("dead");
    await dead.close();
    const p = await startTrafficProxy({
      routing: routingFor([dead], "  - split: [{version: dead, weight: 1}]\n"),
      port: 0,
      adminPort: 0,
    });
    try {
      const response = await request(`${p.url}/x`);
      expect(response.statusCode).toBe(502);
      expect(response.headers["x-iter8-version"]).toBe("dead");
      expect(await response.body.text()).toMatch(
        /^iter8 proxy: version dead \(http:\/\/127\.0\.0\.1:\d+\) is unreachable/,
      );
      expect(p.stats().versions.dead?.live).toMatchObject({ requests: 1, errors: 1 });
    } finally {
      await p.close();
    }
  });

  it("answers 504 when the version does not answer within the routing's timeout", async () => {
    const slow = await startUpstream("slow", { delayMs: 2000 });
    const p = await startTrafficProxy({
      routing: routingFor([slow], "  - split: [{version: slow, weight: 1}]\n", "timeout: 100ms\n"),
      port: 0,
      adminPort: 0,
    });
    try {
      const response = await request(`${p.url}/x`);
      expect(response.statusCode).toBe(504);
      expect(await response.body.text()).toContain("version slow");
    } finally {
      await p.close();
      await slow.close();
    }
  });

  it("answers 404 when no route matches", async () => {
    const p = await startTrafficProxy({
      routing: routingFor(
        [v1],
        "  - match: [{path: {prefix: /only}}]\n    split: [{version: v1, weight: 1}]\n",
      ),
      port: 0,
      adminPort: 0,
    });
    try {
      const response = await request(`${p.url}/else`);
      expect(response.statusCode).toBe(404);
      expect(await response.body.text()).toBe("iter8 proxy: no route matches GET /else\n");
    } finally {
      await p.close();
    }
  });
});

describe("admin API", () => {
  it("counts every 5xx answer as an error of its version", async () => {
    const flaky = await startUpstream("flaky", { keep: false, errorEvery: 5 });
    const p = await startTrafficProxy({
      routing: routingFor([flaky], "  - split: [{version: flaky, weight: 1}]\n"),
      port: 0,
      adminPort: 0,
    });
    try {
      const answers = await sendMany(p.url, 100, () => ({}), 4);
      expect(answers.filter((a) => a.status === 500)).toHaveLength(20);
      expect(p.stats().versions.flaky?.live).toMatchObject({ requests: 100, errors: 20 });
    } finally {
      await p.close();
      await flaky.close();
    }
  });

  it("serves per-version counters in Prometheus format at /metrics", async () => {
    const before = proxy.stats().versions.v1?.live.requests ?? 0;
    await sendMany(proxy.url, 50, () => ({ headers: { "x-group": "beta" } }), 4);
    const response = await request(`${proxy.adminUrl}/metrics`, { headers: adminHeaders(proxy) });
    const text = await response.body.text();
    expect(response.headers["content-type"]).toContain("text/plain; version=0.0.4");
    expect(text).toContain("# TYPE iter8_proxy_requests_total counter");
    expect(text).toMatch(
      new RegExp(`iter8_proxy_requests_total\\{version="v1",traffic="live"\\} ${before}\\n`),
    );
    expect(text).toMatch(
      /iter8_proxy_request_duration_seconds_count\{version="v2",traffic="live"\} \d+/,
    );
    expect(text).toContain('iter8_proxy_errors_total{version="v2",traffic="live"} 0');
  });
});
