import { createServer } from "node:http";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo, Socket } from "node:net";

/** A real HTTP server listening on 127.0.0.1 (port 0). */
export interface LoopbackServer {
  server: Server;
  /** `http://127.0.0.1:<port>`, without a trailing slash. */
  url: string;
  port: number;
  /** Destroys every open connection, then stops listening. */
  close(): Promise<void>;
}

/**
 * Starts `handler` on 127.0.0.1 at an ephemeral port: the one place the tests' HTTP servers listen
 * and close, so a closed server never holds a keep-alive connection open.
 */
export async function startLoopbackServer(handler?: RequestListener): Promise<LoopbackServer> {
  const sockets = new Set<Socket>();
  const server = createServer(handler);
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** What a test server saw of one request. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** A real HTTP server on 127.0.0.1 (port 0) that records every request it receives. */
export interface TestServer {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * Starts a server; `respond` gets the request index (0-based, in arrival order) and answers.
 * The default answers 200 "ok".
 */
export async function startServer(
  respond: (index: number, req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void = (
    _i,
    _req,
    res,
  ) => res.end("ok"),
): Promise<TestServer> {
  const seen: SeenRequest[] = [];
  const listening = await startLoopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const record: SeenRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      const index = seen.push(record) - 1;
      respond(index, req, res, record);
    });
  });
  listening.server.keepAliveTimeout = 30_000;
  return { url: `${listening.url}/`, seen, close: () => listening.close() };
}

/** A loopback port that nothing listens on (bound, then released). */
export async function findClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A raw TCP server on 127.0.0.1 (port 0) for answers no HTTP server library would send. */
export interface RawServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a raw server; `onRequest` gets each connection's socket when its first bytes arrive and
 * writes what it likes. `close` destroys every connection.
 */
export async function startRawServer(onRequest: (socket: Socket) => void): Promise<RawServer> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.once("data", () => onRequest(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Writes `chunk` to `socket` every `everyMs` until the socket closes: an answer that never ends.
 * At most `maxWrites` writes, so a test that fails cannot stream for ever either.
 */
export function writeForever(socket: Socket, chunk: string, everyMs = 20, maxWrites = 5000): void {
  let writes = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || !socket.writable || writes++ >= maxWrites) {
      clearInterval(timer);
      return;
    }
    socket.write(chunk);
  }, everyMs);
  socket.on("close", () => clearInterval(timer));
}
