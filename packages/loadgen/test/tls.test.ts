// https loads over both HTTP/1.1 clients, against real TLS servers on 127.0.0.1 with certificates
// of a CA made for the run: trust (a CA, the wrong CA, no check), the name checked, handshakes
// per connection, session resumption, framings, a server closing mid-answer, timeouts and aborts.
import { createServer as createHttpsServer } from "node:https";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { createTestCertificateAuthority } from "@iter8/test-utils";
import type { TestCertificateAuthority } from "@iter8/test-utils";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LoadProgress } from "../src/index.js";
import { ensureBuilt } from "./ensure-built.js";
import { HTTP_CLIENTS, runLoadWith } from "./http-clients.js";

type Handler = (i: number, req: IncomingMessage, res: ServerResponse) => void;

interface TlsServer {
  url: string;
  /** Requests received. */
  requests: number;
  /** TLS handshakes completed (one per connection). */
  handshakes: number;
  /** Handshakes that resumed an earlier session. */
  resumed: number;
  /** The ALPN protocol each handshake agreed on (false: none). */
  alpn: (string | false | null)[];
  close(): Promise<void>;
}

let ca: TestCertificateAuthority;
let otherCa: TestCertificateAuthority;
let byIp: { key: string; cert: string };
let byName: { key: string; cert: string };

beforeAll(() => {
  // Worker threads run the built dist/.
  ensureBuilt();
  ca = createTestCertificateAuthority("loadgen test CA");
  otherCa = createTestCertificateAuthority("another CA");
  byIp = ca.issue(["127.0.0.1"]);
  byName = ca.issue(["loadgen.test"]);
}, 120_000);

afterAll(() => {
  ca.dispose();
  otherCa.dispose();
});

let server: TlsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const ok: Handler = (_i, _req, res) => res.end("ok");

async function startTls(
  handler: Handler = ok,
  certificate: { key: string; cert: string } = byIp,
): Promise<TlsServer> {
  const https: Server = createHttpsServer(
    { ...certificate, ALPNProtocols: ["http/1.1"] },
    (req, res) => handler(state.requests++, req, res),
  );
  https.on("secureConnection", (socket: TLSSocket) => {
    state.handshakes++;
    if (socket.isSessionReused()) state.resumed++;
    state.alpn.push(socket.alpnProtocol);
  });
  https.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => https.listen(0, "127.0.0.1", resolve));
  const { port } = https.address() as AddressInfo;
  const state: TlsServer = {
    url: `https://127.0.0.1:${port}/`,
    requests: 0,
    handshakes: 0,
    resumed: 0,
    alpn: [],
    close: () =>
      new Promise<void>((resolve) => {
        https.closeAllConnections();
        https.close(() => resolve());
      }),
  };
  return state;
}

describe.each(HTTP_CLIENTS)("https loads (%s)", (httpClient) => {
  const runLoad = runLoadWith(httpClient);

  it("verifies the server with a CA: exact counts, one handshake per keep-alive connection", async () => {
    server = await startTls();
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 3,
      numRequests: 60,
      warmupMs: 0,
      tls: { ca: ca.cert },
    });
    expect(result.requests).toBe(60);
    expect(result.statusCodes).toEqual({ 200: 60 });
    expect(result.errors).toBe(0);
    expect(server.requests).toBe(60);
    expect(server.handshakes).toBe(3);
    expect(server.alpn).toEqual(["http/1.1", "http/1.1", "http/1.1"]);
  });

  it("splits an https load over worker threads exactly, each thread's connections verified", async () => {
    server = await startTls();
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 4,
      workers: 2,
      numRequests: 101,
      warmupMs: 0,
      tls: { ca: ca.cert },
    });
    expect(result.statusCodes).toEqual({ 200: 101 });
    expect(server.requests).toBe(101);
    expect(server.handshakes).toBe(4);
  });

  it("counts tls errors against a certificate of another CA, and of Node's store alone", async () => {
    server = await startTls();
    for (const tls of [{ ca: otherCa.cert }, undefined]) {
      const result = await runLoad({
        url: server.url,
        qps: 0,
        connections: 2,
        numRequests: 6,
        warmupMs: 0,
        ...(tls && { tls }),
      });
      expect(result.requests).toBe(6);
      expect(result.errorClasses).toEqual({ tls: 6 });
      expect(result.errors).toBe(6);
      expect(result.statusCodes).toEqual({});
    }
    expect(server.requests).toBe(0);
  });

  it("skips the check with skipVerify: every request answered", async () => {
    server = await startTls(ok, byName);
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 2,
      numRequests: 10,
      warmupMs: 0,
      tls: { skipVerify: true },
    });
    expect(result.statusCodes).toEqual({ 200: 10 });
    expect(server.requests).toBe(10);
  });

  it("checks serverName instead of the URL's address, and sends it as SNI", async () => {
    const names: (string | false)[] = [];
    server = await startTls((_i, req, res) => {
      names.push((req.socket as TLSSocket).servername ?? false);
      res.end("ok");
    }, byName);
    // undici (7.30.2) stalls the requests after the first on a name mismatch (they never reach
    // a connection, so no timeout can end them): it is asked for one request only.
    const count = httpClient === "lean" ? 4 : 1;
    const wrongName = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: count,
      warmupMs: 0,
      tls: { ca: ca.cert },
    });
    expect(wrongName.errorClasses).toEqual({ tls: count });
    const named = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 3,
      warmupMs: 0,
      tls: { ca: ca.cert, serverName: "loadgen.test" },
    });
    expect(named.statusCodes).toEqual({ 200: 3 });
    expect(names).toEqual(["loadgen.test", "loadgen.test", "loadgen.test"]);
  });

  it("reads content-length and chunked answers, exactly counted", async () => {
    server = await startTls((i, _req, res) => {
      if (i % 2 === 0) {
        res.setHeader("content-length", "5");
        res.end("hello");
      } else {
        res.statusCode = 201;
        res.write("chunk one, ");
        setImmediate(() => res.end("chunk two"));
      }
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 2,
      numRequests: 40,
      warmupMs: 0,
      tls: { ca: ca.cert },
    });
    expect(result.requests).toBe(40);
    expect(result.errors).toBe(0);
    expect((result.statusCodes[200] ?? 0) + (result.statusCodes[201] ?? 0)).toBe(40);
    expect(result.statusCodes[200]).toBeGreaterThanOrEqual(1);
    expect(result.statusCodes[201]).toBeGreaterThanOrEqual(1);
    expect(server.requests).toBe(40);
    expect(server.handshakes).toBe(2);
  });

  it("counts a server closing mid-answer as reset, and reconnects for the next request", async () => {
    server = await startTls((i, req, res) => {
      res.setHeader("content-length", "100");
      if (i % 3 === 2) {
        res.write("only ten b");
        setTimeout(() => req.socket.destroy(), 20);
      } else {
        res.end("x".repeat(100));
      }
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 9,
      warmupMs: 0,
      tls: { ca: ca.cert },
    });
    expect(result.requests).toBe(9);
    expect(result.statusCodes).toEqual({ 200: 6 });
    expect(result.errorClasses).toEqual({ reset: 3 });
    expect(server.requests).toBe(9);
    // The first connection, and one after each close but the last.
    expect(server.handshakes).toBe(3);
  });

  it("counts a server that never finishes the handshake as timeouts", async () => {
    const sockets = new Set<Socket>();
    const silent = createNetServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const result = await runLoad({
        url: `https://127.0.0.1:${port}/`,
        qps: 0,
        connections: 2,
        numRequests: 4,
        warmupMs: 0,
        timeoutMs: 300,
        tls: { ca: ca.cert },
      });
      expect(result.requests).toBe(4);
      expect(result.errorClasses).toEqual({ timeout: 4 });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("counts a closed port as refused", async () => {
    const closed = createNetServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await runLoad({
      url: `https://127.0.0.1:${port}/`,
      qps: 0,
      connections: 1,
      numRequests: 3,
      warmupMs: 0,
      tls: { ca: ca.cert },
    });
    expect(result.requests).toBe(3);
    expect(result.errorClasses).toEqual({ refused: 3 });
  });

  it("resolves with partial results marked aborted when the signal aborts", async () => {
    server = await startTls();
    const controller = new AbortController();
    const progress: LoadProgress[] = [];
    const result = await runLoad(
      {
        url: server.url,
        qps: 50,
        connections: 2,
        numRequests: 10_000,
        warmupMs: 0,
        tls: { ca: ca.cert },
      },
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
    expect(result.statusCodes[200]).toBe(result.requests);
    expect(server.requests).toBeGreaterThanOrEqual(result.requests);
    expect(progress.length).toBeGreaterThan(0);
  });
});

describe("the lean client's TLS sessions", () => {
  it("resumes the run's session on every new connection after the first", async () => {
    // `connection: close` answers: each request needs a new connection.
    server = await startTls((_i, _req, res) => {
      res.setHeader("connection", "close");
      res.end("ok");
    });
    const result = await runLoadWith("lean")({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 8,
      warmupMs: 0,
      tls: { ca: ca.cert },
    });
    expect(result.statusCodes).toEqual({ 200: 8 });
    expect(server.handshakes).toBe(8);
    // The server's session ticket arrives before its first answer, so only the first is full.
    expect(server.resumed).toBe(7);
  });

  it("is what httpClient auto picks for https", async () => {
    const connectionHeaders: (string | undefined)[] = [];
    server = await startTls((_i, req, res) => {
      connectionHeaders.push(req.headers.connection);
      res.end("ok");
    });
    await runLoadWith("auto")({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 2,
      warmupMs: 0,
      tls: { ca: ca.cert },
    });
    // undici adds `connection: keep-alive` to every request; the lean client sends none.
    expect(connectionHeaders).toEqual([undefined, undefined]);
    expect(server.alpn).toEqual(["http/1.1"]);
  });
});
