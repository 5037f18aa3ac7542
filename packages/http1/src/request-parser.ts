/**
 * A strict HTTP/1.1 request parser for a server in front of other servers (a proxy), where a
 * message two parsers could frame differently is an attack (request smuggling): anything RFC 9112
 * lets a recipient reject, it rejects, with the status to answer and a reason. Refused: Content-Length
 * together with Transfer-Encoding, repeated Content-Length, a Transfer-Encoding other than exactly
 * `chunked` (and any on HTTP/1.0), obsolete line folding, bare LF, whitespace before a colon,
 * characters outside a header name's token or a value's visible characters, a missing or repeated
 * Host on HTTP/1.1, heads over 16 KiB, chunk sizes over 12 hex digits, bytes after a chunk's data
 * other than CRLF.
 *
 * Bytes are fed as they arrive, split anywhere; `execute` stops at the end of each message, so a
 * server answers pipelined requests one at a time, in order.
 */

/** A request refused; `status` is the answer to send before closing the connection. */
export class RequestParseError extends Error {
  override readonly name = "RequestParseError";
  readonly code = "HTTP1_REQUEST_INVALID";
  /** 400, 431 (head too large) or 501 (a transfer coding other than chunked, CONNECT). */
  readonly status: number;

  /** A malformed or refused request, described for a person. */
  constructor(message: string, status = 400) {
    super(message);
    this.status = status;
  }
}

/** A request's head, as the parser read it. */
export interface RequestHead {
  /** The method, as sent (case-sensitive, a token). */
  method: string;
  /** The request target, as sent (visible ASCII). */
  target: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: number;
  /** Headers as a flat `[name, value, ...]` list, names in lower case, values trimmed. */
  headers: string[];
  /** How the body is framed: none, by content-length, or chunked. */
  body: "none" | "length" | "chunked";
  /** The content-length (0 when the body is not framed by one). */
  contentLength: number;
  /** The connection may carry another request after this one (HTTP/1.0 and 1.1 rules). */
  keepAlive: boolean;
  /** `Expect: 100-continue` was sent (any other expectation is refused with 417). */
  expectContinue: boolean;
}

/** What the parser reports, in order: a head, its body bytes, the end of the message. */
export interface RequestCallbacks {
  /** A request's head was read. */
  onHead(head: RequestHead): void;
  /** Body bytes, framing removed: `chunk[start, end)`, valid only during the call. */
  onBody(chunk: Uint8Array, start: number, end: number): void;
  /** The message (head and body) is complete. */
  onEnd(): void;
}

/** The largest request head (request line and headers) accepted, as Node's default. */
export const MAX_REQUEST_HEAD_BYTES = 16 * 1024;

const CR = 13;
const LF = 10;
const COLON = 58;
const SPACE = 32;
const TAB = 9;
const SEMICOLON = 59;

/** RFC 9110 tchar. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TOKEN[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN[c] = 1;
for (let c = 97; c <= 122; c++) TOKEN[c] = 1;
/** A field value's characters: HTAB, SP, visible ASCII, obs-text. */
const VALUE = new Uint8Array(256);
VALUE[TAB] = 1;
for (let c = 32; c <= 126; c++) VALUE[c] = 1;
for (let c = 128; c <= 255; c++) VALUE[c] = 1;
/** A request target's characters: visible ASCII. */
const TARGET = new Uint8Array(256);
for (let c = 33; c <= 126; c++) TARGET[c] = 1;

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_EXT = 3;
const S_CHUNK_SIZE_LF = 4;
const S_CHUNK_DATA = 5;
const S_CHUNK_DATA_CR = 6;
const S_CHUNK_DATA_LF = 7;
const S_TRAILER = 8;
/** A message ended: `execute` returned; the next call starts the next message. */
const S_BETWEEN = 9;
/** An error was thrown: the connection is done. */
const S_FAILED = 10;

/** The most bytes of chunk extensions and trailers read per message. */
const MAX_FRAMING_BYTES = 16 * 1024;

/** `execute` found the end of a message; `consumed` says where it stopped. */
export const REQUEST_COMPLETE = 1;
/** `execute` read all it was given; the message needs more bytes. */
export const REQUEST_MORE = 0;

/** Parses the requests of one connection, one message per `execute` that returns `REQUEST_COMPLETE`. */
export class RequestParser {
  /** Where the last `execute` that returned `REQUEST_COMPLETE` stopped reading. */
  consumed = 0;

  #state: number = S_HEAD;
  /** Head bytes kept across chunks. */
  #pending: Buffer | undefined;
  /** For a head split across chunks: the state of the CRLF search at the end of `#pending`. */
  #remaining = 0;
  #chunkSize = 0;
  #chunkDigits = 0;
  #framingBytes = 0;
  /** Bytes of the current trailer line (0 at its start). */
  #trailerLine = 0;
  #trailerCr = false;
  readonly #callbacks: RequestCallbacks;

  /** A parser reporting to `callbacks`. */
  constructor(callbacks: RequestCallbacks) {
    this.#callbacks = callbacks;
  }

  /** True while a message has started and not ended (bytes of it have been read). */
  get inMessage(): boolean {
    return (this.#state !== S_HEAD && this.#state !== S_BETWEEN) || this.#pending !== undefined;
  }

  /**
   * Reads `chunk[start, end)`. Returns `REQUEST_COMPLETE` when a message ended (then `consumed`
   * says where; call again with the rest for the next one), `REQUEST_MORE` when all was read.
   * Throws `RequestParseError` on a request to refuse; the parser is unusable afterwards.
   */
  execute(chunk: Uint8Array, start = 0, end = chunk.length): number {
    if (this.#state === S_FAILED) throw new RequestParseError("the connection already failed");
    if (this.#state === S_BETWEEN) this.#state = S_HEAD;
    try {
      return this.#run(chunk, start, end);
    } catch (error) {
      this.#state = S_FAILED;
      throw error;
    }
  }

  #run(chunk: Uint8Array, start: number, end: number): number {
    let at = start;
    while (at < end) {
      switch (this.#state) {
        case S_HEAD: {
          at = this.#readHead(chunk, at, end);
          if (at < 0) return REQUEST_MORE;
          if ((this.#state as number) === S_BETWEEN) return this.#complete(at);
          break;
        }
        case S_LENGTH: {
          const take = Math.min(this.#remaining, end - at);
          this.#callbacks.onBody(chunk, at, at + take);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) {
            this.#state = S_BETWEEN;
            return this.#complete(at);
          }
          break;
        }
        case S_CHUNK_DATA: {
          const take = Math.min(this.#remaining, end - at);
          this.#callbacks.onBody(chunk, at, at + take);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = S_CHUNK_DATA_CR;
          break;
        }
        default: {
          const done = this.#chunkFraming(chunk[at] as number);
          at++;
          if (done) {
            this.#state = S_BETWEEN;
            return this.#complete(at);
          }
        }
      }
    }
    return REQUEST_MORE;
  }

  #complete(at: number): number {
    this.consumed = at;
    this.#callbacks.onEnd();
    return REQUEST_COMPLETE;
  }

  /** One byte of chunked framing; true at the end of the message. */
  #chunkFraming(byte: number): boolean {
    switch (this.#state) {
      case S_CHUNK_SIZE: {
        const digit = HEX[byte] as number;
        if (digit >= 0) {
          if (++this.#chunkDigits > 12) throw new RequestParseError("chunk size too large");
          this.#chunkSize = this.#chunkSize * 16 + digit;
          return false;
        }
        if (this.#chunkDigits === 0) throw new RequestParseError("invalid chunk size");
        if (byte === CR) this.#state = S_CHUNK_SIZE_LF;
        else if (byte === SEMICOLON) this.#state = S_CHUNK_EXT;
        else throw new RequestParseError("invalid chunk size");
        return false;
      }
      case S_CHUNK_EXT:
        if (++this.#framingBytes > MAX_FRAMING_BYTES) {
          throw new RequestParseError("chunk extensions too large");
        }
        if (byte === CR) this.#state = S_CHUNK_SIZE_LF;
        else if (VALUE[byte] !== 1) throw new RequestParseError("invalid chunk extension");
        return false;
      case S_CHUNK_SIZE_LF:
        if (byte !== LF) throw new RequestParseError("expected LF after chunk size");
        if (this.#chunkSize === 0) {
          this.#state = S_TRAILER;
          this.#trailerLine = 0;
          this.#trailerCr = false;
        } else {
          this.#remaining = this.#chunkSize;
          this.#state = S_CHUNK_DATA;
        }
        return false;
      case S_CHUNK_DATA_CR:
        if (byte !== CR) throw new RequestParseError("expected CRLF after chunk data");
        this.#state = S_CHUNK_DATA_LF;
        return false;
      case S_CHUNK_DATA_LF:
        if (byte !== LF) throw new RequestParseError("expected CRLF after chunk data");
        this.#chunkSize = 0;
        this.#chunkDigits = 0;
        this.#state = S_CHUNK_SIZE;
        return false;
      case S_TRAILER:
        // Trailer fields are read and dropped (never forwarded), each line checked for framing.
        if (++this.#framingBytes > MAX_FRAMING_BYTES)
          throw new RequestParseError("trailers too large");
        if (this.#trailerCr) {
          if (byte !== LF) throw new RequestParseError("bare CR in trailers");
          this.#trailerCr = false;
          if (this.#trailerLine === 0) return true; // the empty line ends the message
          this.#trailerLine = 0;
          return false;
        }
        if (byte === CR) {
          this.#trailerCr = true;
          return false;
        }
        if (byte === LF) throw new RequestParseError("bare LF in trailers");
        if (this.#trailerLine === 0 && (byte === SPACE || byte === TAB)) {
          throw new RequestParseError("obsolete line folding in trailers");
        }
        if (VALUE[byte] !== 1) throw new RequestParseError("invalid character in trailers");
        this.#trailerLine++;
        return false;
      default:
        throw new RequestParseError("internal state");
    }
  }

  /**
   * Reads head bytes from `chunk[at, end)`. Returns the offset after the head when it is all there
   * (and sets up the body), -1 when it needs more bytes (kept in `#pending`).
   */
  #readHead(chunk: Uint8Array, at: number, end: number): number {
    let from = at;
    // Empty lines before a request line are ignored (RFC 9112 §2.2), between pipelined requests.
    if (this.#pending === undefined) {
      while (from + 1 < end && chunk[from] === CR && chunk[from + 1] === LF) from += 2;
      if (from === end) return -1;
      if (from + 1 === end && chunk[from] === CR) {
        this.#pending = Buffer.from([CR]);
        return -1;
      }
    }
    const pending = this.#pending;
    let buf: Uint8Array = chunk;
    let headStart = from;
    let scanFrom = from;
    let limit = end;
    if (pending !== undefined) {
      const joined = Buffer.concat([pending, chunk.subarray(from, end)]);
      buf = joined;
      headStart = 0;
      scanFrom = Math.max(0, pending.length - 3);
      limit = joined.length;
      if (pending.length === 1 && pending[0] === CR && joined[1] === LF) {
        // An empty line split across chunks.
        this.#pending = undefined;
        return from + 1;
      }
    }
    const headEnd = findHeadEnd(buf, headStart, scanFrom, limit);
    if (headEnd < 0) {
      if (limit - headStart > MAX_REQUEST_HEAD_BYTES) {
        throw new RequestParseError("request head too large", 431);
      }
      this.#pending = Buffer.from(buf.subarray(headStart, limit));
      return -1;
    }
    if (headEnd - headStart > MAX_REQUEST_HEAD_BYTES) {
      throw new RequestParseError("request head too large", 431);
    }
    this.#pending = undefined;
    this.#parseHead(buf, headStart, headEnd);
    return pending === undefined ? headEnd : from + (headEnd - pending.length);
  }

  /** Parses the head in `buf[start, end)` (`end` just after its CRLFCRLF) and reports it. */
  #parseHead(buf: Uint8Array, start: number, end: number): void {
    // The head decoded once; the method, target, names and values are slices of it (one native
    // call per head rather than two per header).
    const text = latin1(buf, start, end);
    // Request line: method SP target SP HTTP/1.x CRLF
    let at = start;
    while (TOKEN[buf[at] as number] === 1) at++;
    if (at === start || buf[at] !== SPACE) throw new RequestParseError("invalid method");
    const method = text.slice(0, at - start);
    const targetStart = ++at;
    while (TARGET[buf[at] as number] === 1) at++;
    if (at === targetStart || buf[at] !== SPACE)
      throw new RequestParseError("invalid request target");
    const target = text.slice(targetStart - start, at - start);
    at++;
    if (
      buf[at] !== 72 || // H
      buf[at + 1] !== 84 ||
      buf[at + 2] !== 84 ||
      buf[at + 3] !== 80 ||
      buf[at + 4] !== 47 || // /
      buf[at + 5] !== 49 || // 1
      buf[at + 6] !== 46 ||
      (buf[at + 7] !== 48 && buf[at + 7] !== 49) ||
      buf[at + 8] !== CR ||
      buf[at + 9] !== LF
    ) {
      throw new RequestParseError("expected HTTP/1.0 or HTTP/1.1");
    }
    const minor = (buf[at + 7] as number) - 48;
    at += 10;

    const headers: string[] = [];
    let contentLength = -1;
    let transferEncoding: string | undefined;
    let hosts = 0;
    let connection: string | undefined;
    let expect: string | undefined;
    while (at < end - 2) {
      const first = buf[at] as number;
      if (first === SPACE || first === TAB) throw new RequestParseError("obsolete line folding");
      const nameStart = at;
      while (TOKEN[buf[at] as number] === 1) at++;
      if (at === nameStart) throw new RequestParseError("invalid header name");
      if (buf[at] !== COLON) throw new RequestParseError("invalid header name");
      const name = text.slice(nameStart - start, at - start).toLowerCase();
      at++;
      while (buf[at] === SPACE || buf[at] === TAB) at++;
      const valueStart = at;
      while (VALUE[buf[at] as number] === 1) at++;
      if (buf[at] !== CR || buf[at + 1] !== LF) throw new RequestParseError("invalid header value");
      let valueEnd = at;
      while (valueEnd > valueStart && (buf[valueEnd - 1] === SPACE || buf[valueEnd - 1] === TAB)) {
        valueEnd--;
      }
      const value = text.slice(valueStart - start, valueEnd - start);
      at += 2;
      headers.push(name, value);
      switch (name) {
        case "content-length":
          if (contentLength >= 0) throw new RequestParseError("repeated content-length");
          contentLength = parseLength(value);
          break;
        case "transfer-encoding":
          transferEncoding =
            transferEncoding === undefined ? value : `${transferEncoding},${value}`;
          break;
        case "host":
          hosts++;
          break;
        case "connection":
          connection = connection === undefined ? value : `${connection},${value}`;
          break;
        case "expect":
          expect = expect === undefined ? value : `${expect},${value}`;
          break;
      }
    }

    if (minor === 1 && hosts !== 1) {
      throw new RequestParseError(hosts === 0 ? "missing host" : "repeated host");
    }
    if (hosts > 1) throw new RequestParseError("repeated host");
    let body: RequestHead["body"] = "none";
    if (transferEncoding !== undefined) {
      if (contentLength >= 0) throw new RequestParseError("content-length with transfer-encoding");
      if (minor === 0) throw new RequestParseError("transfer-encoding in an HTTP/1.0 request");
      if (transferEncoding.trim().toLowerCase() !== "chunked") {
        throw new RequestParseError(`transfer-encoding ${transferEncoding} is not supported`, 501);
      }
      body = "chunked";
    } else if (contentLength > 0) body = "length";
    if (method === "CONNECT") throw new RequestParseError("CONNECT is not supported", 501);

    let keepAlive = minor === 1;
    if (connection !== undefined) {
      const tokens = connection.toLowerCase().split(",");
      let close = false;
      for (const token of tokens) {
        const t = token.trim();
        if (t === "close") close = true;
        else if (t === "keep-alive" && minor === 0) keepAlive = true;
      }
      if (close) keepAlive = false;
    }
    let expectContinue = false;
    if (expect !== undefined) {
      if (expect.trim().toLowerCase() !== "100-continue") {
        throw new RequestParseError(`expectation ${expect} is not supported`, 417);
      }
      expectContinue = minor === 1;
    }

    if (body === "chunked") {
      this.#chunkSize = 0;
      this.#chunkDigits = 0;
      this.#framingBytes = 0;
      this.#state = S_CHUNK_SIZE;
    } else if (body === "length") {
      this.#remaining = contentLength;
      this.#state = S_LENGTH;
    } else this.#state = S_BETWEEN;
    this.#callbacks.onHead({
      method,
      target,
      minor,
      headers,
      body,
      contentLength: contentLength > 0 ? contentLength : 0,
      keepAlive,
      expectContinue,
    });
  }
}

/**
 * The offset just after the first CRLFCRLF of the head starting at `start`, searched from `from`
 * up to `end`, or -1. A LF not after a CR is refused at once (a bare-LF head would never end).
 */
function findHeadEnd(buf: Uint8Array, start: number, from: number, end: number): number {
  for (let at = from; at < end; at++) {
    if (buf[at] !== LF) continue;
    if (at === start || buf[at - 1] !== CR) throw new RequestParseError("bare LF in request head");
    if (at - 3 >= start && buf[at - 2] === LF && buf[at - 3] === CR) return at + 1;
  }
  return -1;
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  if (Buffer.isBuffer(buf)) return buf.toString("latin1", start, end);
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
}

/** A content-length value: 1 to 15 digits, nothing else (no sign, no list). */
function parseLength(value: string): number {
  if (value.length === 0 || value.length > 15)
    throw new RequestParseError("invalid content-length");
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const digit = value.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) throw new RequestParseError("invalid content-length");
    n = n * 10 + digit;
  }
  return n;
}
