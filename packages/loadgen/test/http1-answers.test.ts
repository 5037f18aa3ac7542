import { Buffer } from "node:buffer";
import { createServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HTTP_CLIENTS, runLoadWith } from "./http-clients.js";

/** What the scripted server does with request `i` (counted over all connections). */
type Answer = (socket: Socket, i: number) => void;

interface ScriptedServer {
  url: string;
  /** Requests received (each request head, CRLFCRLF-terminated; the tests send no bodies). */
  requests: number;
  /** Connections accepted. */
  connections: number;
  /** Request heads received, as text. */
  heads: string[];
  close(): Promise<void>;
}

let server: ScriptedServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A TCP server that answers each request head with `answer`: bytes no HTTP library would send. */
async function startScripted(answer: Answer): Promise<ScriptedServer> {
  const sockets = new Set<Socket>();
  const net = createServer((socket) => {
    state.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let pending = "";
    socket.on("data", (data: Buffer) => {
      pending += data.toString("latin1");
      for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
        state.heads.push(pending.slice(0, end));
        pending = pending.slice(end + 4);
        answer(socket, state.requests++);
      }
    });
  });
  await new Promise<void>((resolve) => net.listen(0, "127.0.0.1", resolve));
  const { port } = net.address() as AddressInfo;
  const state: ScriptedServer = {
    url: `http://127.0.0.1:${port}/`,
    requests: 0,
    connections: 0,
    heads: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        net.close(() => resolve());
      }),
  };
  return state;
}

/** Writes `text` in pieces of `size` bytes, one piece per event-loop turn (as a slow network). */
function trickle(socket: Socket, text: string, size: number, then?: () => void): void {
  const bytes = Buffer.from(text, "latin1");
  let at = 0;
  const next = (): void => {
    if (socket.destroyed) return;
    if (at >= bytes.length) {
      then?.();
      return;
    }
    socket.write(bytes.subarray(at, at + size));
    at += size;
    setImmediate(next);
  };
  next();
}

const FRAMINGS = [
  "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
  "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nX-T: 1\r\n\r\n",
  "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok",
  "HTTP/1.1 204 No Content\r\n\r\n",
  "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
];

describe.each(HTTP_CLIENTS)("HTTP/1.1 answers, framed every way (%s)", (httpClient) => {
  const runLoad = runLoadWith(httpClient);

  it("counts every framing exactly, written a few bytes at a time, on one keep-alive connection", async () => {
    server = await startScripted((socket, i) =>
      trickle(socket, FRAMINGS[i % FRAMINGS.length] as string, 1 + (i % 7)),
    );
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 25,
      warmupMs: 0,
    });
    expect(result.requests).toBe(25);
    expect(result.statusCodes).toEqual({ "200": 5, "201": 5, "202": 5, "204": 5, "404": 5 });
    expect(result.errorClasses).toEqual({});
    expect(result.errors).toBe(5);
    expect(server.requests).toBe(25);
    expect(server.connections).toBe(1);
  });

  it("reads a body that ends with the connection, and reconnects for the next request", async () => {
    server = await startScripted((socket) =>
      trickle(socket, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close", 4, () =>
        socket.end(),
      ),
    );
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 2,
      numRequests: 10,
      warmupMs: 0,
    });
    expect(result.requests).toBe(10);
    expect(result.statusCodes).toEqual({ "200": 10 });
    expect(result.errors).toBe(0);
    expect(server.connections).toBe(10);
  });

  it("honours connection: close and opens a new connection for each request", async () => {
    server = await startScripted((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
      // The server may close a little later: the client must not wait for it, nor reuse the socket.
      setTimeout(() => socket.end(), 20);
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 8,
      warmupMs: 0,
    });
    expect(result.requests).toBe(8);
    expect(result.statusCodes).toEqual({ "200": 8 });
    expect(server.connections).toBe(8);
  });

  it("reads no body after HEAD, whatever content-length says", async () => {
    server = await startScripted((socket) =>
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"),
    );
    const result = await runLoad({
      url: server.url,
      method: "HEAD",
      qps: 0,
      connections: 1,
      numRequests: 6,
      warmupMs: 0,
      timeoutMs: 2000,
    });
    expect(result.requests).toBe(6);
    expect(result.statusCodes).toEqual({ "200": 6 });
    expect(result.errors).toBe(0);
    expect(server.heads.every((head) => head.startsWith("HEAD / HTTP/1.1\r\n"))).toBe(true);
    // undici closes the connection after each HEAD (unless the answer says keep-alive).
    expect(server.connections).toBe(httpClient === "lean" ? 1 : 6);
  });

  it("counts a malformed answer as an `other` transport error", async () => {
    server = await startScripted((socket) => socket.write("HTTP/1.1 2x0 OK\r\n\r\n"));
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 4,
      warmupMs: 0,
    });
    expect(result.requests).toBe(4);
    expect(result.statusCodes).toEqual({});
    expect(result.errorClasses).toEqual({ other: 4 });
  });

  it("counts a connection closed in the middle of a body as a reset", async () => {
    server = await startScripted((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
      setTimeout(() => socket.destroy(), 10);
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 1,
      numRequests: 3,
      warmupMs: 0,
    });
    expect(result.requests).toBe(3);
    expect(result.statusCodes).toEqual({});
    expect(result.errorClasses).toEqual({ reset: 3 });
  });

  it("reads 16 MiB answers exactly, whole and chunked", async () => {
    const size = 16 * 1024 * 1024;
    const body = Buffer.alloc(size, 0x61);
    server = await startScripted((socket, i) => {
      if (i % 2 === 0) {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`);
        socket.write(body);
      } else {
        socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        socket.write(`${size.toString(16)}\r\n`);
        socket.write(body);
        socket.write("\r\n0\r\n\r\n");
      }
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 2,
      numRequests: 4,
      warmupMs: 0,
      timeoutMs: 30_000,
    });
    expect(result.requests).toBe(4);
    expect(result.statusCodes).toEqual({ "200": 4 });
    expect(result.errors).toBe(0);
  }, 60_000);
});

describe("choosing the HTTP/1.1 client", () => {
  it("lean reads interim 1xx answers before the final one; undici counts them as resets", async () => {
    server = await startScripted((socket) =>
      trickle(
        socket,
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
          "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\nok",
        5,
      ),
    );
    const options = { url: server.url, qps: 0, connections: 1, numRequests: 4, warmupMs: 0 };
    const lean = await runLoadWith("lean")(options);
    expect(lean.statusCodes).toEqual({ "202": 4 });
    expect(lean.errors).toBe(0);
    const undici = await runLoadWith("undici")(options);
    expect(undici.statusCodes).toEqual({});
    expect(undici.errorClasses).toEqual({ reset: 4 });
  });

  it("sends the same request from both clients (but undici's redundant connection: keep-alive)", async () => {
    const heads: Record<string, string[]> = {};
    for (const httpClient of HTTP_CLIENTS) {
      server = await startScripted((socket) =>
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
      );
      await runLoadWith(httpClient)({
        url: `${server.url}a/b?c=d`,
        qps: 0,
        connections: 1,
        numRequests: 2,
        warmupMs: 0,
        headers: { "x-one": "1", Authorization: "Bearer t" },
      });
      heads[httpClient] = server.heads;
      await server.close();
      server = undefined;
    }
    const port = (head: string): string =>
      head.replace(/host: 127\.0\.0\.1:\d+/, "host: H").replace("connection: keep-alive\r\n", "");
    expect(heads.lean?.map(port)).toEqual(heads.undici?.map(port));
    expect(heads.lean?.[0]).toMatch(/^GET \/a\/b\?c=d HTTP\/1\.1\r\nhost: 127\.0\.0\.1:\d+\r\n/);
  });

  it("refuses httpClient lean where it cannot carry the load (pipelining, framing headers)", async () => {
    const lean = runLoadWith("lean");
    for (const options of [
      { url: "http://127.0.0.1:1/", pipelining: 2 },
      { url: "http://127.0.0.1:1/", headers: { "transfer-encoding": "chunked" } },
    ]) {
      await expect(
        lean({ ...options, httpClient: "lean", qps: 0, connections: 1, numRequests: 1 }),
      ).rejects.toMatchObject({ code: "ITER8_LOAD_OPTIONS" });
    }
  });
});
