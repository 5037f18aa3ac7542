import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadInputs } from "@iter8/spec";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  LoadgenError,
  loadOptionsForVersion,
  resolvePayload,
  runVersions,
  summariseLoad,
} from "../src/index.js";
import { findClosedPort, startServer } from "@iter8/test-utils";
import type { TestServer } from "@iter8/test-utils";

const servers: TestServer[] = [];
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-loadgen-"));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function server(respond?: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const s = await startServer(respond);
  servers.push(s);
  return s;
}

function expectPayloadError(error: unknown, message: string | RegExp): void {
  expect(error).toBeInstanceOf(LoadgenError);
  expect((error as LoadgenError).code).toBe("ITER8_LOAD_PAYLOAD");
  expect((error as LoadgenError).message).toMatch(message);
}

function inputs(overrides: Partial<LoadInputs>): LoadInputs {
  return {
    numRequests: 3,
    qps: 0,
    connections: 1,
    warmupMs: 0,
    errorRanges: [{ lower: 400 }],
    percentiles: [50, 99],
    versionInfo: [],
    ...overrides,
  };
}

describe("runVersions", () => {
  it("loads each version in turn, keeps skipped (null) versions' index, and merges headers", async () => {
    const v0 = await server();
    const v2 = await server((_i, _req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const results = await runVersions(
      inputs({
        headers: { "x-common": "c", "x-version": "common" },
        versionInfo: [
          { url: v0.url, headers: { "x-version": "v0" } },
          null,
          { url: v2.url, headers: { "x-version": "v2" } },
        ],
      }),
    );
    expect(results).toHaveLength(3);
    expect(results[1]).toBeNull();
    expect(results[0]?.statusCodes).toEqual({ "200": 3 });
    expect(results[2]?.statusCodes).toEqual({ "503": 3 });
    expect(results[2]?.errors).toBe(3);
    expect(v0.seen.map((r) => r.headers["x-version"])).toEqual(["v0", "v0", "v0"]);
    expect(v2.seen.map((r) => r.headers["x-common"])).toEqual(["c", "c", "c"]);
  });

  it("loads versions one after another by default, and at the same time with parallel", async () => {
    // [version, arrival order]: both servers run in this process, so their handlers' order is the
    // order of arrival, with no clock readings to compare.
    const arrivals: Array<[number, number]> = [];
    const v0 = await server((_i, _req, res) => {
      arrivals.push([0, arrivals.length]);
      res.end();
    });
    const v1 = await server((_i, _req, res) => {
      arrivals.push([1, arrivals.length]);
      res.end();
    });
    const both = inputs({
      qps: 40,
      numRequests: 8,
      versionInfo: [{ url: v0.url }, { url: v1.url }],
    });
    const firstOf = (v: number): number =>
      Math.min(...arrivals.filter(([i]) => i === v).map(([, t]) => t));
    const lastOf = (v: number): number =>
      Math.max(...arrivals.filter(([i]) => i === v).map(([, t]) => t));

    await runVersions(both);
    expect(firstOf(1)).toBeGreaterThan(lastOf(0));

    arrivals.length = 0;
    const results = await runVersions(both, { parallel: true });
    expect(results.map((r) => r?.requests)).toEqual([8, 8]);
    // At 40 qps each version's 8 requests span 175 ms; run together, they overlap.
    expect(firstOf(1)).toBeLessThan(lastOf(0));
    expect(firstOf(0)).toBeLessThan(lastOf(1));
  });

  it.each(["payloadStr", "payloadFile", "payloadURL"] as const)(
    "sends the %s payload as a POST body with its content type",
    async (kind) => {
      const target = await server();
      const payload = '{"x":1}';
      const source = await server((_i, _req, res) => res.end(payload));
      await writeFile(join(dir, "body.json"), payload);
      const given =
        kind === "payloadStr"
          ? { payloadStr: payload }
          : kind === "payloadFile"
            ? { payloadFile: "body.json" }
            : { payloadURL: source.url };
      await runVersions(
        inputs({ ...given, contentType: "application/json", versionInfo: [{ url: target.url }] }),
        { baseDir: dir },
      );
      expect(target.seen).toHaveLength(3);
      for (const req of target.seen) {
        expect(req.method).toBe("POST");
        expect(req.headers["content-type"]).toBe("application/json");
        expect(req.body.toString()).toBe(payload);
      }
      // A URL payload is fetched once, before the run.
      if (kind === "payloadURL") expect(source.seen).toHaveLength(1);
    },
  );

  it("fails with ITER8_LOAD_PAYLOAD before sending anything when the payload cannot be read", async () => {
    const target = await server();
    const error = await runVersions(
      inputs({ payloadFile: "missing.json", versionInfo: [{ url: target.url }] }),
      { baseDir: dir },
    ).catch((e: unknown) => e);
    expectPayloadError(error, "missing.json");
    expect(target.seen).toHaveLength(0);
  });

  it("stops at the aborted version and leaves the rest null", async () => {
    const v0 = await server();
    const v1 = await server();
    const controller = new AbortController();
    const results = await runVersions(
      inputs({
        numRequests: 100_000,
        qps: 20,
        versionInfo: [{ url: v0.url }, { url: v1.url }],
      }),
      {
        signal: controller.signal,
        onProgress: (index, p) => {
          if (index === 0 && p.completed >= 2) controller.abort();
        },
      },
    );
    expect(results[0]?.aborted).toBe(true);
    expect(results[1]).toBeNull();
    expect(v1.seen).toHaveLength(0);
    expect(summariseLoad(results[0]!).partial).toBe(true);
  });
});

describe("resolvePayload", () => {
  it("returns nothing without a source", async () => {
    expect(await resolvePayload({})).toBeUndefined();
  });

  it("rejects more than one source", async () => {
    await expect(
      resolvePayload({ payloadStr: "a", payloadURL: "http://x/" }),
    ).rejects.toMatchObject({
      code: "ITER8_LOAD_PAYLOAD",
    });
  });

  it.each([
    ["payloadStr", { payloadStr: "x".repeat(11) }],
    ["payloadFile", { payloadFile: "big.bin" }],
    ["payloadURL", { payloadURL: "SERVER" }],
  ] as const)("enforces the size cap on %s", async (_kind, source) => {
    const big = await server((_i, _req, res) => res.end("y".repeat(64)));
    await writeFile(join(dir, "big.bin"), "z".repeat(64));
    const resolved = "payloadURL" in source ? { payloadURL: big.url } : source;
    const error = await resolvePayload(resolved, { baseDir: dir, maxBytes: 10 }).catch(
      (e: unknown) => e,
    );
    expectPayloadError(error, "10-byte");
  });

  it("names the URL and the status when payloadURL answers an error", async () => {
    const missing = await server((_i, _req, res) => {
      res.statusCode = 404;
      res.end("no");
    });
    const error = await resolvePayload({ payloadURL: `${missing.url}p.json` }).catch(
      (e: unknown) => e,
    );
    expectPayloadError(error, /p\.json answered HTTP 404/);
  });

  it("names the URL and the cause when payloadURL cannot be reached", async () => {
    const port = await findClosedPort();
    const error = await resolvePayload({ payloadURL: `http://127.0.0.1:${port}/p` }).catch(
      (e: unknown) => e,
    );
    expectPayloadError(error, /127\.0\.0\.1:\d+\/p.*ECONNREFUSED/);
  });

  it.each([
    ["a FIFO", "fifo", /payloadFile pipe is a FIFO \(named pipe\); expected a regular file/],
    ["a directory", "dir", /payloadFile pipe is a directory; expected a regular file/],
  ])("refuses %s as payloadFile at once, naming the file", async (_what, kind, message) => {
    const path = join(dir, "pipe");
    if (kind === "fifo") execFileSync("mkfifo", [path]);
    else await mkdir(path);
    // Opening a FIFO with no writer used to wait for one for ever (and hold Ctrl-C with it).
    const error = await resolvePayload({ payloadFile: "pipe" }, { baseDir: dir }).catch(
      (e: unknown) => e,
    );
    expectPayloadError(error, message);
  });

  it("follows redirects to the payload", async () => {
    const target = await server((_i, _req, res) => res.end("moved body"));
    const redirect = await server((_i, _req, res) => {
      res.statusCode = 302;
      res.setHeader("location", target.url);
      res.end();
    });
    const bytes = await resolvePayload({ payloadURL: redirect.url });
    expect(Buffer.from(bytes!).toString()).toBe("moved body");
  });
});

describe("loadOptionsForVersion", () => {
  it("carries the task's pacing, ramp, workers and warm-up to each version's load options", () => {
    const inputs: LoadInputs = {
      qps: 5000,
      connections: 8,
      durationMs: 1000,
      warmupMs: 3000,
      workers: 2,
      pacing: "timer",
      schedule: { kind: "line", start: 100, step: 50, end: 5000 },
      errorRanges: [{ lower: 500 }],
      percentiles: [50],
      versionInfo: [{ url: "http://127.0.0.1:1/" }],
    };
    expect(loadOptionsForVersion(inputs, { url: "http://127.0.0.1:1/v2" }, undefined)).toEqual({
      url: "http://127.0.0.1:1/v2",
      qps: 5000,
      connections: 8,
      durationMs: 1000,
      warmupMs: 3000,
      workers: 2,
      pacing: "timer",
      schedule: { kind: "line", start: 100, step: 50, end: 5000 },
      errorRanges: [{ lower: 500 }],
    });
  });
});
