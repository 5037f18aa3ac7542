import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  MAX_REQUEST_HEAD_BYTES,
  REQUEST_COMPLETE,
  RequestParseError,
  RequestParser,
} from "./request-parser.js";
import type { RequestHead } from "./request-parser.js";

interface Message {
  method: string;
  target: string;
  minor: number;
  headers: string[];
  body: string;
  framing: RequestHead["body"];
  keepAlive: boolean;
  expectContinue: boolean;
}

type Parsed =
  { messages: Message[]; error?: undefined } | { error: { status: number; message: string } };

/**
 * Feeds `text` in pieces cut at `cuts` (each piece copied into a reused scratch buffer with stale
 * bytes after it, to catch reads past the end), restarting after each complete message as a
 * server does, and reports every message or the refusal.
 */
function parse(text: string, cuts: number[] = []): Parsed {
  const bytes = Buffer.from(text, "latin1");
  const messages: Message[] = [];
  let current: Message | undefined;
  let body: Buffer[] = [];
  const parser = new RequestParser({
    onHead: (head) => {
      current = {
        method: head.method,
        target: head.target,
        minor: head.minor,
        headers: head.headers,
        body: "",
        framing: head.body,
        keepAlive: head.keepAlive,
        expectContinue: head.expectContinue,
      };
      body = [];
    },
    onBody: (chunk, start, end) => body.push(Buffer.from(chunk.subarray(start, end))),
    onEnd: () => {
      if (current === undefined) throw new Error("onEnd before onHead");
      current.body = Buffer.concat(body).toString("latin1");
      messages.push(current);
      current = undefined;
    },
  });
  const scratch = Buffer.alloc(bytes.length + 16);
  const edges = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  try {
    for (let i = 0; i + 1 < edges.length; i++) {
      const from = edges[i] as number;
      const to = edges[i + 1] as number;
      scratch.fill(0x5a);
      bytes.copy(scratch, 0, from, to);
      let at = 0;
      const end = to - from;
      // Bounded: each round either completes a message (and moves on) or reads the rest.
      for (let round = 0; at < end && round <= end; round++) {
        if (parser.execute(scratch, at, end) !== REQUEST_COMPLETE) break;
        at = parser.consumed;
      }
    }
  } catch (error) {
    if (!(error instanceof RequestParseError)) throw error;
    return { error: { status: error.status, message: error.message } };
  }
  if (parser.inMessage) return { error: { status: 0, message: "incomplete" } };
  return { messages };
}

/** Cuts at every offset (two pieces each), and into single bytes. */
function splits(text: string): number[][] {
  const all: number[][] = [[]];
  for (let i = 1; i < text.length; i++) all.push([i]);
  all.push(Array.from({ length: text.length }, (_, i) => i));
  return all;
}

/** Parses `text` under every split and expects the same outcome each time. */
function parseEverySplit(text: string): Parsed {
  const whole = parse(text);
  for (const cuts of splits(text)) {
    expect(parse(text, cuts), `cut at ${cuts.join(",")}`).toEqual(whole);
  }
  return whole;
}

function messagesOf(parsed: Parsed): Message[] {
  if (parsed.error !== undefined) throw new Error(`refused: ${parsed.error.message}`);
  return parsed.messages;
}

describe("RequestParser: requests it reads", () => {
  it("reads a GET with headers, names in lower case, values trimmed", () => {
    const [m] = messagesOf(
      parseEverySplit(
        "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Y:  two words \t\r\nCookie: c=1\r\n\r\n",
      ),
    );
    expect(m).toEqual({
      method: "GET",
      target: "/a?b=1",
      minor: 1,
      headers: ["host", "x", "x-y", "two words", "cookie", "c=1"],
      body: "",
      framing: "none",
      keepAlive: true,
      expectContinue: false,
    });
  });

  it("reads a content-length body and a chunked body (extensions, trailers dropped)", () => {
    const text =
      "POST /l HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
      "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5;a=b\r\nhello\r\n1a\r\n abcdefghijklmnopqrstuvwxy\r\n0\r\nX-T: 1\r\n\r\n";
    const messages = messagesOf(parseEverySplit(text));
    expect(messages.map((m) => [m.method, m.framing, m.body])).toEqual([
      ["POST", "length", "hello"],
      ["PUT", "chunked", "hello abcdefghijklmnopqrstuvwxy"],
    ]);
  });

  it("reads pipelined requests one message at a time, in order, empty lines between them ignored", () => {
    const text =
      "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n" +
      "POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nokGET /4 HTTP/1.1\r\nHost: x\r\n\r\n";
    expect(messagesOf(parseEverySplit(text)).map((m) => m.target)).toEqual([
      "/1",
      "/2",
      "/3",
      "/4",
    ]);
  });

  it.each([
    ["HTTP/1.1", "", true],
    ["HTTP/1.1", "Connection: close\r\n", false],
    ["HTTP/1.1", "Connection: Upgrade, Close\r\n", false],
    ["HTTP/1.0", "", false],
    ["HTTP/1.0", "Connection: keep-alive\r\n", true],
    ["HTTP/1.0", "Connection: keep-alive, close\r\n", false],
  ])("keeps %s with %j alive: %s", (version, header, alive) => {
    const [m] = messagesOf(parse(`GET / ${version}\r\nHost: x\r\n${header}\r\n`));
    expect(m?.keepAlive).toBe(alive);
  });

  it("reports Expect: 100-continue, and an HTTP/1.0 request without Host", () => {
    const [m] = messagesOf(
      parse("PUT / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\na"),
    );
    expect(m).toMatchObject({ expectContinue: true, body: "a" });
    expect(messagesOf(parse("GET / HTTP/1.0\r\n\r\n"))[0]?.minor).toBe(0);
  });

  it("accepts a head of exactly the limit and refuses one byte more with 431", () => {
    const base = "GET / HTTP/1.1\r\nHost: x\r\nX: \r\n\r\n";
    const fill = "a".repeat(MAX_REQUEST_HEAD_BYTES - base.length);
    const exact = `GET / HTTP/1.1\r\nHost: x\r\nX: ${fill}\r\n\r\n`;
    expect(messagesOf(parse(exact, [100, 9000]))).toHaveLength(1);
    const over = `GET / HTTP/1.1\r\nHost: x\r\nX: ${fill}a\r\n\r\n`;
    expect(parse(over).error?.status).toBe(431);
    expect(parse(over, [100, 9000]).error?.status).toBe(431);
    // And without an end in sight: refused once the limit is passed, not buffered forever.
    expect(
      parse(`GET / HTTP/1.1\r\nX: ${"a".repeat(MAX_REQUEST_HEAD_BYTES)}`, [50]).error?.status,
    ).toBe(431);
  });
});

describe("RequestParser: requests it refuses (request smuggling and malformed framing)", () => {
  const H = "Host: x\r\n";
  it.each([
    [
      "content-length with transfer-encoding",
      `POST / HTTP/1.1\r\n${H}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    [
      "transfer-encoding with content-length",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
      400,
    ],
    [
      "repeated content-length, same value",
      `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 1\r\n\r\na`,
      400,
    ],
    [
      "repeated content-length, differing values",
      `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
      400,
    ],
    ["a content-length list", `POST / HTTP/1.1\r\n${H}Content-Length: 1, 1\r\n\r\na`, 400],
    ["a signed content-length", `POST / HTTP/1.1\r\n${H}Content-Length: +1\r\n\r\na`, 400],
    [
      "a content-length of 16 digits",
      `POST / HTTP/1.1\r\n${H}Content-Length: 1000000000000000\r\n\r\n`,
      400,
    ],
    ["chunked not last", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n`, 501],
    [
      "a coding before chunked",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
      501,
    ],
    [
      "chunked twice",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      501,
    ],
    ["an unknown coding", `POST / HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n`, 501],
    [
      "transfer-encoding on HTTP/1.0",
      `POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      400,
    ],
    ["obsolete line folding", `GET / HTTP/1.1\r\n${H}X-A: 1\r\n  folded\r\n\r\n`, 400],
    ["folding right after the request line", `GET / HTTP/1.1\r\n ${H}\r\n`, 400],
    ["a bare LF ending a header", `GET / HTTP/1.1\r\n${H}X-A: 1\n\r\n`, 400],
    ["a bare LF ending the request line", `GET / HTTP/1.1\n${H}\r\n`, 400],
    ["a bare LF ending the head", `GET / HTTP/1.1\r\n${H}\n`, 400],
    ["a bare CR in a value", `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`, 400],
    ["whitespace before a colon", `GET / HTTP/1.1\r\n${H}Content-Length : 0\r\n\r\n`, 400],
    ["a space in a header name", `GET / HTTP/1.1\r\n${H}X A: 1\r\n\r\n`, 400],
    ["a header without a colon", `GET / HTTP/1.1\r\n${H}X-A\r\n\r\n`, 400],
    ["an empty header name", `GET / HTTP/1.1\r\n${H}: 1\r\n\r\n`, 400],
    ["a NUL in a value", `GET / HTTP/1.1\r\n${H}X-A: a\u0000b\r\n\r\n`, 400],
    ["a DEL in a value", `GET / HTTP/1.1\r\n${H}X-A: a\u007fb\r\n\r\n`, 400],
    ["a control character in the target", "GET /a\u0001b HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["a non-ASCII byte in the target", "GET /\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n", 400],
    ["two spaces after the method", `GET  / HTTP/1.1\r\n${H}\r\n`, 400],
    ["a lower-case version", `GET / http/1.1\r\n${H}\r\n`, 400],
    ["HTTP/2.0", `GET / HTTP/2.0\r\n${H}\r\n`, 400],
    ["HTTP/1.1 without Host", "GET / HTTP/1.1\r\nX: 1\r\n\r\n", 400],
    ["a repeated Host", `GET / HTTP/1.1\r\n${H}${H}\r\n`, 400],
    [
      "a chunk size of 13 hex digits",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1000000000000\r\n`,
      400,
    ],
    [
      "a chunk size with leading whitespace",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n 1\r\na\r\n0\r\n\r\n`,
      400,
    ],
    [
      "a negative chunk size",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-1\r\na\r\n0\r\n\r\n`,
      400,
    ],
    [
      "a chunk size then space",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1 \r\na\r\n0\r\n\r\n`,
      400,
    ],
    [
      "chunk data longer than its size",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n`,
      400,
    ],
    [
      "a bare LF after the chunk size",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\na\r\n0\r\n\r\n`,
      400,
    ],
    [
      "a bare LF after chunk data",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\na\n0\r\n\r\n`,
      400,
    ],
    [
      "a bare LF in a chunk extension",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1;a\nb\r\na\r\n0\r\n\r\n`,
      400,
    ],
    [
      "a bare LF in the trailers",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\n\r\n`,
      400,
    ],
    [
      "folding in the trailers",
      `POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n 2\r\n\r\n`,
      400,
    ],
    ["CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501],
    ["an expectation other than 100-continue", `GET / HTTP/1.1\r\n${H}Expect: 200-ok\r\n\r\n`, 417],
    ["a bare LF before the request line", `\nGET / HTTP/1.1\r\n${H}\r\n`, 400],
  ])("refuses %s with %s, however the bytes are split", (_what, text, status) => {
    const outcome = parseEverySplit(text);
    expect(outcome.error?.status).toBe(status);
  });

  it("refuses a request after a refused one on the same connection (the parser stays failed)", () => {
    const parser = new RequestParser({
      onHead: () => undefined,
      onBody: () => undefined,
      onEnd: () => undefined,
    });
    expect(() => parser.execute(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toThrow(RequestParseError);
    expect(() => parser.execute(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))).toThrow(
      RequestParseError,
    );
  });
});
