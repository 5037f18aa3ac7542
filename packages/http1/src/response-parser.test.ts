import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  MAX_HEAD_BYTES,
  PARSE_COMPLETE,
  PARSE_MORE,
  ResponseParseError,
  ResponseParser,
} from "./response-parser.js";

interface Parsed {
  complete: boolean;
  status: number;
  close: boolean;
  body: string;
  headers: Array<[string, string]>;
  /** Bytes of the input read when the response completed. */
  consumed: number;
}

/**
 * Feeds `text` to a fresh parser in pieces cut at `cuts` (offsets), each piece copied into a
 * reused scratch buffer as `net`'s `onread` delivers them, and reports what the parser saw.
 */
function parse(text: string, cuts: number[] = [], head = false): Parsed {
  const bytes = Buffer.from(text, "latin1");
  const headers: Array<[string, string]> = [];
  const body: Buffer[] = [];
  const parser = new ResponseParser({
    onHeader: (name, value) => headers.push([name, value]),
    onBody: (chunk, start, end) => body.push(Buffer.from(chunk.subarray(start, end))),
  });
  parser.expect(head);
  const scratch = Buffer.alloc(bytes.length + 16);
  const edges = [0, ...cuts.filter((c) => c > 0 && c < bytes.length), bytes.length];
  let complete = false;
  let consumed = 0;
  for (let i = 0; i + 1 < edges.length && !complete; i++) {
    const from = edges[i] as number;
    const to = edges[i + 1] as number;
    // Stale bytes after the piece, to catch reads past `end`.
    scratch.fill(0x5a);
    bytes.copy(scratch, 0, from, to);
    if (parser.execute(scratch, 0, to - from) === PARSE_COMPLETE) {
      complete = true;
      consumed = from + parser.consumed;
    }
  }
  if (!complete && parser.finish()) {
    complete = true;
    consumed = bytes.length;
  }
  return {
    complete,
    status: parser.status,
    close: parser.close,
    body: Buffer.concat(body).toString("latin1"),
    headers,
    consumed,
  };
}

/** Every way of cutting `text` into two pieces, and into single bytes. */
function splits(text: string): number[][] {
  const all: number[][] = [[]];
  for (let i = 1; i < text.length; i++) all.push([i]);
  all.push(Array.from({ length: text.length }, (_, i) => i));
  return all;
}

/** Parses `text` under every split of `splits` and expects the same result each time. */
function parseEverySplit(text: string, head = false): Parsed {
  const whole = parse(text, [], head);
  for (const cuts of splits(text))
    expect(parse(text, cuts, head), `cut at ${cuts.join(",")}`).toEqual(whole);
  return whole;
}

describe("ResponseParser", () => {
  it("reads a content-length response split anywhere", () => {
    const text =
      "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";
    const parsed = parseEverySplit(text);
    expect(parsed).toMatchObject({ complete: true, status: 200, close: false, body: "hello" });
    expect(parsed.consumed).toBe(text.length);
    expect(parsed.headers).toEqual([
      ["Server", "nginx"],
      ["Content-Length", "5"],
      ["Content-Type", "text/plain"],
    ]);
  });

  it("reports header values without the blanks around them, and every Connection value", () => {
    const text =
      "HTTP/1.0 200 OK\r\nA:  \t spaced \t \r\nB:\r\nC: \xa0kept\xa0\r\n" +
      "Connection:  Keep-Alive \r\nContent-Length: 2\r\n\r\nok";
    const parsed = parseEverySplit(text);
    // HTTP/1.0 with keep-alive: the connection stays open.
    expect(parsed).toMatchObject({ complete: true, status: 200, close: false, body: "ok" });
    expect(parsed.headers).toEqual([
      ["A", "spaced"],
      ["B", ""],
      // Only spaces and tabs surround a value (RFC 9110 §5.5); other bytes are its own.
      ["C", "\xa0kept\xa0"],
      ["Connection", "Keep-Alive"],
      ["Content-Length", "2"],
    ]);
    const closing = parse("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\n\r\n");
    expect(closing.close).toBe(true);
    expect(closing.headers).toEqual([["Connection", "keep-alive, Close"]]);
  });

  it("reads a chunked body with extensions and trailers split anywhere", () => {
    const text =
      "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5;name=value\r\nhello\r\n1A\r\n abcdefghijklmnopqrstuvwxy\r\n" +
      "0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n";
    const parsed = parseEverySplit(text);
    expect(parsed).toMatchObject({ complete: true, status: 201, close: false });
    expect(parsed.body).toBe("hello abcdefghijklmnopqrstuvwxy");
    expect(parsed.consumed).toBe(text.length);
  });

  it("reads a chunked body without trailers and prefers chunked over content-length", () => {
    const text =
      "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    const parsed = parseEverySplit(text);
    expect(parsed).toMatchObject({ complete: true, status: 200, body: "abc" });
    expect(parsed.consumed).toBe(text.length);
  });

  it("skips interim 1xx responses and reports the final one", () => {
    const text =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" +
      "HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno";
    const parsed = parseEverySplit(text);
    expect(parsed).toMatchObject({ complete: true, status: 404, body: "no" });
    // Headers of the interim responses are not reported as the final response's.
    expect(parsed.headers).toEqual([["Content-Length", "2"]]);
  });

  it("calls onHead once per final response, after its headers and before its body", () => {
    const text =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nA: 1\r\nContent-Length: 3\r\n\r\nabc";
    const bytes = Buffer.from(text, "latin1");
    for (const cuts of splits(text)) {
      const events: string[] = [];
      const parser = new ResponseParser({
        onHeader: (name) => events.push(name),
        onHead: (status) => events.push(`head ${status}`),
        onBody: (chunk, start, end) => events.push(`body ${end - start}`),
      });
      parser.expect(false);
      const edges = [0, ...cuts, bytes.length];
      for (let i = 0; i + 1 < edges.length; i++) {
        parser.execute(bytes.subarray(edges[i], edges[i + 1]));
      }
      const joined = events.filter((e) => !e.startsWith("body")).join(",");
      expect(joined, `cut at ${cuts.join(",")}`).toBe("A,Content-Length,head 200");
      expect(events.indexOf("head 200")).toBeLessThan(
        events.findIndex((e) => e.startsWith("body")),
      );
    }
  });

  it("hands onHeadText the final head's text and each header line's offsets, split anywhere", () => {
    // 20 header lines: more than the parser's first offsets array holds.
    const many = Array.from({ length: 20 }, (_, i) => `X-${i}:  v${i} \t\r\n`).join("");
    const head =
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: gzip, Chunked\r\n" +
      `Empty:\r\n${many}\r\n`;
    const text = `HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${head}3\r\nabc\r\n0\r\n\r\n`;
    const bytes = Buffer.from(text, "latin1");
    for (const cuts of splits(text)) {
      const seen: string[] = [];
      const parser = new ResponseParser({
        onHeadText: (h) => {
          const lines: string[] = [];
          for (let i = 0; i < h.count; i++) {
            const [start, colon, cr] = [h.lines[3 * i], h.lines[3 * i + 1], h.lines[3 * i + 2]];
            lines.push(`${h.text.slice(start, colon)}=${h.text.slice((colon as number) + 1, cr)}`);
          }
          seen.push(`${h.status} ${h.contentLength} ${h.chunked}`, h.text, lines.join("|"));
        },
        onHead: (status) => seen.push(`head ${status}`),
      });
      parser.expect(false);
      const edges = [0, ...cuts, bytes.length];
      for (let i = 0; i + 1 < edges.length; i++) {
        // A scratch buffer reused for every piece, as the pool's shared read buffer is.
        const piece = Buffer.from(bytes.subarray(edges[i], edges[i + 1]));
        parser.execute(piece);
        piece.fill(0x5a);
      }
      const expected = [
        "Content-Length= 3",
        "Transfer-Encoding= gzip, Chunked",
        "Empty=",
        ...Array.from({ length: 20 }, (_, i) => `X-${i}=  v${i} \t`),
      ];
      // Only the final response: not the 103, and once.
      expect(seen, `cut at ${cuts.join(",")}`).toEqual([
        "200 3 true",
        head,
        expected.join("|"),
        "head 200",
      ]);
    }
  });

  it("reports content-length and no chunking in onHeadText, and a head without headers", () => {
    const heads: Array<[number, number, boolean, number]> = [];
    const parser = new ResponseParser({
      onHeadText: (h) => heads.push([h.status, h.contentLength, h.chunked, h.count]),
    });
    parser.expect(false);
    parser.execute(Buffer.from("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"));
    parser.expect(true);
    parser.execute(Buffer.from("HTTP/1.1 404 Not Found\r\n\r\n"));
    expect(heads).toEqual([
      [200, 0, false, 1],
      [404, -1, false, 0],
    ]);
  });

  it("reads no body after HEAD, 204 and 304, whatever content-length says", () => {
    const head = parseEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", true);
    expect(head).toMatchObject({ complete: true, status: 200, body: "" });
    for (const status of [204, 304]) {
      const text = `HTTP/1.1 ${status} X\r\nContent-Length: 10\r\n\r\n`;
      expect(parseEverySplit(text)).toMatchObject({ complete: true, status, body: "" });
    }
    expect(parseEverySplit("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")).toMatchObject({
      complete: true,
      body: "",
    });
  });

  it("reads a body without length until the connection ends, and then must close", () => {
    const text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this";
    const parsed = parseEverySplit(text);
    expect(parsed).toMatchObject({ complete: true, status: 200, close: true, body: "all of this" });
  });

  it("says when the connection must close: connection: close, HTTP/1.0, 101", () => {
    expect(parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").close).toBe(
      true,
    );
    expect(
      parse("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, Close\r\nContent-Length: 0\r\n\r\n").close,
    ).toBe(true);
    expect(parse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").close).toBe(true);
    expect(
      parse("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").close,
    ).toBe(false);
    expect(parse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n")).toMatchObject({
      complete: true,
      status: 101,
      close: true,
    });
  });

  it("reads connection: keep-alive without callbacks too (the fast path)", () => {
    const parser = new ResponseParser();
    for (const [text, close] of [
      ["HTTP/1.0 200 OK\r\nConnection:  Keep-Alive \r\nContent-Length: 0\r\n\r\n", false],
      ["HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", true],
      ["HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", false],
      ["HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", true],
    ] as const) {
      parser.expect(false);
      expect(parser.execute(Buffer.from(text))).toBe(PARSE_COMPLETE);
      expect(parser.close, text).toBe(close);
    }
  });

  it("stops at the end of a response and says where (bytes after it are not read)", () => {
    const first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    const text = `${first}HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n`;
    for (const cuts of splits(text)) {
      const parsed = parse(text, cuts);
      expect(parsed).toMatchObject({ complete: true, status: 200, consumed: first.length });
    }
  });

  it("reads one response after another once expected again", () => {
    const parser = new ResponseParser();
    const answer = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    for (let i = 0; i < 3; i++) {
      parser.expect(false);
      expect(parser.busy).toBe(true);
      expect(parser.execute(answer)).toBe(PARSE_COMPLETE);
      expect(parser.busy).toBe(false);
    }
  });

  it("needs more bytes for an unfinished response and says whether it started", () => {
    const parser = new ResponseParser();
    parser.expect(false);
    expect(parser.started).toBe(false);
    expect(parser.execute(Buffer.from("HTTP/1.1 200 OK\r\nContent-Le"))).toBe(PARSE_MORE);
    expect(parser.started).toBe(true);
    expect(parser.finish()).toBe(false);
  });

  it.each([
    ["a status line that is not HTTP/1.x", "HTTP/2 200 OK\r\n\r\n"],
    ["a status code that is not three digits", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n"],
    ["a status code with a letter", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"],
    [
      "conflicting content-lengths",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
    ],
    ["a content-length that is not a number", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"],
    ["a header without a colon", "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n"],
    ["whitespace before the colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n"],
    ["obsolete line folding", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n"],
    ["a bare LF in the head", "HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n"],
    ["an invalid chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"],
    [
      "chunk data without its CRLF",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
    ],
  ])("rejects %s", (_what, text) => {
    for (const cuts of splits(text)) {
      expect(() => parse(text, cuts), `cut at ${cuts.join(",")}`).toThrow(ResponseParseError);
    }
  });

  it("rejects a head larger than MAX_HEAD_BYTES, fed at once or in pieces", () => {
    const text = `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(MAX_HEAD_BYTES)}\r\n`;
    expect(() => parse(text)).toThrow(/head too large/);
    const pieces = Array.from({ length: 40 }, (_, i) => i * 500);
    expect(() => parse(text, pieces)).toThrow(/head too large/);
  });

  it("rejects bytes when no response is expected", () => {
    const parser = new ResponseParser();
    expect(() => parser.execute(Buffer.from("HTTP/1.1 200 OK\r\n"))).toThrow(ResponseParseError);
  });

  it("counts a large body exactly without keeping it", () => {
    const size = 16 * 1024 * 1024;
    const parser = new ResponseParser();
    parser.expect(false);
    expect(parser.execute(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`))).toBe(
      PARSE_MORE,
    );
    const piece = Buffer.alloc(64 * 1024);
    let fed = 0;
    while (fed + piece.length < size) {
      expect(parser.execute(piece)).toBe(PARSE_MORE);
      fed += piece.length;
    }
    expect(parser.execute(piece, 0, size - fed)).toBe(PARSE_COMPLETE);
  });
});
