// The answer head a client gets through the proxy, byte for byte: header lines go as the upstream
// sent them (case, blanks, order), without hop-by-hop ones and those the upstream's Connection
// names, and the body is re-framed when its framing header was left out.
import { connect, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { parseRoutingOrThrow } from "@iter8/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTrafficProxy } from "../src/index.js";
import type { TrafficProxy } from "../src/index.js";

/** What the raw upstream answers, by request path. */
const ANSWERS: Record<string, string> = {
  "/runs":
    "HTTP/1.1 200 OK\r\nA: 1\r\nkeep-alive: timeout=5\r\nB:  two \t\r\nConnection: X-Drop\r\n" +
    "x-DROP: gone\r\nC: 3\r\nContent-Length: 2\r\n\r\nok",
  "/chunked":
    "HTTP/1.1 201 Created\r\nContent-Length: 99\r\nX: y\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "3\r\nabc\r\n0\r\n\r\n",
  "/length-named":
    "HTTP/1.1 200 OK\r\nConnection: close, Content-Length\r\nContent-Length: 2\r\n\r\nok",
  "/bare": "HTTP/1.1 204 No Content\r\n\r\n",
};

let upstream: Server;
let proxy: TrafficProxy;
const upstreamSockets = new Set<Socket>();

beforeAll(async () => {
  upstream = createServer((socket) => {
    upstreamSockets.add(socket);
    socket.on("close", () => upstreamSockets.delete(socket));
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      let end: number;
      while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
        const path = pending.slice(0, pending.indexOf("\r\n")).split(" ")[1] ?? "";
        pending = pending.slice(end + 4);
        const answer = ANSWERS[path];
        if (answer === undefined) socket.destroy();
        else socket.write(answer, "latin1");
      }
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  proxy = await startTrafficProxy({
    routing: parseRoutingOrThrow(
      `versions:\n  - {name: v1, url: "${url}"}\nroutes:\n  - split: [{version: v1, weight: 1}]\n`,
    ),
    port: 0,
    adminPort: 0,
  });
});

afterAll(async () => {
  await proxy.close();
  for (const socket of upstreamSockets) socket.destroy();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

/** Sends one `GET path` (the connection to close after it) and resolves with every byte answered. */
function rawGet(path: string): Promise<string> {
  const { port } = new URL(proxy.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: proxied\r\nConnection: close\r\n\r\n`);
  });
}

describe("the answer head a client gets", () => {
  it("keeps forwarded lines as sent, in order, and leaves out hop-by-hop and Connection-named ones", async () => {
    expect(await rawGet("/runs")).toBe(
      "HTTP/1.1 200 OK\r\nA: 1\r\nB:  two \t\r\nC: 3\r\nContent-Length: 2\r\n" +
        "x-iter8-version: v1\r\nconnection: close\r\n\r\nok",
    );
  });

  it("re-chunks a chunked answer without its content-length", async () => {
    expect(await rawGet("/chunked")).toBe(
      "HTTP/1.1 201 Created\r\nX: y\r\nx-iter8-version: v1\r\ntransfer-encoding: chunked\r\n" +
        "connection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
  });

  it("re-frames an answer whose Connection names its content-length", async () => {
    expect(await rawGet("/length-named")).toBe(
      "HTTP/1.1 200 OK\r\nx-iter8-version: v1\r\ntransfer-encoding: chunked\r\n" +
        "connection: close\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    );
  });

  it("forwards an answer without header lines", async () => {
    expect(await rawGet("/bare")).toBe(
      "HTTP/1.1 204 No Content\r\nx-iter8-version: v1\r\nconnection: close\r\n\r\n",
    );
  });
});
