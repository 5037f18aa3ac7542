// The proxy's client side on the wire: raw bytes in, raw answers out. Pipelining, refused
// (smuggling) requests, 100-continue, HTTP/1.0 keep-alive, chunked bodies both ways.
import { createServer } from "node:http";
import type { Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { PARSE_COMPLETE, ResponseParser } from "@iter8/http1";
import { parseRoutingOrThrow } from "@iter8/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTrafficProxy } from "../src/index.js";
import type { TrafficProxy } from "../src/index.js";

let upstream: Server;
let proxy: TrafficProxy;
/** What the upstream received: `METHOD url body`, and its headers. */
const received: Array<{ line: string; headers: Record<string, unknown> }> = [];

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const line = `${req.method} ${req.url} ${Buffer.concat(chunks).toString()}`;
      received.push({ line, headers: req.headers });
      if (req.url === "/chunked") {
        res.writeHead(200, { "content-type": "text/plain" }); // no length: chunked
        res.write("part1-");
        res.end("part2");
        return;
      }
      res.writeHead(200, {
        "content-type": "text/plain",
        "content-length": Buffer.byteLength(line),
      });
      res.end(line);
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
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

interface Answer {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/** Every complete answer in `bytes`, in order (bodies of HEAD requests are not expected). */
function answersIn(bytes: Buffer): Answer[] {
  const out: Answer[] = [];
  let at = 0;
  for (let round = 0; at < bytes.length && round < 100; round++) {
    const headers: Array<[string, string]> = [];
    const body: Buffer[] = [];
    const parser = new ResponseParser({
      onHeader: (name, value) => headers.push([name.toLowerCase(), value]),
      onBody: (chunk, start, end) => body.push(Buffer.from(chunk.subarray(start, end))),
    });
    parser.expect(false);
    const result = parser.execute(bytes, at);
    if (result === PARSE_COMPLETE) at = parser.consumed;
    else if (parser.finish()) at = bytes.length;
    else break;
    out.push({ status: parser.status, headers, body: Buffer.concat(body).toString() });
  }
  return out;
}

/** Sends `bytes` (pieces written 20 ms apart) and resolves with all the proxy sent until it closed. */
function talk(
  pieces: string[],
  { closeAfterMs = 0 } = {},
): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const url = new URL(proxy.url);
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    let closed = false;
    const limit = setTimeout(() => socket.destroy(), closeAfterMs > 0 ? closeAfterMs : 10_000);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => (closed = true));
    socket.on("close", () => {
      clearTimeout(limit);
      resolve({ bytes: Buffer.concat(chunks), closed });
    });
    let i = 0;
    const next = () => {
      const piece = pieces[i++];
      if (piece === undefined) return;
      socket.write(piece);
      setTimeout(next, 20);
    };
    next();
  });
}

const host = () => `Host: ${new URL(proxy.url).host}\r\n`;

describe("the proxy's client side", () => {
  it("answers pipelined requests in order, on one connection", async () => {
    const h = host();
    const { bytes } = await talk([
      `GET /1 HTTP/1.1\r\n${h}\r\nGET /2 HTTP/1.1\r\n${h}\r\n` +
        `POST /3 HTTP/1.1\r\n${h}Content-Length: 3\r\n\r\nabc` +
        `GET /4 HTTP/1.1\r\n${h}Connection: close\r\n\r\n`,
    ]);
    const answers = answersIn(bytes);
    expect(answers.map((a) => `${a.status} ${a.body}`)).toEqual([
      "200 GET /1 ",
      "200 GET /2 ",
      "200 POST /3 abc",
      "200 GET /4 ",
    ]);
  });

  it.each([
    [
      "Content-Length with Transfer-Encoding",
      "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
    ],
    ["two Content-Lengths", "Content-Length: 1\r\nContent-Length: 4\r\n\r\nabcd", 400],
    [
      "a Transfer-Encoding other than chunked",
      "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
      501,
    ],
    ["obsolete line folding", "X-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n", 400],
  ])(
    "refuses %s with %s, closes the connection and forwards nothing",
    async (_what, rest, status) => {
      const before = received.length;
      const { bytes, closed } = await talk([
        `POST /smuggle HTTP/1.1\r\n${host()}${rest}GET /hidden HTTP/1.1\r\n${host()}\r\n`,
      ]);
      const answers = answersIn(bytes);
      expect(answers).toHaveLength(1);
      expect(answers[0]?.status).toBe(status);
      expect(answers[0]?.headers).toContainEqual(["connection", "close"]);
      expect(closed).toBe(true);
      expect(received.slice(before).map((r) => r.line)).toEqual([]);
    },
  );

  it("refuses a head over 16 KiB with 431", async () => {
    const { bytes } = await talk([
      `GET / HTTP/1.1\r\n${host()}X-Big: ${"a".repeat(17_000)}\r\n\r\n`,
    ]);
    expect(answersIn(bytes)[0]?.status).toBe(431);
  });

  it("answers CONNECT with 501", async () => {
    const { bytes } = await talk([
      `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`,
    ]);
    expect(answersIn(bytes)[0]?.status).toBe(501);
  });

  it("sends 100 Continue to a client that expects it, then forwards its body", async () => {
    const { bytes } = await talk([
      `PUT /e HTTP/1.1\r\n${host()}Expect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n`,
      "hello",
    ]);
    const text = bytes.toString();
    expect(text.startsWith("HTTP/1.1 100 Continue\r\n\r\n")).toBe(true);
    const answers = answersIn(bytes.subarray("HTTP/1.1 100 Continue\r\n\r\n".length));
    expect(answers[0]?.body).toBe("PUT /e hello");
    // Expect is hop-by-hop: the proxy met it, the upstream does not see it.
    expect(received.at(-1)?.headers.expect).toBeUndefined();
  });

  it("forwards a chunked request body, re-chunked", async () => {
    const { bytes } = await talk([
      `POST /c HTTP/1.1\r\n${host()}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\n`,
      "2\r\nde\r\n0\r\n\r\n",
    ]);
    expect(answersIn(bytes)[0]?.body).toBe("POST /c abcde");
    expect(received.at(-1)?.headers["transfer-encoding"]).toBe("chunked");
  });

  it("appends the client's address to x-forwarded-for, after the values it sent (repeats joined)", async () => {
    const { bytes } = await talk([
      `GET /xff HTTP/1.1\r\n${host()}X-Forwarded-For: 203.0.113.7\r\n` +
        `X-Forwarded-For: 198.51.100.2, 192.0.2.9\r\nConnection: close\r\n\r\n`,
    ]);
    expect(answersIn(bytes)[0]?.body).toBe("GET /xff ");
    expect(received.at(-1)?.headers["x-forwarded-for"]).toBe(
      "203.0.113.7, 198.51.100.2, 192.0.2.9, 127.0.0.1",
    );
    const { bytes: none } = await talk([
      `GET /xff-none HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`,
    ]);
    expect(answersIn(none)[0]?.body).toBe("GET /xff-none ");
    expect(received.at(-1)?.headers["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("keeps an HTTP/1.0 client's connection only when it asks, and ends a chunked answer by closing", async () => {
    const kept = await talk(
      [`GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`, `GET /b HTTP/1.0\r\n\r\n`],
      {},
    );
    const answers = answersIn(kept.bytes);
    expect(answers.map((a) => a.body)).toEqual(["GET /a ", "GET /b "]);
    expect(answers[0]?.headers).toContainEqual(["connection", "keep-alive"]);
    expect(kept.closed).toBe(true);
    // An answer of unknown length to an HTTP/1.0 client: its body ends with the connection.
    const chunked = await talk([`GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`]);
    expect(chunked.bytes.toString()).not.toContain("transfer-encoding");
    expect(chunked.bytes.toString().endsWith("\r\n\r\npart1-part2")).toBe(true);
    expect(chunked.closed).toBe(true);
  });

  it("forwards a request with Upgrade as a plain request, without the Upgrade header", async () => {
    const { bytes } = await talk([
      `GET /u HTTP/1.1\r\n${host()}Connection: Upgrade, close\r\nUpgrade: websocket\r\n\r\n`,
    ]);
    expect(answersIn(bytes)[0]?.body).toBe("GET /u ");
    expect(received.at(-1)?.headers.upgrade).toBeUndefined();
  });
});
