import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProxyAdminClient, ProxyAdminError, startTrafficProxy } from "../src/index.js";
import type { TrafficProxy } from "../src/index.js";
import { routingFor, startUpstream } from "@iter8/test-utils";
import type { Upstream } from "@iter8/test-utils";

/** A stand-in admin API on 127.0.0.1 whose answers the test chooses. */
async function fakeAdmin(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function failureOf(promise: Promise<unknown>): Promise<ProxyAdminError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProxyAdminError);
  return error as ProxyAdminError;
}

let v1: Upstream;
let v2: Upstream;
let proxy: TrafficProxy;

beforeAll(async () => {
  v1 = await startUpstream("v1", { keep: false });
  v2 = await startUpstream("v2", { keep: false });
  proxy = await startTrafficProxy({
    routing: routingFor([v1, v2], "  - name: app\n    split: [{version: v1, weight: 100}]\n"),
    port: 0,
    adminPort: 0,
  });
});

afterAll(async () => {
  await proxy.close();
  await v1.close();
  await v2.close();
});

describe("createProxyAdminClient against a real proxy", () => {
  it("reads the routing with its generation, swaps it, and reads typed stats", async () => {
    const client = createProxyAdminClient(`${proxy.adminUrl}/`, { token: proxy.adminToken });
    expect(client.base).toBe(proxy.adminUrl);
    const first = await client.readRouting();
    expect(first.generation).toBe(1);
    expect(first.routing.versions.map((v) => v.name)).toEqual(["v1", "v2"]);
    const generation = await client.putRouting(first.routing);
    expect(generation).toBe(2);
    const stats = await client.readStats();
    expect(stats.generation).toBe(2);
    expect(stats.versions.v1?.live).toMatchObject({ requests: 0, errors: 0, clientAborts: 0 });
    expect((await client.takeWindow()).versions.v2?.mirrorSkipped).toEqual({
      "body-too-large": 0,
      concurrency: 0,
      method: 0,
    });
  });
});

describe("createProxyAdminClient's failures, as data", () => {
  it("gives up after its timeout on an admin API that never answers", async () => {
    const admin = await fakeAdmin(() => {
      // Never answers.
    });
    try {
      const client = createProxyAdminClient(admin.url, { timeoutMs: 200 });
      const error = await failureOf(client.readStats());
      expect(error.code).toBe("ITER8_TRAFFIC_ADMIN");
      expect(error.failure).toEqual({ reason: "timeout", timeoutMs: 200 });
      expect(error.message).toBe(
        `the proxy's admin API at ${admin.url} did not answer GET /stats in 200 ms`,
      );
    } finally {
      await admin.close();
    }
  });

  it("stops a call when the caller's signal aborts", async () => {
    const admin = await fakeAdmin(() => {
      // Never answers.
    });
    try {
      const controller = new AbortController();
      const client = createProxyAdminClient(admin.url, {
        timeoutMs: 60_000,
        signal: controller.signal,
      });
      const pending = failureOf(client.takeWindow());
      controller.abort();
      expect((await pending).failure).toEqual({ reason: "aborted" });
    } finally {
      await admin.close();
    }
  });

  it.each([
    [
      "stats without versions",
      "/stats",
      '{"ok": true}',
      "is not an iter8 traffic proxy's stats (no versions object)",
    ],
    [
      "negative counters",
      "/stats",
      '{"versions": {"v1": {"live": {"requests": -1, "errors": 0, "latency": ""}, "mirror": {"requests": 0, "errors": 0, "latency": ""}}}}',
      'has malformed counters for version "v1"',
    ],
    [
      "a routing without versions",
      "/routing",
      '{"generation": 1, "routing": {}}',
      "is not an iter8 traffic proxy's routing (no versions list)",
    ],
  ])("refuses %s instead of casting it", async (_what, path, body, problem) => {
    const admin = await fakeAdmin((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(body);
    });
    try {
      const client = createProxyAdminClient(admin.url);
      const call = path === "/stats" ? client.readStats() : client.getRouting();
      const error = await failureOf(call);
      expect(error.failure).toEqual({ reason: "malformed", problem });
      expect(error.message).toBe(`GET ${admin.url}${path} ${problem}`);
    } finally {
      await admin.close();
    }
  });

  it("refuses an answer that is not JSON, and an unreachable API names the root cause", async () => {
    const admin = await fakeAdmin((_req, res) => {
      res.writeHead(200).end("hello");
    });
    const url = admin.url;
    try {
      const error = await failureOf(createProxyAdminClient(url).readStats());
      expect(error.failure).toEqual({ reason: "not-json" });
    } finally {
      await admin.close();
    }
    const unreachable = await failureOf(createProxyAdminClient(url).readStats());
    expect(unreachable.failure.reason).toBe("unreachable");
    expect(unreachable.message).toMatch(/^cannot reach the proxy's admin API at .*ECONNREFUSED/);
  });
});
