// The proxy's client side reads every connection into one shared buffer (`adoptAccepted`), or as
// streams where Node does not allow that. Both must give a handler the same requests and bodies.
import { Buffer } from "node:buffer";
import { connect, createServer, Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { PARSE_COMPLETE, ResponseParser } from "@iter8/http1";
import { describe, expect, it } from "vitest";
import { adoptAccepted, ClientServer } from "./downstream.js";
import type { ClientExchange, ClientReads } from "./downstream.js";

/** Sends `bytes` on one connection and reads `count` answers (status and body text). */
function exchange(
  port: number,
  bytes: Buffer,
  count: number,
): Promise<Array<{ status: number; body: string }>> {
  return new Promise((resolve, reject) => {
    const answers: Array<{ status: number; body: string }> = [];
    let status = 0;
    let body: Buffer[] = [];
    const parser = new ResponseParser({
      onHeader: () => undefined,
      onHead: (code) => (status = code),
      onBody: (chunk, start, end) => body.push(Buffer.from(chunk.subarray(start, end))),
    });
    parser.expect(false);
    const socket = connect(port, "127.0.0.1", () => socket.write(bytes));
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        if (parser.execute(chunk, at, chunk.length) !== PARSE_COMPLETE) return;
        at = parser.consumed;
        answers.push({ status, body: Buffer.concat(body).toString("latin1") });
        body = [];
        if (answers.length === count) {
          socket.destroy();
          resolve(answers);
          return;
        }
        parser.expect(false);
      }
    });
  });
}

function checksum(body: Buffer): number {
  let sum = 0;
  for (const byte of body) sum = (sum * 31 + byte) >>> 0;
  return sum;
}

/** A server echoing each request's method, target, body length and body checksum. */
async function echoServer(reads: ClientReads): Promise<{ server: ClientServer; port: number }> {
  const server = new ClientServer((ex: ClientExchange) => {
    const parts: Buffer[] = [];
    const answer = () => {
      const body = Buffer.concat(parts);
      const text = `${ex.head.method} ${ex.head.target} ${body.length} ${checksum(body)}`;
      ex.writeHead(200, ["content-length", String(Buffer.byteLength(text))]);
      ex.end(text);
    };
    if (ex.head.body === "none") return answer();
    // Kept until the body's end: a view of a reused read buffer would be overwritten by then.
    ex.onBody = (chunk) => parts.push(chunk);
    ex.onBodyEnd = answer;
  }, reads);
  await new Promise<void>((resolve) => server.server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.server.address() as AddressInfo).port };
}

describe("adoptAccepted", () => {
  it("moves an accepted connection to a socket reading into the given buffer", async () => {
    const buffer = Buffer.alloc(1024);
    const seen: string[] = [];
    let adopted: Socket | undefined;
    const server = createServer({ pauseOnConnect: true }, (accepted) => {
      adopted = adoptAccepted(accepted, {
        buffer,
        callback: (bytes, into) => {
          expect(into.buffer).toBe(buffer.buffer);
          seen.push(Buffer.from(into.subarray(0, bytes)).toString());
          if (seen.join("") === "ping") adopted?.write("pong");
          return true;
        },
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const reply = await new Promise<string>((resolve, reject) => {
      const client = connect(port, "127.0.0.1", () => client.write("ping"));
      client.on("error", reject);
      client.on("data", (chunk: Buffer) => {
        resolve(chunk.toString());
        client.end();
      });
    });
    expect(reply).toBe("pong");
    expect(seen.join("")).toBe("ping");
    expect(adopted).toBeInstanceOf(Socket);
    expect(adopted?.remoteAddress).toBe("127.0.0.1");
    // The server still counts the connection: `close` completes once the adopted socket closes.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    let done = false;
    void closed.then(() => (done = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    adopted?.destroy();
    await closed;
  });

  it("leaves a socket without a handle as it is", () => {
    const socket = new Socket();
    const onread = { buffer: Buffer.alloc(16), callback: () => true };
    expect(adoptAccepted(socket, onread)).toBeUndefined();
    socket.destroy();
  });
});

describe.each(["onread", "stream"] as const)("ClientServer reading by %s", (reads) => {
  it("reads connections the way it was asked to", async () => {
    const { server, port } = await echoServer(reads);
    await exchange(port, Buffer.from("GET /a HTTP/1.1\r\nhost: x\r\n\r\n"), 1);
    const listening = [...server.connections].map((c) => c.socket.listenerCount("data"));
    // A connection read into the shared buffer has no 'data' listener; a stream has one.
    expect(listening.every((n) => n === (reads === "onread" ? 0 : 1))).toBe(true);
    await server.close(1_000);
  });

  it("answers pipelined requests with bodies larger than a read, bytes intact, in order", async () => {
    const { server, port } = await echoServer(reads);
    const big = Buffer.alloc(300 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 10)) & 0xff;
    const small = Buffer.from("hello");
    const requests = Buffer.concat([
      Buffer.from(`POST /big HTTP/1.1\r\nhost: x\r\ncontent-length: ${big.length}\r\n\r\n`),
      big,
      Buffer.from("GET /next HTTP/1.1\r\nhost: x\r\n\r\n"),
      Buffer.from(`PUT /small HTTP/1.1\r\nhost: x\r\ncontent-length: ${small.length}\r\n\r\n`),
      small,
    ]);
    const answers = await exchange(port, requests, 3);
    expect(answers).toEqual([
      { status: 200, body: `POST /big ${big.length} ${checksum(big)}` },
      { status: 200, body: "GET /next 0 0" },
      { status: 200, body: `PUT /small 5 ${checksum(small)}` },
    ]);
    await server.close(1_000);
  });
});
