// The proxy's client side on plain `net` sockets: requests read by @iter8/http1's strict parser
// (a refused request is answered 400/431/501/417 and its connection closed), one exchange at a
// time per connection (pipelined requests wait, answered in order), answers written with their
// head and body gathered into one write where they arrive together. Reads of every client
// connection land in one buffer (see `adoptAccepted`).
import { Buffer } from "node:buffer";
import { STATUS_CODES } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { createServer, Socket } from "node:net";
import type { Server } from "node:net";
import { REQUEST_COMPLETE, RequestParseError, RequestParser } from "@iter8/http1";
import type { RequestHead } from "@iter8/http1";

/** Bytes of pipelined requests read ahead while an answer is pending, before reading stops. */
const READ_AHEAD_BYTES = 64 * 1024;
/** A connection with no request in flight closes after this long (as the node:http server did). */
const IDLE_TIMEOUT_MS = 65_000;
/** A request head must arrive within this long of its first byte (slow-loris). */
const HEAD_TIMEOUT_MS = 60_000;
/** How often idle and head timeouts are checked, and how stale `ClientServer.tick` can be. */
const SWEEP_MS = 5_000;
const LAST_CHUNK = "0\r\n\r\n";
/** Body pieces up to this size are gathered with the head into one write; larger ones go as they are. */
const GATHER_BYTES = 16 * 1024;
/**
 * Reads of every client connection in a thread land in this one buffer: no buffer is allocated per
 * read. Safe because each read is parsed before the next, and what must outlive a read (request
 * body bytes, pipelined requests read ahead) is copied.
 */
let sharedReadBuffer: Buffer | undefined;
const READ_BUFFER_BYTES = 64 * 1024;

/** What `net`'s `onread` option takes: the buffer reads land in, and where they go. */
interface OnRead {
  buffer: Uint8Array;
  callback: (bytes: number, buffer: Uint8Array) => boolean;
}

/** A socket `net.Server` accepted, as far as moving its handle goes (Node's own fields). */
interface AcceptedSocket {
  _handle: { readStart?: unknown } | null;
}

/**
 * A socket reading the connection `accepted` holds through `onread`, or undefined where this Node
 * does not allow it (the caller then reads `accepted` as a stream).
 *
 * `net.Server` has no `onread` option (`net.connect` has), and a stream read costs an allocated
 * buffer and a 'data' event per read: 11% of the proxy's CPU per request in front of the bench's
 * Node upstream (apps/bench README). So the accepted connection's handle, not yet reading
 * (`pauseOnConnect`), moves to a socket made with `onread`, as `net.Server` makes its own: Node's
 * `handle` option, stable since Node 12. `accepted` stays open without a handle until the new
 * socket closes, so the server still counts the connection (its `close` waits for it).
 */
export function adoptAccepted(accepted: Socket, onread: OnRead): Socket | undefined {
  const holder = accepted as unknown as AcceptedSocket;
  const handle = holder._handle;
  if (handle === null || typeof handle !== "object" || typeof handle.readStart !== "function") {
    return undefined;
  }
  holder._handle = null;
  const options = { handle, onread, allowHalfOpen: false };
  const socket = new Socket(options);
  socket.once("close", () => accepted.destroy());
  return socket;
}

/** Status lines made so far, by status code. */
const statusLines: string[] = [];

/** `HTTP/1.1 <status> <reason>` and its CRLF. */
function statusLine(status: number): string {
  let line = statusLines[status];
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Unknown"}\r\n`;
    if (status >= 100 && status < 1000) statusLines[status] = line;
  }
  return line;
}

/** One request from a client and the answer to it. */
export class ClientExchange {
  /** The request's head as parsed. */
  readonly head: RequestHead;
  /** The client's address. */
  readonly remoteAddress: string | undefined;
  /** Set when the whole request body has been read. */
  complete = false;
  /** Set once the answer's head has been written (or queued). */
  headersSent = false;
  /** Set once the whole answer has been handed to the socket. */
  finished = false;
  /** Set when the client's connection is gone (or was closed) before the answer finished. */
  destroyed = false;
  /** Request body bytes (a copy: the caller may keep it). */
  onBody: ((chunk: Buffer) => void) | undefined;
  /** The request body is complete. */
  onBodyEnd: (() => void) | undefined;
  /** The client's socket took what was written (after `write` returned false). */
  onDrain: (() => void) | undefined;
  /** The client went away, or the connection was closed, before the answer finished. */
  onAbort: (() => void) | undefined;

  #headers: IncomingHttpHeaders | undefined;
  /** Bytes of the answer gathered for one write (latin1 text). */
  #out = "";
  /** How the answer's body is framed once its head is written. */
  #framing: "length" | "chunked" | "close" | "none" = "none";
  readonly #connection: ClientConnection;

  /** @internal */
  constructor(connection: ClientConnection, head: RequestHead, remoteAddress: string | undefined) {
    this.#connection = connection;
    this.head = head;
    this.remoteAddress = remoteAddress;
  }

  /** The request's headers as an object (lower-case names; repeats joined as node:http does). */
  get headers(): IncomingHttpHeaders {
    if (this.#headers !== undefined) return this.#headers;
    const out: Record<string, string | string[]> = {};
    const list = this.head.headers;
    for (let i = 0; i < list.length; i += 2) {
      const name = list[i] as string;
      const value = list[i + 1] as string;
      const prior = out[name];
      if (name === "set-cookie") {
        if (prior === undefined) out[name] = [value];
        else (prior as string[]).push(value);
      } else if (prior === undefined) out[name] = value;
      else out[name] = `${prior as string}${name === "cookie" ? "; " : ", "}${value}`;
    }
    this.#headers = out;
    return out;
  }

  /** Stops reading the request body (its upstream cannot take more yet). */
  pause(): void {
    this.#connection.socket.pause();
  }

  /** Reads the request body again. */
  resume(): void {
    this.#connection.socket.resume();
  }

  /**
   * Writes the answer's head: `headers` a flat list without framing headers but content-length,
   * which frames the body when present; otherwise the body is chunked (or, for an HTTP/1.0
   * client, delimited by closing the connection).
   */
  writeHead(status: number, headers: string[]): void {
    let lines = "";
    let length = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.length === 14 && name.toLowerCase() === "content-length") length = true;
      lines += `${name}: ${headers[i + 1] as string}\r\n`;
    }
    this.writeHeadLines(status, lines, length);
  }

  /**
   * Writes the answer's head from its header `lines` as text, each ending with CRLF: no framing
   * headers among them but content-length, whose presence `length` tells (it frames the body;
   * otherwise the body is chunked, or for an HTTP/1.0 client delimited by closing the connection).
   */
  writeHeadLines(status: number, lines: string, length: boolean): void {
    if (this.headersSent || this.destroyed) return;
    this.headersSent = true;
    const connection = this.#connection;
    let head = statusLine(status) + lines;
    const bodyless = this.head.method === "HEAD" || status === 204 || status === 304;
    if (bodyless) this.#framing = "none";
    else if (length) this.#framing = "length";
    else if (this.head.minor === 1) {
      this.#framing = "chunked";
      head += "transfer-encoding: chunked\r\n";
    } else {
      this.#framing = "close";
      connection.keepAlive = false;
    }
    if (!connection.keepAlive || connection.draining) {
      connection.keepAlive = false;
      head += "connection: close\r\n";
    } else if (this.head.minor === 0) head += "connection: keep-alive\r\n";
    this.#out = `${head}\r\n`;
  }

  /**
   * Writes what `writeHead` and small `write`s have gathered (one write for a small answer);
   * false when the caller should wait for `onDrain`.
   */
  flush(): boolean {
    if (this.#out === "" || this.destroyed) return !this.destroyed;
    const out = this.#out;
    this.#out = "";
    return this.#connection.socket.write(out, "latin1");
  }

  /**
   * Body bytes; false when the caller should wait for `onDrain`. The exchange keeps no view of
   * `chunk` (a small one is gathered as text, a large one copied), so the caller may reuse it.
   */
  write(chunk: Buffer): boolean {
    if (this.destroyed || this.finished || chunk.length === 0) return !this.destroyed;
    if (this.#framing === "none") return true;
    const chunked = this.#framing === "chunked";
    if (chunk.length <= GATHER_BYTES) {
      // Gathered as text (latin1 keeps every byte): head and body leave in one write.
      this.#out += chunked
        ? `${chunk.length.toString(16)}\r\n${chunk.toString("latin1")}\r\n`
        : chunk.toString("latin1");
      return true;
    }
    const socket = this.#connection.socket;
    if (chunked) this.#out += `${chunk.length.toString(16)}\r\n`;
    this.flush(); // its answer is the next write's
    // A copy: the socket keeps what it cannot write at once, and the caller may reuse `chunk`.
    const copy = Buffer.from(chunk);
    if (!chunked) return socket.write(copy);
    socket.write(copy);
    return socket.write("\r\n", "latin1");
  }

  /** The answer is complete (with `text` as its last bytes, if given). */
  end(text?: string): void {
    if (this.destroyed || this.finished) return;
    if (text !== undefined) this.write(Buffer.from(text, "utf8"));
    this.finished = true;
    if (this.#framing === "chunked") this.#out += LAST_CHUNK;
    this.flush();
    this.#connection.answered(this);
  }

  /** Closes the client's connection (an answer cut short). */
  destroy(): void {
    this.#connection.socket.destroy();
  }
}

/** One client connection: its parser, the exchange in flight and the bytes read ahead. */
class ClientConnection {
  readonly socket: Socket;
  readonly parser: RequestParser;
  exchange: ClientExchange | undefined;
  /** The current request's message has been read to its end. */
  messageDone = true;
  keepAlive = true;
  draining = false;
  /** The last answer has been written; the connection is ending. */
  closing = false;
  /** Bytes after the current message, kept until its answer is done. */
  ahead: Buffer[] = [];
  aheadBytes = 0;
  /**
   * When the connection last went idle, or a head started arriving: `ClientServer.tick` then,
   * up to a sweep earlier than the moment (no clock read per request).
   */
  since = performance.now();

  constructor(
    accepted: Socket,
    readonly server: ClientServer,
  ) {
    const adopted =
      server.reads === "stream"
        ? undefined
        : adoptAccepted(accepted, {
            buffer: (sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES)),
            callback: (bytes, buffer) => {
              this.onData(buffer as Buffer, bytes);
              return true;
            },
          });
    const socket =
      adopted ?? accepted.on("data", (chunk: Buffer) => this.onData(chunk, chunk.length)).resume();
    this.socket = socket;
    this.parser = new RequestParser({
      onHead: (head) => this.onHead(head),
      onBody: (chunk, start, end) => {
        const exchange = this.exchange;
        if (exchange?.onBody !== undefined && !exchange.destroyed) {
          // A copy: the read buffer is the next read's.
          exchange.onBody(Buffer.from((chunk as Buffer).subarray(start, end)));
        }
      },
      onEnd: () => {
        this.messageDone = true;
        const exchange = this.exchange;
        if (exchange === undefined) return;
        exchange.complete = true;
        if (!exchange.destroyed) exchange.onBodyEnd?.();
      },
    });
    socket.setNoDelay(true);
    socket.on("drain", () => {
      const exchange = this.exchange;
      if (exchange !== undefined && !exchange.finished) exchange.onDrain?.();
    });
    socket.on("error", () => socket.destroy());
    // A client that half-closes has gone away: what it asked for is abandoned (as node:http does).
    socket.on("end", () => socket.destroy());
    socket.on("close", () => this.onClose());
  }

  onHead(head: RequestHead): void {
    this.messageDone = false;
    if (!head.keepAlive) this.keepAlive = false;
    const exchange = new ClientExchange(this, head, this.socket.remoteAddress);
    this.exchange = exchange;
    if (head.expectContinue && head.body !== "none") {
      this.socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
    }
    this.server.handler(exchange);
  }

  /** `chunk[0, end)` was read (the shared read buffer, or a stream's chunk). */
  onData(chunk: Buffer, end: number): void {
    if (this.closing) return;
    if (this.exchange !== undefined && this.messageDone) {
      // An answer is pending: keep the bytes of the next requests for after it.
      this.keepAhead(chunk, 0, end);
      return;
    }
    this.feed(chunk, 0, end);
  }

  /** Keeps a copy of `chunk[from, end)` (the read buffer is the next read's). */
  keepAhead(chunk: Buffer, from: number, end: number): void {
    const rest = Buffer.from(chunk.subarray(from, end));
    this.ahead.push(rest);
    this.aheadBytes += rest.length;
    if (this.aheadBytes > READ_AHEAD_BYTES) this.socket.pause();
  }

  /** Parses `chunk[from, end)` until the bytes run out or a message ends with its answer pending. */
  feed(chunk: Buffer, from: number, end: number): void {
    let at = from;
    // Bounded: each round completes one message or reads the rest of the chunk.
    for (let round = 0; at < end && round <= end; round++) {
      if (!this.parser.inMessage) this.since = this.server.tick;
      let result: number;
      try {
        result = this.parser.execute(chunk, at, end);
      } catch (error) {
        this.refuse(error);
        return;
      }
      if (result !== REQUEST_COMPLETE) return;
      at = this.parser.consumed;
      if (this.socket.destroyed) return;
      if (this.exchange !== undefined) {
        // The answer is still pending (it may already be done: `answered` cleared it then).
        if (at < end) this.keepAhead(chunk, at, end);
        return;
      }
    }
  }

  /** A request the parser refused: answered with its status, and the connection closed. */
  refuse(error: unknown): void {
    const exchange = this.exchange;
    if (exchange !== undefined && !exchange.finished) {
      // A malformed body: the exchange in flight is abandoned.
      if (exchange.headersSent) {
        this.socket.destroy();
        return;
      }
      exchange.destroyed = true;
      exchange.onAbort?.();
    }
    this.exchange = undefined;
    this.closing = true;
    const status = error instanceof RequestParseError ? error.status : 400;
    const reason = error instanceof Error ? error.message : "bad request";
    const body = `iter8 proxy: ${reason}\n`;
    this.socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Bad Request"}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
    this.keepAlive = false;
  }

  /** The answer to `exchange` is complete: the next request, or the end of the connection. */
  answered(exchange: ClientExchange): void {
    if (this.exchange !== exchange) return;
    if (!this.keepAlive) {
      this.exchange = undefined;
      this.closing = true;
      this.socket.end();
      return;
    }
    if (!this.messageDone) {
      this.socket.resume();
      // The request body is still arriving (answered early, e.g. 404): read it to its end,
      // then go on. Its bytes go nowhere.
      exchange.onBody = undefined;
      exchange.onBodyEnd = undefined;
    }
    this.exchange = undefined;
    this.since = this.server.tick;
    const ahead = this.ahead;
    if (ahead.length === 0) return;
    this.ahead = [];
    this.aheadBytes = 0;
    const joined = ahead.length === 1 ? (ahead[0] as Buffer) : Buffer.concat(ahead);
    this.socket.resume();
    // Next tick: the answer's last write is still in this one's stack.
    process.nextTick(() => {
      if (!this.socket.destroyed) this.feed(joined, 0, joined.length);
    });
  }

  onClose(): void {
    this.server.connections.delete(this);
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange !== undefined && !exchange.finished && !exchange.destroyed) {
      exchange.destroyed = true;
      exchange.onAbort?.();
    }
  }

  /** Idle: no exchange in flight and no request partly read. */
  get idle(): boolean {
    return this.exchange === undefined && !this.parser.inMessage;
  }
}

/** How a `ClientServer` reads its connections: through the shared buffer, or as streams. */
export type ClientReads = "onread" | "stream";

/** The proxy's client-facing server. */
export class ClientServer {
  readonly server: Server;
  readonly connections = new Set<ClientConnection>();
  readonly #sweep: NodeJS.Timeout;
  /** performance.now() at the last sweep. */
  tick = performance.now();

  /**
   * A server handing each request to `handler`. `reads`: "onread" (the default) reads every
   * connection into the shared buffer where this Node allows it, "stream" as a stream (what
   * "onread" falls back to).
   */
  constructor(
    readonly handler: (exchange: ClientExchange) => void,
    readonly reads: ClientReads = "onread",
  ) {
    // Paused: an accepted connection is read by the socket `adoptAccepted` moves it to.
    this.server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
      this.connections.add(new ClientConnection(socket, this));
    });
    this.#sweep = setInterval(() => {
      const now = performance.now();
      this.tick = now;
      for (const connection of this.connections) {
        if (connection.exchange !== undefined) continue;
        // `since` can be a sweep early: a connection closes between its limit and two sweeps on.
        const limit = connection.parser.inMessage ? HEAD_TIMEOUT_MS : IDLE_TIMEOUT_MS;
        if (now - connection.since > limit + SWEEP_MS) connection.socket.destroy();
      }
    }, SWEEP_MS).unref();
  }

  /** Stops listening; idle connections close now, busy ones after their answer, all within `graceMs`. */
  close(graceMs: number): Promise<void> {
    clearInterval(this.#sweep);
    return new Promise((resolve) => {
      const force = setTimeout(() => {
        for (const connection of this.connections) connection.socket.destroy();
      }, graceMs);
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const connection of this.connections) {
        connection.draining = true;
        connection.keepAlive = false;
        if (connection.idle) connection.socket.destroy();
      }
    });
  }
}
