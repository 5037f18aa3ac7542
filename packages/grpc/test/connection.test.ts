// The connection options of runGrpcLoad against real servers on 127.0.0.1: keepalive pings
// counted where they arrive (a node:http2 gRPC server), a peer that goes silent behind a TCP
// proxy, and a listener that accepts but never speaks HTTP/2 (connect-timeout).
import { Buffer } from "node:buffer";
import * as http2 from "node:http2";
import { connect, createServer as createNetServer } from "node:net";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRawServer } from "@iter8/test-utils";
import { runGrpcLoad } from "../src/index.js";
import type { GrpcLoadOptions } from "../src/index.js";

const PROTO = fileURLToPath(new URL("./protos/greeter.proto", import.meta.url));
// HelloReply { message: "hi" } with gRPC's 5-byte prefix.
const REPLY = Buffer.from([0, 0, 0, 0, 4, 0x0a, 0x02, 0x68, 0x69]);

/** A gRPC server on node:http2 that counts the PING frames it receives, per session. */
interface PingCountingServer {
  port: number;
  /** PING frames received, and when each session opened and closed (ms, performance.now()). */
  sessions: Array<{ pings: number; openedAt: number; closedAt?: number }>;
  /** Calls received. */
  calls: number;
  /** When true, calls get no answer at all (the stream stays open). */
  hang: boolean;
  /** Called on every call received. */
  onCall?: () => void;
  close(): Promise<void>;
}

async function startPingCountingServer(): Promise<PingCountingServer> {
  const server = http2.createServer();
  const open = new Set<http2.ServerHttp2Session>();
  const state: PingCountingServer = {
    port: 0,
    sessions: [],
    calls: 0,
    hang: false,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of open) session.destroy();
        server.close(() => resolve());
      }),
  };
  server.on("session", (session) => {
    open.add(session);
    const entry: { pings: number; openedAt: number; closedAt?: number } = {
      pings: 0,
      openedAt: performance.now(),
    };
    state.sessions.push(entry);
    session.on("ping", () => entry.pings++);
    session.on("error", () => undefined);
    session.on("close", () => {
      entry.closedAt = performance.now();
      open.delete(session);
    });
  });
  server.on("stream", (stream) => {
    state.calls++;
    state.onCall?.();
    stream.on("error", () => undefined);
    stream.resume();
    if (state.hang) return;
    stream.on("end", () => {
      if (stream.destroyed) return;
      stream.respond(
        { ":status": 200, "content-type": "application/grpc" },
        { waitForTrailers: true },
      );
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
      stream.end(REPLY);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

/**
 * A TCP proxy to `port` that can go silent: after `freeze()` it forwards nothing in either
 * direction, and connections made later are accepted but never forwarded (a dead peer).
 */
interface FreezableProxy {
  port: number;
  freeze(): void;
  close(): Promise<void>;
}

async function startFreezableProxy(port: number): Promise<FreezableProxy> {
  let frozen = false;
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.on("close", () => sockets.delete(socket));
  };
  const server: NetServer = createNetServer((client) => {
    track(client);
    if (frozen) return;
    const upstream = connect(port, "127.0.0.1");
    track(upstream);
    client.on("data", (chunk: Buffer) => {
      if (!frozen) upstream.write(chunk);
    });
    upstream.on("data", (chunk: Buffer) => {
      if (!frozen) client.write(chunk);
    });
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => {
      if (!frozen) client.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze: () => {
      frozen = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

let target: PingCountingServer;
beforeAll(async () => {
  target = await startPingCountingServer();
});
afterAll(() => target.close());

function options(port: number, overrides: Partial<GrpcLoadOptions>): GrpcLoadOptions {
  return {
    host: `127.0.0.1:${port}`,
    call: "helloworld.Greeter.SayHello",
    proto: PROTO,
    data: { name: "keepalive" },
    numRequests: 4,
    qps: 0,
    concurrency: 2,
    warmupMs: 0,
    timeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    ...overrides,
  };
}

describe("runGrpcLoad connections", () => {
  it("sends keepalive pings at the configured interval while the connection is idle", async () => {
    target.hang = false;
    const first = target.sessions.length;
    // 2 calls a second: the connection is idle between calls, about 2 s in all.
    const result = await runGrpcLoad(
      options(target.port, { qps: 2, numRequests: 5, concurrency: 1, keepaliveMs: 200 }),
    );
    expect(result.statusNames).toEqual({ OK: 5 });
    const sessions = target.sessions.slice(first);
    expect(sessions).toHaveLength(1);
    const session = sessions[0] as { pings: number; openedAt: number; closedAt?: number };
    await waitUntil(() => session.closedAt !== undefined);
    const openMs = (session.closedAt ?? 0) - session.openedAt;
    // An interval timer fires at most once per interval (the +1 allows for the ends); on a
    // busy machine it may fire late, so the lower bound is loose.
    expect(session.pings).toBeLessThanOrEqual(Math.floor(openMs / 200) + 1);
    expect(session.pings).toBeGreaterThanOrEqual(3);
  });

  it("keeps a busy, healthy connection open with a keepalive far shorter than the event loop's turns", async () => {
    target.hang = false;
    const first = target.sessions.length;
    // 5 ms: the server (in this process) answers pings only between bursts of 50 calls; calls
    // answered meanwhile show the peer is alive, as in grpc-go's keepalive.
    const result = await runGrpcLoad(
      options(target.port, { numRequests: 3000, concurrency: 50, keepaliveMs: 5 }),
    );
    expect(result.errorClasses).toEqual({});
    expect(result.statusNames).toEqual({ OK: 3000 });
    expect(target.sessions.length - first).toBe(1);
  });

  it("sends no pings without keepalive", async () => {
    target.hang = false;
    const first = target.sessions.length;
    const result = await runGrpcLoad(options(target.port, { qps: 4, numRequests: 4 }));
    expect(result.statusNames).toEqual({ OK: 4 });
    expect(target.sessions.slice(first).map((s) => s.pings)).toEqual([0]);
  });

  it("ends a connection whose peer stops answering pings: its calls fail as transport errors, later calls too, none hangs", async () => {
    const proxy = await startFreezableProxy(target.port);
    try {
      target.hang = true;
      // The server goes silent once the first call reached it: the connection was up.
      target.onCall = () => proxy.freeze();
      const result = await runGrpcLoad(
        options(proxy.port, { numRequests: 6, keepaliveMs: 300, connectTimeoutMs: 1000 }),
      );
      expect(result.requests).toBe(6);
      expect(result.errors).toBe(6);
      // No call waited for its 60 s deadline (that would be DeadlineExceeded, a status).
      expect(result.statusCodes).toEqual({});
      expect(result.errorClasses).toEqual({ timeout: 6 });
      expect(result.statusNames).toEqual({ Unavailable: 6 });
    } finally {
      target.onCall = undefined;
      target.hang = false;
      await proxy.close();
    }
    // A ping unanswered for 20 s (the connection's ping timeout) ends it: 22.5 s on every run, loaded
    // or not, which left the 30 s default little room on a busy machine.
  }, 90_000);

  it("without keepalive, calls on a silent peer end only at their deadline", async () => {
    const proxy = await startFreezableProxy(target.port);
    try {
      target.hang = true;
      target.onCall = () => proxy.freeze();
      const result = await runGrpcLoad(
        options(proxy.port, { numRequests: 2, concurrency: 2, timeoutMs: 1500 }),
      );
      expect(result.requests).toBe(2);
      expect(result.statusNames).toEqual({ DeadlineExceeded: 2 });
      expect(result.errorClasses).toEqual({});
    } finally {
      target.onCall = undefined;
      target.hang = false;
      await proxy.close();
    }
  });

  it("fails calls after connect-timeout when the listener accepts but never speaks HTTP/2", async () => {
    const silent = await startRawServer(() => undefined);
    try {
      const port = Number(new URL(silent.url).port);
      const result = await runGrpcLoad(options(port, { numRequests: 4, connectTimeoutMs: 500 }));
      expect(result.requests).toBe(4);
      expect(result.errors).toBe(4);
      expect(result.statusCodes).toEqual({});
      expect(result.errorClasses).toEqual({ timeout: 4 });
    } finally {
      await silent.close();
    }
  });
});

/** Waits (bounded: 200 tries, 10 s) until `condition` holds. */
async function waitUntil(condition: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  for (let i = 0; i < 200 && Date.now() < end; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(condition(), "condition not met within 10 s").toBe(true);
}
