// The proxy's upstream side: a keep-alive pool of plain `net` connections to one origin, one
// exchange at a time per connection, answers read with @iter8/http1's response parser and handed
// to the caller as they arrive (head, then body bytes), so a proxy streams them without buffering.
import { Buffer } from "node:buffer";
import { connect, isIP } from "node:net";
import type { Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { PARSE_COMPLETE, ResponseParser } from "@iter8/http1";
import type { ResponseHeadText } from "@iter8/http1";

/** What a pool tells the owner of an exchange; after `onEnd` or `onError`, nothing more. */
export interface UpstreamHandler {
  /**
   * The final answer's head: its status, its text as sent and the offsets of its header lines.
   * Valid only during the call (the connection's parser reuses it).
   */
  onHead(head: ResponseHeadText): void;
  /**
   * Body bytes, framing removed: `chunk[start, end)`. The chunk is the read buffer every upstream
   * connection of the thread shares, overwritten by the next read: copy what must outlive the call.
   */
  onBody(chunk: Buffer, start: number, end: number): void;
  /** The answer is complete. */
  onEnd(): void;
  /** The exchange failed (connection refused or reset, malformed answer); not after an abort. */
  onError(error: Error): void;
  /** The request body written so far has left (after `write` returned false). */
  onDrain?(): void;
  /** A read of the answer was handed over in full, and more is to come: pass on what was gathered. */
  onFlush?(): void;
}

/** One request to send. */
export interface UpstreamRequest {
  /** Request line and headers, ending with the empty line (latin1; framing headers included). */
  head: string;
  /** A HEAD request: its answer has no body. */
  headOnly: boolean;
  /** A body follows through `write` and `end`; without one the request is complete with its head. */
  body: "none" | "length" | "chunked";
  /**
   * Whether the request may be sent again on a fresh connection when a reused one turns out closed
   * before any answer (the upstream's idle timeout raced it). Only for requests without a body.
   */
  retryable: boolean;
}

/** An error of the upstream connection, with the system error's code when there is one. */
export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
  /** `ECONNREFUSED`, `ECONNRESET`, ..., or `HTTP1_PARSE`, `UPSTREAM_CLOSED`. */
  readonly code: string;
  /** The message of what went wrong, and its code. */
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

const CRLF = "\r\n";
const LAST_CHUNK = Buffer.from("0\r\n\r\n", "latin1");
/**
 * Reads of every upstream connection in a thread land in this one buffer (`net`'s `onread`): no
 * buffer is allocated per read. Safe because each read is parsed, and handed to the exchange's
 * handler, before the next.
 */
let sharedReadBuffer: Buffer | undefined;
const READ_BUFFER_BYTES = 64 * 1024;
/** Request body bytes kept while the exchange waits for a connection, before `write` says "wait". */
const PENDING_BODY_BYTES = 64 * 1024;

/** One request/answer on the pool; the caller streams the body and may pause, resume, abort. */
export class UpstreamExchange {
  /** Set when the exchange has ended one way or another (answered, failed, aborted). */
  done = false;
  /** @internal */ connection: UpstreamConnection | undefined;
  /** @internal */ requestEnded = false;
  /** @internal */ answerStarted = false;
  /** @internal */ pending: Buffer[] | undefined;
  /** @internal */ pendingBytes = 0;
  /** @internal */ paused = false;
  /** @internal */ attempts = 0;

  /** @internal */
  constructor(
    readonly pool: UpstreamPool,
    readonly request: UpstreamRequest,
    readonly handler: UpstreamHandler,
  ) {
    this.requestEnded = request.body === "none";
  }

  /** Request body bytes; false when the caller should wait for `onDrain` before writing more. */
  write(chunk: Buffer): boolean {
    if (this.done || this.requestEnded) return true;
    const connection = this.connection;
    if (connection === undefined) {
      (this.pending ??= []).push(chunk);
      this.pendingBytes += chunk.length;
      return this.pendingBytes < PENDING_BODY_BYTES;
    }
    return connection.writeBody(this, chunk);
  }

  /** The request body is complete. */
  end(): void {
    if (this.done || this.requestEnded) return;
    this.requestEnded = true;
    this.connection?.endBody(this);
  }

  /** Stops reading the answer (the client's socket is full). */
  pause(): void {
    this.paused = true;
    this.connection?.socket.pause();
  }

  /** Reads the answer again. */
  resume(): void {
    this.paused = false;
    this.connection?.socket.resume();
  }

  /** Ends the exchange without more callbacks; its connection (if any) is closed. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    const connection = this.connection;
    if (connection) connection.destroy();
    else this.pool.unqueue(this);
  }
}

/** A kept-alive connection: at most one exchange at a time. */
class UpstreamConnection {
  readonly socket: Socket;
  readonly parser: ResponseParser;
  exchange: UpstreamExchange | undefined;
  /** Exchanges completed on this connection (a reused one may have been closed meanwhile). */
  served = 0;
  idleSince = 0;
  connected = false;
  dead = false;
  /** Bytes of the current answer seen (a reused connection closed before any is retried). */
  answerBytes = 0;

  constructor(readonly pool: UpstreamPool) {
    const parser = new ResponseParser({
      onHeadText: (head) => {
        const exchange = this.exchange;
        if (exchange === undefined || exchange.done) return;
        exchange.answerStarted = true;
        exchange.handler.onHead(head);
      },
      onBody: (chunk, start, end) => {
        const exchange = this.exchange;
        if (exchange === undefined || exchange.done) return;
        exchange.handler.onBody(chunk as Buffer, start, end);
      },
    });
    this.parser = parser;
    const onread = {
      buffer: (sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES)),
      callback: (bytes: number, buffer: Uint8Array): boolean => {
        this.onData(buffer as Buffer, bytes);
        return true;
      },
    };
    const options = { host: pool.host, port: pool.port, noDelay: true, onread };
    const socket = pool.tls
      ? connectTls({
          ...options,
          servername: isIP(pool.host) === 0 ? pool.host : undefined,
          ALPNProtocols: ["http/1.1"],
          ca: pool.ca,
        })
      : connect(options);
    this.socket = socket;
    if (pool.tls) socket.setNoDelay(true);
    socket.on(pool.tls ? "secureConnect" : "connect", () => {
      this.connected = true;
      const exchange = this.exchange;
      if (exchange) this.send(exchange);
    });
    socket.on("drain", () => {
      const exchange = this.exchange;
      if (exchange && !exchange.done) exchange.handler.onDrain?.();
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      this.fail(new UpstreamError(error.message, error.code ?? "ECONNRESET", { cause: error }));
    });
    socket.on("end", () => this.onEnd());
    socket.on("close", () => this.onClose());
  }

  /** Starts `exchange` on this connection: its head and what body it has so far. */
  assign(exchange: UpstreamExchange): void {
    this.exchange = exchange;
    exchange.connection = this;
    exchange.attempts++;
    this.answerBytes = 0;
    this.parser.expect(exchange.request.headOnly);
    if (exchange.paused) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
    if (this.connected) this.send(exchange);
  }

  send(exchange: UpstreamExchange): void {
    const socket = this.socket;
    const pending = exchange.pending;
    const request = exchange.request;
    if (pending === undefined && (request.body === "none" || exchange.requestEnded)) {
      // The whole request in one write.
      if (request.body === "chunked") socket.write(request.head + "0\r\n\r\n", "latin1");
      else socket.write(request.head, "latin1");
      return;
    }
    socket.cork();
    socket.write(request.head, "latin1");
    if (pending !== undefined) {
      exchange.pending = undefined;
      exchange.pendingBytes = 0;
      for (const chunk of pending) this.writeBody(exchange, chunk);
    }
    if (exchange.requestEnded) this.endBody(exchange);
    socket.uncork();
    // The body kept while connecting has left or is buffered: the caller may write again.
    if (pending !== undefined && !socket.writableNeedDrain) exchange.handler.onDrain?.();
  }

  writeBody(exchange: UpstreamExchange, chunk: Buffer): boolean {
    if (!this.connected) {
      (exchange.pending ??= []).push(chunk);
      exchange.pendingBytes += chunk.length;
      return exchange.pendingBytes < PENDING_BODY_BYTES;
    }
    if (chunk.length === 0) return true;
    if (exchange.request.body === "chunked") {
      this.socket.write(chunk.length.toString(16) + CRLF, "latin1");
      this.socket.write(chunk);
      return this.socket.write(CRLF, "latin1");
    }
    return this.socket.write(chunk);
  }

  endBody(exchange: UpstreamExchange): void {
    if (!this.connected) return; // sent with the head once connected
    if (exchange.request.body === "chunked") this.socket.write(LAST_CHUNK);
    this.maybeRelease();
  }

  /** `bytes` bytes read into `buffer` (the shared read buffer). */
  onData(buffer: Buffer, bytes: number): void {
    const exchange = this.exchange;
    if (exchange === undefined) {
      // Bytes while idle: not an answer to anything; the connection cannot be trusted.
      this.destroy();
      return;
    }
    this.answerBytes += bytes;
    let result: number;
    try {
      result = this.parser.execute(buffer, 0, bytes);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.fail(new UpstreamError(message, "HTTP1_PARSE", { cause: error }));
      return;
    }
    if (result !== PARSE_COMPLETE) {
      if (!exchange.done) exchange.handler.onFlush?.();
      return;
    }
    if (this.parser.consumed < bytes || this.parser.close) this.dead = true;
    this.complete();
  }

  complete(): void {
    const exchange = this.exchange;
    if (exchange === undefined) return;
    this.served++;
    // An answer before the whole request left (e.g. an early 413): the connection is not reused.
    if (!exchange.requestEnded) this.dead = true;
    if (!exchange.done) {
      exchange.done = true;
      exchange.handler.onEnd();
    }
    this.maybeRelease();
  }

  /** After the answer is complete and the request has left: back to the pool, or closed. */
  maybeRelease(): void {
    const exchange = this.exchange;
    if (exchange === undefined || !exchange.done || this.parser.busy) return;
    if (!exchange.requestEnded && !this.dead) return;
    this.exchange = undefined;
    exchange.connection = undefined;
    if (this.dead) this.destroy();
    else this.pool.release(this);
  }

  onEnd(): void {
    // The upstream closed its side: an answer delimited by the end of the connection completes.
    if (this.exchange !== undefined && this.parser.busy && this.parser.finish()) {
      this.dead = true;
      this.complete();
      return;
    }
    this.fail(new UpstreamError("the upstream closed the connection", "UPSTREAM_CLOSED"));
  }

  onClose(): void {
    this.fail(new UpstreamError("the upstream closed the connection", "UPSTREAM_CLOSED"));
    this.pool.forget(this);
  }

  /** The connection is unusable: its exchange (if any) fails or is retried; then it closes. */
  fail(error: UpstreamError): void {
    this.dead = true;
    const exchange = this.exchange;
    this.exchange = undefined;
    if (!this.socket.destroyed) this.socket.destroy();
    if (exchange === undefined || exchange.done) return;
    exchange.connection = undefined;
    // A reused connection the upstream closed before any answer: send the request again once.
    if (
      this.served > 0 &&
      this.answerBytes === 0 &&
      !exchange.answerStarted &&
      exchange.request.retryable &&
      exchange.attempts < 2
    ) {
      this.pool.retry(exchange);
      return;
    }
    exchange.done = true;
    exchange.handler.onError(error);
  }

  destroy(): void {
    this.dead = true;
    this.exchange = undefined;
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/** Options of an `UpstreamPool`. */
export interface UpstreamPoolOptions {
  /** Connections at most; more exchanges wait in order. */
  connections: number;
  /** Idle connections close after this long (shorter than the upstream's own idle timeout). */
  idleTimeoutMs?: number;
  /** For an https origin: the certificate authorities to trust instead of Node's (PEM). */
  ca?: string;
}

/** Keep-alive connections to one `host:port`. */
export class UpstreamPool {
  readonly host: string;
  readonly port: number;
  /** An https origin: connections are TLS (HTTP/1.1 by ALPN), verified as Node verifies. */
  readonly tls: boolean;
  readonly ca: string | undefined;
  readonly #max: number;
  readonly #idleMs: number;
  /** Idle connections, most recently used last (reused first: fewer stay warm). */
  readonly #idle: UpstreamConnection[] = [];
  readonly #queue: UpstreamExchange[] = [];
  /** Every open connection, idle or busy. */
  readonly #all = new Set<UpstreamConnection>();
  #open = 0;
  #sweep: NodeJS.Timeout | undefined;
  #closing = false;
  #closed: (() => void) | undefined;

  /** A pool for `url`'s origin (http or https). */
  constructor(url: URL, options: UpstreamPoolOptions) {
    this.host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    this.tls = url.protocol === "https:";
    this.port = url.port === "" ? (this.tls ? 443 : 80) : Number(url.port);
    this.ca = options.ca;
    this.#max = options.connections;
    this.#idleMs = options.idleTimeoutMs ?? 4_000;
  }

  /** Connections open (idle and busy). */
  get open(): number {
    return this.#open;
  }

  /** Starts an exchange: on an idle connection, a new one, or queued until one is free. */
  request(request: UpstreamRequest, handler: UpstreamHandler): UpstreamExchange {
    const exchange = new UpstreamExchange(this, request, handler);
    this.#start(exchange);
    return exchange;
  }

  #start(exchange: UpstreamExchange): void {
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      idle.assign(exchange);
      return;
    }
    if (this.#open < this.#max) {
      this.#connect().assign(exchange);
      return;
    }
    this.#queue.push(exchange);
  }

  /** @internal A reused connection failed before any answer: the exchange goes again. */
  retry(exchange: UpstreamExchange): void {
    // Never onto another idle connection (it may be as stale): a fresh one, or the queue's head.
    if (this.#open < this.#max) this.#connect().assign(exchange);
    else this.#queue.unshift(exchange);
  }

  #connect(): UpstreamConnection {
    const connection = new UpstreamConnection(this);
    this.#open++;
    this.#all.add(connection);
    return connection;
  }

  /** @internal */
  unqueue(exchange: UpstreamExchange): void {
    const at = this.#queue.indexOf(exchange);
    if (at >= 0) this.#queue.splice(at, 1);
  }

  /** @internal A connection is free for the next exchange. */
  release(connection: UpstreamConnection): void {
    const next = this.#queue.shift();
    if (next !== undefined) {
      connection.assign(next);
      return;
    }
    if (this.#closing) {
      connection.destroy();
      return;
    }
    connection.idleSince = performance.now();
    this.#idle.push(connection);
    this.#sweep ??= setInterval(() => this.#closeIdle(), Math.max(250, this.#idleMs / 4)).unref();
  }

  /** @internal A connection has closed. */
  forget(connection: UpstreamConnection): void {
    const at = this.#idle.indexOf(connection);
    if (at >= 0) this.#idle.splice(at, 1);
    if (!this.#all.delete(connection)) return;
    this.#open--;
    // A slot is free: a queued exchange gets a connection.
    const next = this.#queue.shift();
    if (next !== undefined) this.#start(next);
    if (this.#open === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
      this.#closed?.();
    }
  }

  #closeIdle(): void {
    const limit = performance.now() - this.#idleMs;
    // Oldest first: the least recently used are at the start.
    while (this.#idle.length > 0 && (this.#idle[0] as UpstreamConnection).idleSince <= limit) {
      (this.#idle.shift() as UpstreamConnection).destroy();
    }
  }

  /** Lets exchanges in flight and queued finish, closing connections as they free; resolves when all are closed. */
  close(): Promise<void> {
    this.#closing = true;
    for (const connection of this.#idle.splice(0)) connection.destroy();
    if (this.#open === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#closed = resolve));
  }

  /** Closes every connection now; exchanges in flight fail. */
  destroy(): Promise<void> {
    this.#closing = true;
    const done = this.close();
    for (const exchange of this.#queue.splice(0)) {
      exchange.done = true;
      exchange.handler.onError(new UpstreamError("the pool was closed", "UPSTREAM_CLOSED"));
    }
    // Busy connections fail their exchanges and close.
    for (const connection of [...this.#all]) {
      connection.fail(new UpstreamError("the pool was closed", "UPSTREAM_CLOSED"));
    }
    return done;
  }
}
