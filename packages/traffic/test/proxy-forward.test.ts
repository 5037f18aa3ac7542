// How the proxy forwards answers: headers (repeated, hop-by-hop, Connection-named), large bodies
// to a slow reader (backpressure), and a client that goes away mid-answer.
import { createHash } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRoutingOrThrow } from "@iter8/spec";
import { startTrafficProxy } from "../src/index.js";
import type { TrafficProxy } from "../src/index.js";
import { waitFor } from "@iter8/test-utils";

const BIG = Buffer.alloc(16 * 1024 * 1024);
for (let i = 0; i < BIG.length; i++) BIG[i] = (i * 31 + 7) & 0xff;
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

let server: Server;
let upstreamUrl = "";
let proxy: TrafficProxy;
/** Resolves when the upstream's answer to /endless is closed before it ended. */
let endlessClosed: Promise<void>;
let markEndlessClosed: () => void = () => undefined;

function answer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (req.url === "/headers") {
    res.writeHead(200, [
      "set-cookie",
      "a=1; Path=/",
      "set-cookie",
      "b=2; Path=/",
      // Names in the case the upstream chose: the proxy compares them without case.
      "Connection",
      "Keep-Alive, X-Private",
      "X-Private",
      "secret",
      "Keep-Alive",
      "timeout=5",
      "X-Public",
      "yes",
      "Content-Length",
      "2",
    ]);
    res.end("ok");
  } else if (req.url === "/big") {
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.end(BIG);
  } else if (req.url === "/endless") {
    // Writes 64 KiB every 10 ms for at most 30 s, unless the proxy closes the exchange first.
    res.writeHead(200, { "content-type": "application/octet-stream" });
    const chunk = Buffer.alloc(64 * 1024, 1);
    const timer = setInterval(() => res.write(chunk), 10);
    const stop = setTimeout(() => res.end(), 30_000);
    res.on("close", () => {
      clearInterval(timer);
      clearTimeout(stop);
      if (!res.writableFinished) markEndlessClosed();
    });
  } else {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("fine");
  }
}

beforeAll(async () => {
  endlessClosed = new Promise((resolve) => (markEndlessClosed = resolve));
  server = createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  upstreamUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const routing = parseRoutingOrThrow(`versions:
  - {name: v1, url: "${upstreamUrl}"}
routes:
  - split: [{version: v1, weight: 1}]
    affinity: {key: cookie, name: iter8-pin, mode: cookie}
`);
  proxy = await startTrafficProxy({ routing, port: 0, adminPort: 0 });
});

afterAll(async () => {
  await proxy.close();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** GET through the proxy with node:http (raw headers kept); `slow` pauses between reads. */
function get(path: string, slow = false): Promise<{ status: number; raw: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${proxy.url}${path}`, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        if (slow) {
          res.pause();
          setTimeout(() => res.resume(), 1);
        }
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, raw: res.rawHeaders, body: Buffer.concat(chunks) }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function values(raw: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === name) out.push(raw[i + 1] ?? "");
  }
  return out;
}

describe("forwarded answers", () => {
  it("keeps repeated headers, adds the version and the pin cookie, drops hop-by-hop ones", async () => {
    const { status, raw, body } = await get("/headers");
    expect(status).toBe(200);
    expect(body.toString()).toBe("ok");
    const cookies = values(raw, "set-cookie");
    expect(cookies).toContain("a=1; Path=/");
    expect(cookies).toContain("b=2; Path=/");
    expect(cookies.some((c) => c.startsWith("iter8-pin="))).toBe(true);
    expect(values(raw, "x-iter8-version")).toEqual(["v1"]);
    expect(values(raw, "x-public")).toEqual(["yes"]);
    // Named by the upstream's Connection header: hop-by-hop, so not forwarded.
    expect(values(raw, "x-private")).toEqual([]);
    expect(values(raw, "keep-alive")).toEqual([]);
    expect(values(raw, "content-length")).toEqual(["2"]);
  });

  it("streams a 16 MiB answer intact to a client that reads slowly", async () => {
    const { status, body } = await get("/big", true);
    expect(status).toBe(200);
    expect(body.length).toBe(BIG.length);
    expect(sha(body)).toBe(sha(BIG));
  }, 60_000);

  it("closes the upstream exchange when the client goes away, counts it as a client abort (not an error), and keeps serving", async () => {
    const before = proxy.stats().versions.v1?.live;
    await new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${proxy.url}/endless`, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", () => undefined);
      req.on("close", () => resolve());
      req.end();
      setTimeout(() => reject(new Error("no data within 10 s")), 10_000);
    });
    await endlessClosed;
    // The abort is counted when the response closes, which may follow the upstream's close.
    await waitFor(
      () => proxy.stats().versions.v1?.live.clientAborts === (before?.clientAborts ?? 0) + 1,
    );
    const after = proxy.stats().versions.v1?.live;
    expect(after?.clientAborts).toBe((before?.clientAborts ?? 0) + 1);
    expect(after?.errors).toBe(before?.errors);
    expect(after?.requests).toBe(before?.requests);
    const next = await get("/other");
    expect(next.status).toBe(200);
    expect(next.body.toString()).toBe("fine");
  }, 30_000);
});
