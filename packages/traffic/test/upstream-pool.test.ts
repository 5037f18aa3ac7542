// The proxy's upstream connection pool on its own, against real servers on loopback.
import { createServer } from "node:http";
import type { Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createRawServer } from "node:net";
import type { AddressInfo, Server as RawServer, Socket } from "node:net";
import { createTestCertificateAuthority } from "@iter8/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamPool } from "../src/upstream-pool.js";
import type { UpstreamRequest } from "../src/upstream-pool.js";

interface Outcome {
  status: number;
  headers: string[];
  body: string;
  error?: string;
}

/** Runs one exchange on `pool`; resolves with what the handler saw. */
function exchange(pool: UpstreamPool, request: UpstreamRequest, body: Buffer[] = []) {
  return new Promise<Outcome>((resolve) => {
    const out: Outcome = { status: 0, headers: [], body: "" };
    const chunks: Buffer[] = [];
    const ex = pool.request(request, {
      onHead: (head) => {
        out.status = head.status;
        // Valid only during the call: names and values are read out now.
        for (let i = 0; i < head.count; i++) {
          const start = head.lines[3 * i] as number;
          const colon = head.lines[3 * i + 1] as number;
          const value = head.text.slice(colon + 1, head.lines[3 * i + 2]);
          out.headers.push(head.text.slice(start, colon), value.trim());
        }
      },
      // A copy: the chunk is the pool's shared read buffer, overwritten by the next read.
      onBody: (chunk, start, end) => chunks.push(Buffer.from(chunk.subarray(start, end))),
      onEnd: () => resolve({ ...out, body: Buffer.concat(chunks).toString() }),
      onError: (error) => resolve({ ...out, error: error.message }),
    });
    for (const chunk of body) ex.write(chunk);
    if (request.body !== "none") ex.end();
  });
}

const get = (path: string, host: string): UpstreamRequest => ({
  head: `GET ${path} HTTP/1.1\r\nhost: ${host}\r\n\r\n`,
  headOnly: false,
  body: "none",
  retryable: true,
});

let server: Server;
let url: URL;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      const framing = req.headers["transfer-encoding"] ?? `length ${req.headers["content-length"]}`;
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${req.method} ${req.url} ${framing} ${body}`);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("UpstreamPool", () => {
  it("reuses one keep-alive connection for requests one after another", async () => {
    const pool = new UpstreamPool(url, { connections: 4 });
    try {
      for (let i = 0; i < 5; i++) {
        const answer = await exchange(pool, get(`/n${i}`, url.host));
        expect(answer.body).toBe(`GET /n${i} length undefined `);
      }
      expect(pool.open).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it("sends a body by content-length or chunked, written before and after the connection opens", async () => {
    const pool = new UpstreamPool(url, { connections: 2 });
    try {
      const sized = await exchange(
        pool,
        {
          head: `PUT /s HTTP/1.1\r\nhost: ${url.host}\r\ncontent-length: 6\r\n\r\n`,
          headOnly: false,
          body: "length",
          retryable: false,
        },
        [Buffer.from("abc"), Buffer.from("def")],
      );
      expect(sized.body).toBe("PUT /s length 6 abcdef");
      const chunked = await exchange(
        pool,
        {
          head: `POST /c HTTP/1.1\r\nhost: ${url.host}\r\ntransfer-encoding: chunked\r\n\r\n`,
          headOnly: false,
          body: "chunked",
          retryable: false,
        },
        [Buffer.from("hello "), Buffer.alloc(0), Buffer.from("world")],
      );
      expect(chunked.body).toBe("POST /c chunked hello world");
    } finally {
      await pool.close();
    }
  });

  it("sends a request again on a fresh connection when the upstream closed the idle one", async () => {
    const pool = new UpstreamPool(url, { connections: 1, idleTimeoutMs: 60_000 });
    try {
      expect((await exchange(pool, get("/first", url.host))).status).toBe(200);
      // The upstream closes the kept-alive connection: the pool learns it, or finds out on use.
      for (const socket of sockets) socket.destroy();
      const again = await exchange(pool, get("/second", url.host));
      expect(again.error).toBeUndefined();
      expect(again.body).toBe("GET /second length undefined ");
    } finally {
      await pool.close();
    }
  });

  it("fails an exchange with the connection's error when nothing listens", async () => {
    const dead = createRawServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const pool = new UpstreamPool(new URL(`http://127.0.0.1:${port}`), { connections: 1 });
    const answer = await exchange(pool, get("/", `127.0.0.1:${port}`));
    expect(answer.error).toMatch(/ECONNREFUSED/);
    await pool.close();
  });

  it("fails an exchange whose answer is malformed, and queues requests beyond the limit", async () => {
    const raw: RawServer = createRawServer((socket) => {
      socket.on("error", () => undefined);
      socket.on("data", (head: Buffer) => {
        if (head.toString().startsWith("GET /bad")) socket.end("HTTP/1.1 2000 Nope\r\n\r\n");
        else socket.write("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, "127.0.0.1", resolve));
    const rawUrl = new URL(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`);
    const pool = new UpstreamPool(rawUrl, { connections: 1 });
    try {
      const [bad, ...good] = await Promise.all([
        exchange(pool, get("/bad", rawUrl.host)),
        ...Array.from({ length: 5 }, () => exchange(pool, get("/good", rawUrl.host))),
      ]);
      expect(bad?.error).toMatch(/invalid status code/);
      expect(good.map((g) => g.body)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
      expect(pool.open).toBeLessThanOrEqual(1);
    } finally {
      await pool.close();
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });
});

describe("UpstreamPool over TLS", () => {
  it("talks HTTP/1.1 to an https origin, verifying its certificate", async () => {
    const ca = createTestCertificateAuthority();
    const { key, cert } = ca.issue(["127.0.0.1"]);
    const secure = createHttpsServer({ key, cert }, (req, res) => {
      req.resume();
      res.end(`secure ${req.url}`);
    });
    await new Promise<void>((resolve) => secure.listen(0, "127.0.0.1", resolve));
    const origin = new URL(`https://127.0.0.1:${(secure.address() as AddressInfo).port}`);
    const trusting = new UpstreamPool(origin, { connections: 1, ca: ca.cert });
    const doubting = new UpstreamPool(origin, { connections: 1 });
    try {
      const answer = await exchange(trusting, get("/s", origin.host));
      expect(answer).toMatchObject({ status: 200, body: "secure /s" });
      // Without the test authority the certificate is refused, as Node refuses it.
      const refused = await exchange(doubting, get("/s", origin.host));
      expect(refused.error).toMatch(/certificate/);
    } finally {
      await trusting.close();
      await doubting.close();
      secure.closeAllConnections();
      await new Promise<void>((resolve) => secure.close(() => resolve()));
      ca.dispose();
    }
  });
});
