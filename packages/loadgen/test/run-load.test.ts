import { readFile } from "node:fs/promises";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HTTP_CLIENTS, runLoadWith } from "./http-clients.js";
import type { LoadProgress } from "../src/index.js";
import { findClosedPort, startServer } from "@iter8/test-utils";
import type { TestServer } from "@iter8/test-utils";

/**
 * Slack for `>=` on a difference of two clock readings: one microsecond, the clock's resolution, far
 * above the floating-point rounding of such a difference (1e-7 ms even a month into uptime).
 */
const FLOAT_SLACK_MS = 0.001;

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe.each(HTTP_CLIENTS)("runLoad against a real HTTP server (%s)", (httpClient) => {
  const runLoad = runLoadWith(httpClient);

  it("sends exactly numRequests measured requests after the warm-up (paced)", async () => {
    server = await startServer();
    const result = await runLoad({
      url: server.url,
      qps: 400,
      connections: 4,
      numRequests: 37,
      warmupRequests: 3,
    });
    expect(result.requests).toBe(37);
    expect(result.warmupRequests).toBe(3);
    expect(server.seen).toHaveLength(40);
    expect(result.statusCodes).toEqual({ "200": 37 });
    expect(result.errors).toBe(0);
    expect(result.latency.count).toBe(37);
    expect(result.serviceTime.count).toBe(37);
    expect(result.queueWait.count).toBe(37);
    expect(result.dispatchLagMs).toBeDefined();
    expect(result.aborted).toBe(false);
  });

  it.each([1, 4])(
    "sends exactly numRequests requests unpaced (pipelining %d)",
    async (pipelining) => {
      server = await startServer();
      const result = await runLoad({
        url: server.url,
        qps: 0,
        connections: 3,
        pipelining,
        numRequests: 123,
        warmupMs: 0,
      });
      expect(result.requests).toBe(123);
      expect(server.seen).toHaveLength(123);
      expect(result.latency.count).toBe(123);
      expect(result.dispatchLagMs).toBeUndefined();
      expect(result.achievedRate).toBeGreaterThan(0);
    },
  );

  it("counts responses per status code", async () => {
    const statuses = [200, 201, 404, 500, 503];
    server = await startServer((i, _req, res) => {
      res.statusCode = statuses[i % statuses.length] as number;
      res.end();
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 20,
      warmupMs: 0,
    });
    expect(result.statusCodes).toEqual({ "200": 4, "201": 4, "404": 4, "500": 4, "503": 4 });
    expect(result.errors).toBe(12); // default error range: 400 and above
  });

  it.each([
    { ranges: [{ lower: 400, upper: 499 }], errors: [400, 450, 499] },
    { ranges: [{ upper: 399 }], errors: [200, 399] },
    { ranges: [{ lower: 500 }], errors: [500] },
    {
      ranges: [
        { lower: 200, upper: 200 },
        { lower: 500, upper: 500 },
      ],
      errors: [200, 500],
    },
  ])("treats error ranges as inclusive at both ends: $ranges", async ({ ranges, errors }) => {
    const statuses = [200, 399, 400, 450, 499, 500];
    server = await startServer((i, _req, res) => {
      res.statusCode = statuses[i % statuses.length] as number;
      res.end();
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: statuses.length,
      warmupMs: 0,
      errorRanges: ranges,
    });
    expect(result.requests).toBe(statuses.length);
    expect(result.errors).toBe(errors.length);
  });

  it("counts a closed port as refused transport errors, without latency", async () => {
    const port = await findClosedPort();
    const result = await runLoad({
      url: `http://127.0.0.1:${port}/`,
      qps: 0,
      connections: 2,
      numRequests: 5,
      warmupMs: 0,
    });
    expect(result.requests).toBe(5);
    expect(result.errors).toBe(5);
    expect(result.errorClasses).toEqual({ refused: 5 });
    expect(result.statusCodes).toEqual({});
    expect(result.latency.count).toBe(0);
  });

  it("counts connections the server resets as reset transport errors", async () => {
    server = await startServer((i, req, res) => {
      if (i % 2 === 1) req.socket.destroy();
      else res.end("ok");
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 6,
      warmupMs: 0,
    });
    expect(result.requests).toBe(6);
    expect(result.statusCodes).toEqual({ "200": 3 });
    expect(result.errorClasses).toEqual({ reset: 3 });
    expect(result.errors).toBe(3);
  });

  it("counts a server slower than the timeout as timeout transport errors", async () => {
    const pending: Array<() => void> = [];
    server = await startServer((_i, _req, res) => {
      pending.push(() => res.end("late"));
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 2,
      numRequests: 2,
      warmupMs: 0,
      timeoutMs: 150,
    });
    for (const answer of pending) answer();
    expect(result.requests).toBe(2);
    expect(result.errorClasses).toEqual({ timeout: 2 });
    expect(result.errors).toBe(2);
  });

  it("counts an untrusted TLS certificate as tls transport errors", async () => {
    const tls = createHttpsServer(
      {
        key: await readFile(new URL("fixtures/self-signed-key.pem", import.meta.url)),
        cert: await readFile(new URL("fixtures/self-signed-cert.pem", import.meta.url)),
      },
      (_req, res) => res.end("ok"),
    );
    await new Promise<void>((resolve) => tls.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = tls.address() as AddressInfo;
      const result = await runLoad({
        url: `https://127.0.0.1:${port}/`,
        qps: 0,
        connections: 1,
        numRequests: 3,
        warmupMs: 0,
      });
      expect(result.errorClasses).toEqual({ tls: 3 });
      expect(result.errors).toBe(3);
    } finally {
      tls.closeAllConnections();
      await new Promise((resolve) => tls.close(resolve));
    }
  });

  it("sends the body, content type, headers and method the server should see", async () => {
    server = await startServer();
    await runLoad({
      url: `${server.url}path?q=1`,
      qps: 0,
      connections: 1,
      numRequests: 2,
      warmupMs: 0,
      body: '{"hello":"world"}',
      contentType: "application/json",
      headers: { "x-iter8-version": "v2", authorization: "Bearer t" },
    });
    expect(server.seen).toHaveLength(2);
    for (const req of server.seen) {
      expect(req.method).toBe("POST");
      expect(req.url).toBe("/path?q=1");
      expect(req.headers["content-type"]).toBe("application/json");
      expect(req.headers["x-iter8-version"]).toBe("v2");
      expect(req.headers.authorization).toBe("Bearer t");
      expect(req.body.toString("utf8")).toBe('{"hello":"world"}');
    }
  });

  it("uses the given method with a body, and GET without one", async () => {
    server = await startServer();
    await runLoad({
      url: server.url,
      method: "put",
      body: new Uint8Array([1, 2, 3]),
      qps: 0,
      connections: 1,
      numRequests: 1,
      warmupMs: 0,
    });
    await runLoad({ url: server.url, qps: 0, connections: 1, numRequests: 1, warmupMs: 0 });
    expect(server.seen.map((r) => r.method)).toEqual(["PUT", "GET"]);
    expect([...(server.seen[0]?.body ?? [])]).toEqual([1, 2, 3]);
    expect(server.seen[0]?.headers["content-type"]).toBe("application/octet-stream");
    expect(server.seen[1]?.body.length).toBe(0);
  });

  it("resolves with partial data marked aborted when the signal aborts", async () => {
    server = await startServer();
    const controller = new AbortController();
    const progress: LoadProgress[] = [];
    const result = await runLoad(
      { url: server.url, qps: 50, connections: 2, numRequests: 10_000, warmupMs: 0 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          if (p.completed >= 5) controller.abort();
        },
      },
    );
    expect(result.aborted).toBe(true);
    expect(result.requests).toBeGreaterThanOrEqual(5);
    expect(result.requests).toBeLessThan(10_000);
    expect(result.latency.count).toBe(result.requests);
    expect(server.seen.length).toBeGreaterThanOrEqual(result.requests);
    expect(progress.length).toBeGreaterThan(0);
  });

  it("resolves at once, aborted and empty, when the signal is already aborted", async () => {
    server = await startServer();
    const result = await runLoad(
      { url: server.url, qps: 10, connections: 1, numRequests: 5 },
      { signal: AbortSignal.abort() },
    );
    expect(result).toMatchObject({ aborted: true, requests: 0, errors: 0 });
    expect(server.seen).toHaveLength(0);
  });

  it("stops a duration run at the deadline and loses no request it sent", async () => {
    server = await startServer();
    const result = await runLoad({
      url: server.url,
      qps: 100,
      connections: 2,
      durationMs: 300,
      warmupMs: 0,
    });
    // Requests due at 0, 10, ..., 290 ms: at most 30, each one answered and counted.
    expect(result.requests).toBeGreaterThan(0);
    expect(result.requests).toBeLessThanOrEqual(30);
    expect(server.seen).toHaveLength(result.requests);
    // The run's end is its start + 300 ms on the clock; their difference in floating point may
    // come out a rounding error short (299.9999999999998 on a CI run).
    expect(result.durationMs).toBeGreaterThanOrEqual(300 - FLOAT_SLACK_MS);
  });

  it("sends exactly numRequests, never faster than qps, with pacing: timer", async () => {
    server = await startServer();
    const result = await runLoad({
      url: server.url,
      qps: 2000,
      connections: 8,
      numRequests: 600,
      warmupRequests: 0,
      pacing: "timer",
    });
    expect(result.requests).toBe(600);
    expect(server.seen).toHaveLength(600);
    expect(result.errors).toBe(0);
    // 600 requests due over 300 ms: late timers may slow the run, nothing may speed it up.
    expect(result.achievedRate).toBeLessThanOrEqual(2000 * 1.01);
    expect(result.dispatchLagMs).toBeDefined();
  });

  it("rejects invalid options with ITER8_LOAD_OPTIONS", async () => {
    await expect(runLoad({ url: "ftp://x/", qps: 1, connections: 1 })).rejects.toMatchObject({
      code: "ITER8_LOAD_OPTIONS",
    });
    const error = await runLoad({ url: "http://127.0.0.1/", qps: -1, connections: 1 }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "ITER8_LOAD_OPTIONS" });
    expect((error as Error).message).toContain("qps");
  });
});
