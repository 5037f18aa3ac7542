/**
 * An HTTP/1.1 response parser for a client that sends one request at a time on a connection: it
 * finds each response's status, its end (content-length, chunked, or end of connection), skips
 * interim 1xx responses, and says whether the connection may carry another request. Header values
 * other than the three that frame the message are not decoded (the load generator needs none);
 * `onHeader` exposes them to a caller that does.
 *
 * Bytes are fed as they arrive, split anywhere. The chunks passed in may be reused by the caller
 * afterwards: the parser copies only the part of an unfinished head it must keep.
 */

/** What went wrong in a response; the `code` is stable. */
export class ResponseParseError extends Error {
  override readonly name = "ResponseParseError";
  readonly code = "HTTP1_PARSE";

  /** A malformed response, described for a person. */
  constructor(message: string) {
    super(`invalid HTTP response: ${message}`);
  }
}

/** Optional callbacks for a caller that wants more than the status (e.g. a proxy). */
export interface ResponseCallbacks {
  /** Each header of the final (non-1xx) response, as latin1 text, before its body. */
  onHeader?(name: string, value: string): void;
  /**
   * The final response's head, decoded once, for a caller that forwards its header lines as they
   * came rather than as name/value strings. Valid only during the call; before `onHead`.
   */
  onHeadText?(head: ResponseHeadText): void;
  /** The final response's head has been read (after its last `onHeader`, before any body). */
  onHead?(status: number): void;
  /** Body bytes: `chunk[start, end)`, valid only during the call (chunked framing removed). */
  onBody?(chunk: Uint8Array, start: number, end: number): void;
}

/**
 * A final response's head as latin1 text, with its header lines located by offsets into it (no
 * string per header). The object and its `lines` are the parser's, reused by the next head.
 */
export interface ResponseHeadText {
  /** The status code. */
  readonly status: number;
  /** The head as sent: status line, header lines and the empty line, each ending with CRLF. */
  readonly text: string;
  /** How many header lines. */
  readonly count: number;
  /**
   * For header line `i`: `lines[3 * i]` is where it starts in `text`, `lines[3 * i + 1]` where its
   * colon is, and `lines[3 * i + 2]` where its CR is (the value, with blanks around it, between).
   */
  readonly lines: Int32Array;
  /** The value of content-length, or -1 when there is none. */
  readonly contentLength: number;
  /** The body is chunked (the last transfer coding is `chunked`); then content-length is moot. */
  readonly chunked: boolean;
}

/** `execute` found the end of the response (the rest of the chunk was not read). */
export const PARSE_COMPLETE = 1;
/** `execute` read the whole chunk; the response needs more bytes. */
export const PARSE_MORE = 0;

/** The largest head (status line and headers) accepted, as Node's default. */
export const MAX_HEAD_BYTES = 16 * 1024;

const CR = 13;
const LF = 10;
const COLON = 58;
const SPACE = 32;
const TAB = 9;
const SEMICOLON = 59;

const S_HEAD = 0;
const S_LENGTH = 1;
const S_CHUNK_SIZE = 2;
const S_CHUNK_EXT = 3;
const S_CHUNK_SIZE_LF = 4;
const S_CHUNK_DATA = 5;
const S_CHUNK_DATA_CR = 6;
const S_CHUNK_DATA_LF = 7;
const S_TRAILER_LINE_START = 8;
const S_TRAILER_LINE = 9;
const S_TRAILER_END_LF = 10;
const S_UNTIL_CLOSE = 11;
const S_DONE = 12;

/** Lower-case ASCII names of the framing headers, as bytes. */
const CONTENT_LENGTH = Buffer.from("content-length", "latin1");
const TRANSFER_ENCODING = Buffer.from("transfer-encoding", "latin1");
const CONNECTION = Buffer.from("connection", "latin1");
const KEEP_ALIVE = Buffer.from("keep-alive", "latin1");

/** Hex digit values, -1 for anything else. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

function lower(byte: number): number {
  return byte >= 65 && byte <= 90 ? byte | 0x20 : byte;
}

/** True when `buf[start, end)` equals the lower-case ASCII `name`, ignoring case. */
function nameIs(buf: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    if (lower(buf[start + i] as number) !== name[i]) return false;
  }
  return true;
}

/** True when `buf[start, end)`, without surrounding blanks, is the lower-case `value`, ignoring case. */
function valueIs(buf: Uint8Array, start: number, end: number, value: Uint8Array): boolean {
  let from = start;
  while (from < end && (buf[from] === SPACE || buf[from] === TAB)) from++;
  let to = end;
  while (to > from && (buf[to - 1] === SPACE || buf[to - 1] === TAB)) to--;
  return nameIs(buf, from, to, value);
}

/** True when the comma-separated list `text` has the token `token` (lower case, trimmed). */
function hasToken(text: string, token: string): boolean {
  for (const part of text.split(",")) {
    if (part.trim().toLowerCase() === token) return true;
  }
  return false;
}

/** True when the last transfer coding of the comma-separated list `text` is `chunked`. */
function lastIsChunked(text: string): boolean {
  const parts = text.split(",");
  return (parts[parts.length - 1] as string).trim().toLowerCase() === "chunked";
}

/**
 * Parses the responses of one connection, one at a time: call `expect` before each request is
 * answered, feed bytes with `execute` until it returns `PARSE_COMPLETE`, and call `finish` when
 * the connection ends (a body delimited by the end of the connection completes there).
 */
export class ResponseParser {
  /** The status code of the current response (0 until its head is read). */
  status = 0;
  /** True when the connection must not carry another request after this response. */
  close = false;

  #state: number = S_DONE;
  #noBody = false;
  #remaining = 0;
  #chunkSize = 0;
  #chunkDigits = 0;
  /** Bytes of an unfinished head kept across chunks. */
  #pending: Buffer | undefined;
  // Where the scan of the current head stands, in offsets from its first byte: a head is scanned
  // once, byte by byte, for its line ends and each line's first colon, across chunks.
  /** Bytes of the head scanned. */
  #scanned = 0;
  /** Where the line being scanned starts. */
  #lineStart = 0;
  /** The first colon of the line being scanned, or -1. */
  #colon = -1;
  /** The status line's LF, or -1 before it. */
  #statusEnd = -1;
  /** Header lines found: `#lines[3 * i]` where line `i` starts, then its first colon (or -1), its CR. */
  #count = 0;
  #lines = new Int32Array(3 * 16);
  readonly #callbacks: ResponseCallbacks | undefined;
  /** The head handed to `onHeadText`, reused (made with the parser when asked for). */
  readonly #headText: MutableHeadText | undefined;

  /** A parser; `callbacks` for callers that want headers or body bytes. */
  constructor(callbacks?: ResponseCallbacks) {
    this.#callbacks = callbacks;
    if (callbacks?.onHeadText !== undefined) {
      this.#headText = {
        status: 0,
        text: "",
        count: 0,
        lines: this.#lines,
        contentLength: -1,
        chunked: false,
      };
    }
  }

  /** Readies the parser for the answer to a request; `head` for a HEAD request (no body). */
  expect(head: boolean): void {
    this.#state = S_HEAD;
    this.#noBody = head;
    this.status = 0;
    this.close = false;
    this.#pending = undefined;
    this.#restartScan();
  }

  #restartScan(): void {
    this.#scanned = 0;
    this.#lineStart = 0;
    this.#colon = -1;
    this.#statusEnd = -1;
    this.#count = 0;
  }

  /** True while a response has been expected and not completed. */
  get busy(): boolean {
    return this.#state !== S_DONE;
  }

  /** True when some bytes of the current response have been read (its head may be partial). */
  get started(): boolean {
    return this.#state !== S_HEAD || this.#pending !== undefined;
  }

  /**
   * Reads `chunk[start, end)`. Returns `PARSE_COMPLETE` when the response ended (then `consumed`
   * says where), `PARSE_MORE` when all of it was read. Throws `ResponseParseError` on a malformed
   * response, or when bytes arrive while no response is expected.
   */
  execute(chunk: Uint8Array, start = 0, end = chunk.length): number {
    let at = start;
    while (at < end) {
      switch (this.#state) {
        case S_HEAD: {
          at = this.#readHead(chunk, at, end);
          if (at < 0) return PARSE_MORE;
          if ((this.#state as number) === S_DONE) {
            this.consumed = at;
            return PARSE_COMPLETE;
          }
          break;
        }
        case S_LENGTH: {
          const take = Math.min(this.#remaining, end - at);
          if (take > 0) this.#callbacks?.onBody?.(chunk, at, at + take);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) return this.#complete(at);
          break;
        }
        case S_UNTIL_CLOSE: {
          this.#callbacks?.onBody?.(chunk, at, end);
          at = end;
          break;
        }
        case S_CHUNK_DATA: {
          const take = Math.min(this.#remaining, end - at);
          this.#callbacks?.onBody?.(chunk, at, at + take);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = S_CHUNK_DATA_CR;
          break;
        }
        case S_DONE:
          throw new ResponseParseError("data after the end of the response");
        default: {
          const done = this.#chunkFraming(chunk[at] as number);
          at++;
          if (done) return this.#complete(at);
        }
      }
    }
    return PARSE_MORE;
  }

  /** Where the last `execute` that returned `PARSE_COMPLETE` stopped reading. */
  consumed = 0;

  /**
   * The connection ended. Returns true when that completed the response (a body delimited by the
   * end of the connection); false when the response is unfinished (the caller reports a reset).
   */
  finish(): boolean {
    if (this.#state === S_UNTIL_CLOSE) {
      this.#state = S_DONE;
      return true;
    }
    return false;
  }

  #complete(at: number): number {
    this.#state = S_DONE;
    this.#pending = undefined;
    this.consumed = at;
    return PARSE_COMPLETE;
  }

  /** One byte of chunked framing (size line, CRLF after data, trailers); true at the end. */
  #chunkFraming(byte: number): boolean {
    switch (this.#state) {
      case S_CHUNK_SIZE: {
        const digit = HEX[byte] as number;
        if (digit >= 0) {
          if (++this.#chunkDigits > 12) throw new ResponseParseError("chunk size too large");
          this.#chunkSize = this.#chunkSize * 16 + digit;
          return false;
        }
        if (this.#chunkDigits === 0) throw new ResponseParseError("invalid chunk size");
        if (byte === CR) this.#state = S_CHUNK_SIZE_LF;
        else if (byte === SEMICOLON || byte === SPACE || byte === TAB) this.#state = S_CHUNK_EXT;
        else throw new ResponseParseError("invalid chunk size");
        return false;
      }
      case S_CHUNK_EXT:
        if (byte === CR) this.#state = S_CHUNK_SIZE_LF;
        else if (byte === LF) throw new ResponseParseError("bare LF in chunk size line");
        return false;
      case S_CHUNK_SIZE_LF:
        if (byte !== LF) throw new ResponseParseError("expected LF after chunk size");
        if (this.#chunkSize === 0) {
          this.#state = S_TRAILER_LINE_START;
        } else {
          this.#remaining = this.#chunkSize;
          this.#state = S_CHUNK_DATA;
        }
        return false;
      case S_CHUNK_DATA_CR:
        if (byte !== CR) throw new ResponseParseError("expected CRLF after chunk data");
        this.#state = S_CHUNK_DATA_LF;
        return false;
      case S_CHUNK_DATA_LF:
        if (byte !== LF) throw new ResponseParseError("expected CRLF after chunk data");
        this.#chunkSize = 0;
        this.#chunkDigits = 0;
        this.#state = S_CHUNK_SIZE;
        return false;
      case S_TRAILER_LINE_START:
        if (byte === CR) this.#state = S_TRAILER_END_LF;
        else if (byte === LF) throw new ResponseParseError("bare LF in trailers");
        else this.#state = S_TRAILER_LINE;
        return false;
      case S_TRAILER_LINE:
        if (byte === LF) this.#state = S_TRAILER_LINE_START;
        return false;
      case S_TRAILER_END_LF:
        if (byte !== LF) throw new ResponseParseError("expected LF after trailers");
        return true;
      default:
        throw new ResponseParseError("internal state");
    }
  }

  /**
   * Reads head bytes from `chunk[at, end)`. Returns the offset after the head when the whole head
   * is there (and sets up the body state), -1 when it needs more bytes (kept in `#pending`).
   */
  #readHead(chunk: Uint8Array, at: number, end: number): number {
    const pending = this.#pending;
    let buf: Uint8Array = chunk;
    let start = at;
    let stop = end;
    if (pending !== undefined) {
      // The scan goes on where it stopped, in the kept bytes joined with the new ones.
      buf = Buffer.concat([pending, chunk.subarray(at, end)]);
      start = 0;
      stop = buf.length;
    }
    const headEnd = this.#scanHead(buf, start, start + this.#scanned, stop);
    if (headEnd < 0) {
      if (stop - start > MAX_HEAD_BYTES) throw new ResponseParseError("head too large");
      this.#pending =
        pending === undefined ? Buffer.from(chunk.subarray(at, end)) : (buf as Buffer);
      this.#scanned = stop - start;
      return -1;
    }
    this.#pending = undefined;
    if (headEnd - start > MAX_HEAD_BYTES) throw new ResponseParseError("head too large");
    this.#parseHead(buf, start, headEnd);
    this.#restartScan();
    // The offset in `chunk` just after the head.
    return pending === undefined ? headEnd : at + (headEnd - pending.length);
  }

  /**
   * Scans `buf[from, end)` of the head that starts at `start`: records each header line's start,
   * first colon and CR, and returns the offset just after the empty line that ends the head, or
   * -1 when the bytes run out first (where the scan stands is kept for the next call).
   */
  #scanHead(buf: Uint8Array, start: number, from: number, end: number): number {
    let lineStart = this.#lineStart;
    let colon = this.#colon;
    for (let at = from; at < end; at++) {
      const byte = buf[at];
      if (byte === COLON) {
        if (colon < 0) colon = at - start;
        continue;
      }
      if (byte !== LF) continue;
      const offset = at - start;
      const statusLine = this.#statusEnd < 0;
      if (offset === 0 || buf[at - 1] !== CR) {
        throw new ResponseParseError(statusLine ? "bare LF in status line" : "bare LF in header");
      }
      if (statusLine) this.#statusEnd = offset;
      else if (offset === lineStart + 1)
        return at + 1; // the empty line
      else this.#addLine(lineStart, colon, offset - 1);
      lineStart = offset + 1;
      colon = -1;
    }
    this.#lineStart = lineStart;
    this.#colon = colon;
    return -1;
  }

  #addLine(start: number, colon: number, cr: number): void {
    let lines = this.#lines;
    const at = 3 * this.#count;
    if (at + 3 > lines.length) {
      lines = new Int32Array(lines.length * 2);
      lines.set(this.#lines);
      this.#lines = lines;
      if (this.#headText !== undefined) this.#headText.lines = lines;
    }
    lines[at] = start;
    lines[at + 1] = colon;
    lines[at + 2] = cr;
    this.#count++;
  }

  /** Parses the head in `buf[start, end)` (`end` just after its empty line), its lines scanned. */
  #parseHead(buf: Uint8Array, start: number, end: number): void {
    // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF
    if (
      this.#statusEnd < 13 ||
      buf[start] !== 72 || // H
      buf[start + 1] !== 84 ||
      buf[start + 2] !== 84 ||
      buf[start + 3] !== 80 ||
      buf[start + 4] !== 47 || // /
      buf[start + 5] !== 49 || // 1
      buf[start + 6] !== 46 ||
      buf[start + 8] !== SPACE
    ) {
      throw new ResponseParseError("expected an HTTP/1.x status line");
    }
    const minor = (buf[start + 7] as number) - 48;
    if (minor !== 0 && minor !== 1) throw new ResponseParseError("expected HTTP/1.0 or HTTP/1.1");
    const d0 = (buf[start + 9] as number) - 48;
    const d1 = (buf[start + 10] as number) - 48;
    const d2 = (buf[start + 11] as number) - 48;
    if (d0 < 1 || d0 > 9 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
      throw new ResponseParseError("invalid status code");
    }
    const after = buf[start + 12] as number;
    if (after !== SPACE && after !== CR) throw new ResponseParseError("invalid status code");
    const status = d0 * 100 + d1 * 10 + d2;

    let contentLength = -1;
    let chunked = false;
    let close = minor === 0;
    const interim = status < 200;
    // Headers are reported (of final responses only) when the caller asked for them, as slices of
    // the head decoded once (one native call per head rather than two per header), or as the
    // head's text with the offsets of its lines.
    const callbacks =
      interim || this.#callbacks?.onHeader === undefined ? undefined : this.#callbacks;
    const headText = interim ? undefined : this.#headText;
    const text = callbacks === undefined && headText === undefined ? "" : latin1(buf, start, end);
    // The header lines the scan found.
    const lines = this.#lines;
    const count = this.#count;
    for (let i = 0; i < 3 * count; i += 3) {
      const line = start + (lines[i] as number);
      const colon = start + (lines[i + 1] as number);
      const cr = start + (lines[i + 2] as number);
      const first = buf[line] as number;
      if (first === SPACE || first === TAB) throw new ResponseParseError("obsolete line folding");
      // A line without a colon has -1 for it: before the line.
      if (colon <= line) throw new ResponseParseError("header without name");
      if (buf[colon - 1] === SPACE || buf[colon - 1] === TAB) {
        throw new ResponseParseError("whitespace before colon");
      }
      if (!interim) {
        const isLength = nameIs(buf, line, colon, CONTENT_LENGTH);
        const isEncoding = !isLength && nameIs(buf, line, colon, TRANSFER_ENCODING);
        const isConnection = !isLength && !isEncoding && nameIs(buf, line, colon, CONNECTION);
        if (isLength) {
          const length = parseLength(buf, colon + 1, cr);
          if (contentLength >= 0 && contentLength !== length) {
            throw new ResponseParseError("conflicting content-length");
          }
          contentLength = length;
        } else if (isConnection && valueIs(buf, colon + 1, cr, KEEP_ALIVE)) {
          // The common answer, read without splitting it into tokens.
          if (minor === 0) close = false;
          callbacks?.onHeader?.(
            text.slice(line - start, colon - start),
            valueText(buf, colon + 1, cr, text, start),
          );
        } else if (isEncoding || isConnection || callbacks) {
          const value = valueText(buf, colon + 1, cr, text, start);
          if (isEncoding) chunked = lastIsChunked(value);
          else if (isConnection) {
            if (hasToken(value, "close")) close = true;
            else if (minor === 0 && hasToken(value, "keep-alive")) close = false;
          }
          callbacks?.onHeader?.(text.slice(line - start, colon - start), value);
        }
        if (isLength)
          callbacks?.onHeader?.(text.slice(line - start, colon - start), String(contentLength));
      }
    }

    this.status = status;
    if (interim) {
      if (status === 101) {
        // Switching protocols: the connection is no longer HTTP; the response ends here.
        this.close = true;
        this.#state = S_DONE;
        return;
      }
      this.#state = S_HEAD;
      return;
    }
    this.close = close;
    if (headText !== undefined) {
      headText.status = status;
      headText.text = text;
      headText.count = count;
      headText.contentLength = contentLength;
      headText.chunked = chunked;
      this.#callbacks?.onHeadText?.(headText);
    }
    this.#callbacks?.onHead?.(status);
    if (this.#noBody || status === 204 || status === 304) {
      this.#state = S_DONE;
    } else if (chunked) {
      this.#chunkSize = 0;
      this.#chunkDigits = 0;
      this.#state = S_CHUNK_SIZE;
    } else if (contentLength >= 0) {
      this.#remaining = contentLength;
      this.#state = contentLength === 0 ? S_DONE : S_LENGTH;
    } else {
      this.close = true;
      this.#state = S_UNTIL_CLOSE;
    }
  }
}

/** The parser's own, writable view of a `ResponseHeadText`. */
type MutableHeadText = { -readonly [K in keyof ResponseHeadText]: ResponseHeadText[K] };

/**
 * A header's value in `buf[start, end)` without the blanks around it: a slice of `text` (the head
 * decoded from `buf[textStart...]`) when there is one, else decoded on its own.
 */
function valueText(
  buf: Uint8Array,
  start: number,
  end: number,
  text: string,
  textStart: number,
): string {
  let from = start;
  while (from < end && (buf[from] === SPACE || buf[from] === TAB)) from++;
  let to = end;
  while (to > from && (buf[to - 1] === SPACE || buf[to - 1] === TAB)) to--;
  return text === "" ? latin1(buf, from, to) : text.slice(from - textStart, to - textStart);
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  // A Buffer decodes in place; a plain Uint8Array needs a Buffer view first.
  if (Buffer.isBuffer(buf)) return buf.toString("latin1", start, end);
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1");
}

/** Parses a content-length value in `buf[start, end)` (optional whitespace around digits). */
function parseLength(buf: Uint8Array, start: number, end: number): number {
  let at = start;
  while (at < end && (buf[at] === SPACE || buf[at] === TAB)) at++;
  let stop = end;
  while (stop > at && (buf[stop - 1] === SPACE || buf[stop - 1] === TAB)) stop--;
  if (stop === at || stop - at > 15) throw new ResponseParseError("invalid content-length");
  let value = 0;
  for (let i = at; i < stop; i++) {
    const digit = (buf[i] as number) - 48;
    if (digit < 0 || digit > 9) throw new ResponseParseError("invalid content-length");
    value = value * 10 + digit;
  }
  return value;
}
