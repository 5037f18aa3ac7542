// What a hostile client or routing cannot do to the proxy: grow it without bound through routing
// swaps, stall it with a regex, route around a prefix with an odd path.
import { createServer } from "node:http";
import type { Server } from "node:http";
import { connect, createServer as createRawServer } from "node:net";
import type { AddressInfo, Server as RawServer } from "node:net";
import { ROUTING_LIMITS } from "@iter8/spec";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTrafficProxy } from "../src/index.js";
import type { TrafficProxy } from "../src/index.js";
import { adminHeaders, routingFor, sendMany, startUpstream, waitFor } from "@iter8/test-utils";
import type { Upstream } from "@iter8/test-utils";

let v1: Upstream;
let v2: Upstream;

beforeAll(async () => {
  v1 = await startUpstream("v1");
  v2 = await startUpstream("v2");
});

afterAll(async () => {
  await v1.close();
  await v2.close();
});

/** A routing YAML of `names`, each a version on its own base path of `upstream`. */
function manyVersions(upstream: Upstream, names: string[]): string {
  const versions = names.map((n) => `  - {name: ${n}, url: "${upstream.url}/${n}"}`).join("\n");
  const split = names.map((n) => `{version: ${n}, weight: 1}`).join(", ");
  return `versions:\n${versions}\nroutes:\n  - split: [${split}]\n`;
}

async function putRouting(proxy: TrafficProxy, yaml: string) {
  const response = await request(`${proxy.adminUrl}/routing`, {
    method: "PUT",
    headers: { ...adminHeaders(proxy), "content-type": "application/yaml" },
    body: yaml,
  });
  return { status: response.statusCode, body: await response.body.json() };
}

describe("routing swaps and the versions the proxy keeps", () => {
  it("refuses a PUT /routing of more versions than the limit with a 400 naming it", async () => {
    const proxy = await startTrafficProxy({
      routing: routingFor([v1], "  - split: [{version: v1, weight: 1}]\n"),
      port: 0,
      adminPort: 0,
    });
    try {
      const names = Array.from({ length: ROUTING_LIMITS.maxVersions + 1 }, (_, i) => `n${i}`);
      const answer = await putRouting(proxy, manyVersions(v1, names));
      expect(answer.status).toBe(400);
      expect(JSON.stringify(answer.body)).toContain(
        `65 versions; a routing has at most ${ROUTING_LIMITS.maxVersions}`,
      );
      expect(proxy.retained()).toEqual({ versions: 1, pools: 2 });
    } finally {
      await proxy.close();
    }
  });

  it("frees the counters and pools of versions a swap retires: 40 swaps of 10 new names keep 10", async () => {
    const proxy = await startTrafficProxy({
      routing: routingFor([v1], "  - split: [{version: v1, weight: 1}]\n"),
      port: 0,
      adminPort: 0,
    });
    try {
      for (let swap = 0; swap < 40; swap++) {
        const names = Array.from({ length: 10 }, (_, i) => `s${swap}-v${i}`);
        const answer = await putRouting(proxy, manyVersions(v1, names));
        expect(answer.status).toBe(200);
        // Traffic to this generation's versions, so each has counters and open connections.
        const answers = await sendMany(proxy.url, 20, () => ({}), 4);
        expect(answers.every((a) => a.status === 200)).toBe(true);
      }
      // One live and one mirror pool per version URL; counters for the 10 routed versions only.
      expect(proxy.retained()).toEqual({ versions: 10, pools: 20 });
      expect(Object.keys(proxy.stats().versions).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `s39-v${i}`).sort(),
      );
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it("lets a request in flight to a retired version finish and count, then frees the version", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const slow: Server = createServer((req, res) => {
      req.resume();
      arrived();
      void held.then(() => res.end("slow"));
    });
    await new Promise<void>((resolve) => slow.listen(0, "127.0.0.1", resolve));
    const slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
    const proxy = await startTrafficProxy({
      routing: routingFor(
        [{ ...v1, name: "old", url: slowUrl }],
        "  - split: [{version: old, weight: 1}]\n",
      ),
      port: 0,
      adminPort: 0,
    });
    try {
      const inFlight = request(`${proxy.url}/`).then(async (r) => ({
        status: r.statusCode,
        body: await r.body.text(),
      }));
      await arrival;
      expect((await putRouting(proxy, manyVersions(v2, ["new"]))).status).toBe(200);
      // The retired version is kept while its request is in flight ...
      expect(proxy.retained().versions).toBe(2);
      release();
      expect(await inFlight).toEqual({ status: 200, body: "slow" });
      // ... and freed once it has finished and been counted.
      expect(await waitFor(() => proxy.retained().versions === 1)).toBe(true);
      expect(Object.keys(proxy.stats().versions)).toEqual(["new"]);
    } finally {
      await proxy.close();
      slow.closeAllConnections();
      await new Promise<void>((resolve) => slow.close(() => resolve()));
    }
  }, 30_000);
});

describe("route regexes", () => {
  it("routes a request whose header would make a backtracking regex run for hours", async () => {
    const proxy = await startTrafficProxy({
      routing: routingFor(
        [v1, v2],
        `  - match: [{headers: {x-user: {regex: "^(a+)+$"}}}]
    split: [{version: v2, weight: 1}]
  - split: [{version: v1, weight: 1}]
`,
      ),
      port: 0,
      adminPort: 0,
    });
    try {
      // 2^64 backtracking steps with JavaScript's RegExp; linear with RE2. Bounded by the test's
      // timeout, not by a clock assertion.
      const evil = await sendMany(
        proxy.url,
        20,
        () => ({ headers: { "x-user": `${"a".repeat(64)}!` } }),
        4,
      );
      expect(evil.every((a) => a.status === 200 && a.version === "v1")).toBe(true);
      const good = await sendMany(
        proxy.url,
        5,
        () => ({ headers: { "x-user": "a".repeat(64) } }),
        1,
      );
      expect(good.every((a) => a.version === "v2")).toBe(true);
    } finally {
      await proxy.close();
    }
  }, 20_000);
});

describe("path normalisation", () => {
  let proxy: TrafficProxy;
  beforeAll(async () => {
    proxy = await startTrafficProxy({
      routing: routingFor(
        [v1, v2],
        `  - match: [{path: {prefix: /beta}}]
    split: [{version: v2, weight: 1}]
  - split: [{version: v1, weight: 1}]
`,
      ),
      port: 0,
      adminPort: 0,
    });
  });
  afterAll(async () => {
    await proxy.close();
  });

  it.each([
    ["/x/../beta", "/beta"],
    ["//beta", "/beta"],
    ["/./beta/item", "/beta/item"],
    ["/%2e%2e/beta?q=1", "/beta?q=1"],
    ["/alpha/..//beta/x", "/beta/x"],
  ])("routes %s by its normal form and forwards %s", async (target, forwarded) => {
    const before = v2.received.length;
    // A raw request line: clients such as undici would normalise the path before sending.
    const answer = await rawRequest(new URL(proxy.url), `GET ${target} HTTP/1.1`);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(answer).toContain("x-iter8-version: v2");
    expect(v2.received.slice(before).map((r) => r.url)).toEqual([forwarded]);
  });

  it("routes an absolute-form request line by its path", async () => {
    const before = v2.received.length;
    const answer = await rawRequest(
      new URL(proxy.url),
      `GET http://somewhere.example/beta/x HTTP/1.1`,
    );
    expect(answer).toContain("x-iter8-version: v2");
    expect(v2.received.slice(before).map((r) => r.url)).toEqual(["/beta/x"]);
  });

  it("still sends other paths to the default route", async () => {
    const answer = await rawRequest(new URL(proxy.url), `GET /betax/../alpha HTTP/1.1`);
    expect(answer).toContain("x-iter8-version: v1");
  });
});

/** Sends one request line (with Host, Connection: close) on a raw socket; resolves with the answer. */
function rawRequest(url: URL, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error("no answer within 10 s")));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString()));
    socket.write(`${line}\r\nHost: ${url.host}\r\nConnection: close\r\n\r\n`);
  });
}

describe("the routing's timeout bounds the whole exchange", () => {
  let upstream: RawServer;
  let proxy: TrafficProxy;
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    // A raw upstream: /informational answers "102 Processing" every 20 ms, /endless sends its
    // headers and then a chunk every 20 ms; both stop after 30 s at most, or when the proxy hangs up.
    upstream = createRawServer((socket) => {
      socket.on("error", () => undefined);
      socket.once("data", (head: Buffer) => {
        const endless = head.toString().startsWith("GET /endless");
        if (endless) {
          socket.write(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n",
          );
        }
        const tick = setInterval(() => {
          if (socket.destroyed) return;
          socket.write(endless ? "5\r\nhello\r\n" : "HTTP/1.1 102 Processing\r\n\r\n");
        }, 20);
        const stop = setTimeout(() => socket.destroy(), 30_000);
        timers.add(tick).add(stop);
        socket.on("close", () => {
          clearInterval(tick);
          clearTimeout(stop);
        });
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    proxy = await startTrafficProxy({
      routing: routingFor(
        [{ ...v1, name: "stuck", url }],
        "  - split: [{version: stuck, weight: 1}]\n",
        // Long enough that the endless body's headers reach the client first on a busy machine.
        "timeout: 2s\n",
      ),
      port: 0,
      adminPort: 0,
    });
  });

  afterAll(async () => {
    await proxy.close();
    for (const t of timers) clearTimeout(t);
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });

  it("answers 504 to an upstream that sends endless 1xx answers", async () => {
    const before = proxy.stats().versions.stuck?.live.errors ?? 0;
    const response = await request(`${proxy.url}/informational`);
    expect(response.statusCode).toBe(504);
    expect(await response.body.text()).toContain("did not answer within 2s");
    expect(proxy.stats().versions.stuck?.live.errors).toBe(before + 1);
  }, 20_000);

  it("cuts the client's connection when an endless body outlasts the timeout", async () => {
    const before = proxy.stats().versions.stuck?.live.errors ?? 0;
    const response = await request(`${proxy.url}/endless`);
    expect(response.statusCode).toBe(200);
    const outcome = await response.body.text().then(
      () => "ended",
      () => "cut",
    );
    expect(outcome).toBe("cut");
    expect(await waitFor(() => proxy.stats().versions.stuck?.live.errors === before + 1)).toBe(
      true,
    );
    expect(proxy.stats().versions.stuck?.live.clientAborts).toBe(0);
  }, 20_000);
});

describe("client aborts", () => {
  it("counts clients that hang up before the answer as client aborts, never as errors", async () => {
    const slow = await startUpstream("slow", { delayMs: 5000 });
    const proxy = await startTrafficProxy({
      routing: routingFor([slow], "  - split: [{version: slow, weight: 1}]\n"),
      port: 0,
      adminPort: 0,
    });
    try {
      const url = new URL(proxy.url);
      // 10 clients each send a request and hang up once it has reached the upstream (which
      // answers after 5 s).
      for (let i = 0; i < 10; i++) {
        const socket = connect(Number(url.port), url.hostname);
        socket.on("error", () => undefined);
        socket.write(`GET /x HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`);
        expect(await waitFor(() => slow.received.length === i + 1)).toBe(true);
        socket.destroy();
      }
      expect(await waitFor(() => proxy.stats().versions.slow?.live.clientAborts === 10)).toBe(true);
      expect(proxy.stats().versions.slow?.live).toMatchObject({ requests: 0, errors: 0 });
      const window = proxy.takeWindow().versions.slow?.live;
      expect(window).toMatchObject({ requests: 0, errors: 0, clientAborts: 10 });
    } finally {
      await proxy.close();
      await slow.close();
    }
  }, 30_000);
});
