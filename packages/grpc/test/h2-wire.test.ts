// The transport's own HTTP/2 client (unary calls) against node:http2 servers scripted to do what
// real servers do now and then: GOAWAY, RST_STREAM, large replies, stream limits, trailers-only
// errors, padding, CONTINUATION, silence.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tls from "node:tls";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { afterEach, describe, expect, it } from "vitest";
import { runGrpcLoad } from "../src/index.js";
import type { GrpcLoadOptions } from "../src/index.js";

const PROTO = fileURLToPath(new URL("./protos/greeter.proto", import.meta.url));
const ROOT = protobuf.loadSync(PROTO);
const HelloRequest = ROOT.lookupType("helloworld.HelloRequest");
const HelloReply = ROOT.lookupType("helloworld.HelloReply");
const { NGHTTP2_CANCEL, NGHTTP2_REFUSED_STREAM, NGHTTP2_INTERNAL_ERROR } = http2.constants;

function framed(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

const REPLY = framed(HelloReply.encode({ message: "Hello" }).finish());

/** Reads a unary request body and decodes its HelloRequest. */
function readRequest(stream: http2.ServerHttp2Stream): Promise<{ name: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const body = Buffer.concat(chunks);
      if (body.length < 5) {
        resolve({ name: "", bytes: body.length });
        return;
      }
      const message = HelloRequest.decode(body.subarray(5)) as unknown as { name: string };
      resolve({ name: message.name, bytes: body.length });
    });
    stream.on("error", reject);
  });
}

/** Answers OK with `reply` and the trailer grpc-status 0. */
function answerOk(stream: http2.ServerHttp2Stream, reply: Buffer = REPLY): void {
  if (stream.destroyed || stream.closed) return;
  stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
  stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
  stream.end(reply);
}

interface Scripted {
  host: string;
  sessions: http2.ServerHttp2Session[];
  close(): Promise<void>;
}

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function scripted(
  onStream: (
    stream: http2.ServerHttp2Stream,
    session: http2.ServerHttp2Session,
    headers: http2.IncomingHttpHeaders,
  ) => void,
  options: http2.ServerOptions = {},
  secure?: { key: Buffer; cert: Buffer },
): Promise<Scripted> {
  const server = secure
    ? http2.createSecureServer({ ...options, ...secure })
    : http2.createServer(options);
  const sessions: http2.ServerHttp2Session[] = [];
  server.on("session", (session) => {
    sessions.push(session);
    session.on("error", () => undefined);
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => undefined);
    onStream(stream, stream.session as http2.ServerHttp2Session, headers);
  });
  const host = await listen(server);
  const handle: Scripted = {
    host,
    sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
  open.push(handle);
  return handle;
}

function options(host: string, overrides: Partial<GrpcLoadOptions>): GrpcLoadOptions {
  return {
    host,
    call: "helloworld.Greeter.SayHello",
    proto: PROTO,
    data: { name: "bob" },
    numRequests: 20,
    qps: 0,
    concurrency: 4,
    warmupMs: 0,
    timeoutMs: 10_000,
    ...overrides,
  };
}

/** Waits (bounded) until `check` holds. */
async function until(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("gRPC over the transport's HTTP/2 client", () => {
  it("maps trailers-only errors and HTTP statuses without grpc-status", async () => {
    const server = await scripted((stream) => {
      void readRequest(stream).then(({ name }) => {
        if (name === "trailers-only") {
          stream.respond(
            {
              ":status": 200,
              "content-type": "application/grpc",
              "grpc-status": "5",
              "grpc-message": "not%20found",
            },
            { endStream: true },
          );
        } else if (name === "http-503") {
          stream.respond({ ":status": 503 }, { endStream: true });
        } else if (name === "http-404") {
          stream.respond({ ":status": 404, "content-type": "text/plain" });
          stream.end("no such thing");
        } else if (name === "no-status") {
          stream.respond({ ":status": 200, "content-type": "application/grpc" });
          stream.end(REPLY);
        } else {
          answerOk(stream);
        }
      });
    });
    const result = await runGrpcLoad(
      options(server.host, {
        data: [
          { name: "ok" },
          { name: "trailers-only" },
          { name: "http-503" },
          { name: "http-404" },
          { name: "no-status" },
        ],
        numRequests: 25,
        concurrency: 1,
      }),
    );
    // OK, NotFound (5), Unavailable (503 -> 14), Unimplemented (404 -> 12), Unknown (2).
    expect(result.statusCodes).toEqual({ "0": 5, "5": 5, "14": 5, "12": 5, "2": 5 });
    expect(result.errorClasses).toEqual({});
  });

  it("never opens more streams than MAX_CONCURRENT_STREAMS (3) with 50 lanes", async () => {
    let inFlight = 0;
    let most = 0;
    const server = await scripted(
      (stream) => {
        inFlight++;
        most = Math.max(most, inFlight);
        stream.on("close", () => inFlight--);
        void readRequest(stream).then(() => setTimeout(() => answerOk(stream), 3));
      },
      { settings: { maxConcurrentStreams: 3 } },
    );
    const result = await runGrpcLoad(options(server.host, { numRequests: 300, concurrency: 50 }));
    expect(result.statusCodes).toEqual({ "0": 300 });
    expect(result.errorClasses).toEqual({});
    expect(most).toBe(3);
  });

  it("receives a 1 MiB reply (flow control: WINDOW_UPDATE for received DATA)", async () => {
    const big = framed(HelloReply.encode({ message: "x".repeat(1024 * 1024) }).finish());
    const server = await scripted((stream) => {
      void readRequest(stream).then(() => answerOk(stream, big));
    });
    const result = await runGrpcLoad(
      options(server.host, { numRequests: 8, concurrency: 3, call: "helloworld.Greeter.SayHello" }),
    );
    expect(result.statusCodes).toEqual({ "0": 8 });
    expect(result.errorClasses).toEqual({});
  });

  it("sends a 300 kB request within the server's small windows", async () => {
    const seen: number[] = [];
    const server = await scripted(
      (stream) => {
        void readRequest(stream).then(({ bytes }) => {
          seen.push(bytes);
          answerOk(stream);
        });
      },
      { settings: { initialWindowSize: 16_384 } },
    );
    const name = "n".repeat(300_000);
    const result = await runGrpcLoad(
      options(server.host, { data: { name }, numRequests: 6, concurrency: 3 }),
    );
    expect(result.statusCodes).toEqual({ "0": 6 });
    const expected = 5 + HelloRequest.encode({ name }).finish().length;
    expect(seen).toEqual(Array.from({ length: 6 }, () => expected));
  });

  it("takes an answer that comes before the whole request was sent, and goes on", async () => {
    let streams = 0;
    const server = await scripted(
      (stream) => {
        streams++;
        // Answer at once, without reading the body the small window holds back.
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "8" },
          { endStream: true },
        );
      },
      { settings: { initialWindowSize: 16_384 } },
    );
    const result = await runGrpcLoad(
      options(server.host, { data: { name: "n".repeat(300_000) }, numRequests: 6, concurrency: 2 }),
    );
    expect(result.statusCodes).toEqual({ "8": 6 });
    expect(result.errorClasses).toEqual({});
    expect(streams).toBe(6);
  });

  it("fails the calls above GOAWAY's last stream id as refused, completes the others, reconnects", async () => {
    let goneAway = false;
    const server = await scripted((stream, session) => {
      const id = stream.id as number;
      void readRequest(stream).then(() => {
        if (!goneAway && id === 41) {
          goneAway = true;
          session.goaway(http2.constants.NGHTTP2_NO_ERROR, 37);
          return;
        }
        // Streams above the last id are left alone: the client forgets them.
        if (session === server.sessions[0] && goneAway && id > 37) return;
        setTimeout(() => answerOk(stream), 2);
      });
    });
    const result = await runGrpcLoad(options(server.host, { numRequests: 200, concurrency: 10 }));
    expect(result.requests).toBe(200);
    const refused = result.errorClasses.refused ?? 0;
    expect(refused).toBeGreaterThanOrEqual(2); // 39 and 41 at least
    expect(refused).toBeLessThanOrEqual(10);
    expect(result.statusCodes).toEqual({ "0": 200 - refused });
    expect(Object.keys(result.errorClasses)).toEqual(["refused"]);
    expect(server.sessions.length).toBeGreaterThanOrEqual(2);
  });

  it("reports RST_STREAM: refused and reset before a response, Cancelled after its headers", async () => {
    const server = await scripted((stream) => {
      void readRequest(stream).then(({ name }) => {
        if (name === "refuse") stream.close(NGHTTP2_REFUSED_STREAM);
        else if (name === "internal") stream.close(NGHTTP2_INTERNAL_ERROR);
        else if (name === "late-cancel") {
          stream.respond({ ":status": 200, "content-type": "application/grpc" });
          stream.write(REPLY, () => stream.close(NGHTTP2_CANCEL));
        } else answerOk(stream);
      });
    });
    const result = await runGrpcLoad(
      options(server.host, {
        data: [{ name: "ok" }, { name: "refuse" }, { name: "internal" }, { name: "late-cancel" }],
        numRequests: 40,
        concurrency: 1,
      }),
    );
    expect(result.statusCodes).toEqual({ "0": 10, "1": 10 });
    expect(result.errorClasses).toEqual({ refused: 10, reset: 10 });
  });

  it("reads padded frames and header blocks continued in CONTINUATION frames (server streaming)", async () => {
    const server = await scripted(
      (stream) => {
        void readRequest(stream).then(() => {
          stream.respond(
            // 20 kB of headers that Huffman does not shorten: more than one 16 kB frame.
            { ":status": 200, "content-type": "application/grpc", "x-big": "~".repeat(20_000) },
            { waitForTrailers: true },
          );
          stream.on("wantTrailers", () =>
            stream.sendTrailers({ "grpc-status": "0", "x-big-trailer": "~".repeat(20_000) }),
          );
          stream.write(REPLY);
          stream.write(REPLY);
          stream.end(REPLY);
        });
      },
      // nghttp2 pads every HEADERS and DATA frame.
      { paddingStrategy: http2.constants.PADDING_STRATEGY_MAX },
    );
    const result = await runGrpcLoad(
      options(server.host, {
        call: "helloworld.Greeter.SayHellos",
        numRequests: 10,
        concurrency: 2,
      }),
    );
    expect(result.kind).toBe("server-stream");
    expect(result.statusCodes).toEqual({ "0": 10 });
    expect(result.errorClasses).toEqual({});
    // Padding left in the data would read as extra (empty) messages.
    expect(result.streams?.messagesReceived).toBe(30);
  });

  it("sends a request header block larger than one frame in CONTINUATION frames", async () => {
    const sizes: number[] = [];
    const server = await scripted((stream, _session, headers) => {
      sizes.push(String(headers["x-big"] ?? "").length);
      void readRequest(stream).then(() => answerOk(stream));
    });
    const result = await runGrpcLoad(
      options(server.host, { metadata: { "x-big": "m".repeat(40_000) }, numRequests: 4 }),
    );
    expect(result.statusCodes).toEqual({ "0": 4 });
    expect(sizes).toEqual([40_000, 40_000, 40_000, 40_000]);
  });

  it("counts a server that never answers as DeadlineExceeded and resets each stream with CANCEL", async () => {
    const resetCodes: number[] = [];
    const server = await scripted((stream) => {
      stream.on("close", () => resetCodes.push(stream.rstCode));
    });
    const result = await runGrpcLoad(
      options(server.host, { numRequests: 6, concurrency: 3, timeoutMs: 300 }),
    );
    expect(result.statusCodes).toEqual({ "4": 6 });
    expect(result.statusNames).toEqual({ DeadlineExceeded: 6 });
    await until(() => resetCodes.length === 6, "6 streams closed at the server");
    expect(resetCodes).toEqual(Array.from({ length: 6 }, () => NGHTTP2_CANCEL));
  });

  it("fails calls with a timeout when the server never speaks HTTP/2 (connect-timeout)", async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    const host = await listen(silent);
    open.push({
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    });
    const result = await runGrpcLoad(
      options(host, { numRequests: 3, concurrency: 1, connectTimeoutMs: 200, timeoutMs: 20_000 }),
    );
    expect(result.requests).toBe(3);
    expect(result.errorClasses).toEqual({ timeout: 3 });
    expect(result.statusNames).toEqual({ Unavailable: 3 });
  });

  it("sends keepalive PINGs and answers the server's PINGs", async () => {
    let pings = 0;
    const counted = new Set<http2.ServerHttp2Session>();
    const server = await scripted((stream, session) => {
      if (!counted.has(session)) {
        counted.add(session);
        session.on("ping", () => pings++);
      }
      void readRequest(stream).then(() => {
        // The server pings the client; the call is answered when the client's ACK comes back.
        session.ping((error) => {
          if (error) stream.close(NGHTTP2_INTERNAL_ERROR);
          else answerOk(stream);
        });
      });
    });
    const result = await runGrpcLoad(
      options(server.host, { numRequests: 12, qps: 20, concurrency: 1, keepaliveMs: 50 }),
    );
    expect(result.statusCodes).toEqual({ "0": 12 });
    expect(pings).toBeGreaterThanOrEqual(1);
  });
});

describe("gRPC over TLS (ALPN h2)", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  function certificate(): { key: Buffer; cert: Buffer; certFile: string } {
    dir = mkdtempSync(join(tmpdir(), "iter8-grpc-tls-"));
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        .concat(["-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1"])
        .concat(["-addext", "subjectAltName=IP:127.0.0.1"]),
      { stdio: "ignore" },
    );
    return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
  }

  it("calls a TLS server with the CA file, :scheme https, metadata as sent (-bin base64)", async () => {
    const { key, cert, certFile } = certificate();
    const seen: http2.IncomingHttpHeaders[] = [];
    const server = await scripted(
      (stream, _session, headers) => {
        seen.push(headers);
        void readRequest(stream).then(() => answerOk(stream));
      },
      {},
      { key, cert },
    );
    const result = await runGrpcLoad(
      options(server.host, {
        numRequests: 5,
        tls: { caFile: certFile },
        metadata: { "x-team": "sre", "trace-bin": "\u0001\u0002" },
      }),
    );
    expect(result.statusCodes).toEqual({ "0": 5 });
    expect(seen).toHaveLength(5);
    expect(seen[0]?.[":scheme"]).toBe("https");
    expect(seen[0]?.["x-team"]).toBe("sre");
    expect(seen[0]?.["trace-bin"]).toBe("AQI=");
    expect(seen[0]?.["grpc-timeout"]).toBe("10000m");
    expect(seen[0]?.te).toBe("trailers");
  });

  it("fails calls as tls errors when the server does not offer h2", async () => {
    const { key, cert, certFile } = certificate();
    const server = tls.createServer({ key, cert, ALPNProtocols: ["http/1.1"] }, (socket) => {
      socket.on("error", () => undefined);
    });
    const host = await listen(server);
    open.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const result = await runGrpcLoad(
      options(host, { numRequests: 3, concurrency: 1, tls: { caFile: certFile } }),
    );
    expect(result.errorClasses).toEqual({ tls: 3 });
  });
});
