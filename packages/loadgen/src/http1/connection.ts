import { Buffer } from "node:buffer";
import { connect, isIP } from "node:net";
import type { Socket } from "node:net";
import { connect as connectTls, createSecureContext } from "node:tls";
import type { ConnectionOptions, SecureContext } from "node:tls";
import { PARSE_COMPLETE, ResponseParser } from "@iter8/http1";
import type { ResponseCallbacks } from "@iter8/http1";

/** Where a connection goes; over TLS when `tls` is set. */
export interface Http1Target {
  host: string;
  port: number;
  tls?: Http1Tls | undefined;
}

/**
 * TLS of the connections to one target (`createHttp1Tls`), shared by all of them: one secure
 * context (the CA parsed once) and the latest session, so a new connection resumes it.
 */
export interface Http1Tls {
  /** The certificates trusted and the rest of the client's TLS settings. */
  readonly secureContext: SecureContext;
  /** The name sent as SNI and checked against the certificate; undefined: check the IP address. */
  readonly servername: string | undefined;
  /** True skips the certificate check (name and chain). */
  readonly skipVerify: boolean;
  /** The session the next connection offers to resume (updated as servers issue tickets). */
  session: Buffer | undefined;
}

/** What `createHttp1Tls` takes: the trust, the check and the name. */
export interface Http1TlsOptions {
  /** CA certificates (PEM) trusted instead of Node's store; Node's store when absent. */
  ca?: string | undefined;
  /** Skips the certificate check (for test servers). Default: verify, as Node does. */
  skipVerify?: boolean | undefined;
  /** The name sent as SNI and checked; default `host` unless it is an IP address. */
  serverName?: string | undefined;
}

/** The TLS state of the connections to `host` (build one per target and share it). */
export function createHttp1Tls(host: string, options: Http1TlsOptions = {}): Http1Tls {
  return {
    secureContext: createSecureContext(options.ca === undefined ? {} : { ca: options.ca }),
    servername: options.serverName ?? (isIP(host) === 0 ? host : undefined),
    skipVerify: options.skipVerify === true,
    session: undefined,
  };
}

/** What a connection reports: exactly one of the two per request sent. */
export interface Http1ExchangeHandler {
  /** The response to the request ended (its body read); `status` is its status code. */
  onResponse(status: number): void;
  /** The request got no (complete) response: the socket failed, closed or the answer was malformed. */
  onError(error: Error): void;
}

/** The connection closed before the response ended; classified as a reset. */
export class ConnectionClosedError extends Error {
  override readonly name = "ConnectionClosedError";
  readonly code = "LOADGEN_SOCKET_CLOSED";

  /** An error saying the other side closed the connection mid-exchange. */
  constructor() {
    super("the server closed the connection before the response ended");
  }
}

/**
 * Reads of every connection in a thread land in this one buffer (`net`'s `onread`): no buffer
 * is allocated per read. Safe because each read is parsed synchronously before the next.
 */
let sharedReadBuffer: Buffer | undefined;
const READ_BUFFER_BYTES = 64 * 1024;

/**
 * One HTTP/1.1 keep-alive connection that carries one request at a time (no pipelining). It opens
 * its socket at the first `send` and again after the server closes it; requests are bytes
 * prepared once (`encodeRequest`). The handler hears each exchange's end; `onResponse` and
 * `onError` are never called from inside `send`.
 */
export class Http1Connection {
  readonly #target: Http1Target;
  readonly #handler: Http1ExchangeHandler;
  readonly #parser: ResponseParser;
  #socket: Socket | undefined;
  #inFlight = false;
  #destroyed = false;

  /** A connection to `target` reporting to `handler`; `callbacks` see headers and body bytes. */
  constructor(target: Http1Target, handler: Http1ExchangeHandler, callbacks?: ResponseCallbacks) {
    this.#target = target;
    this.#handler = handler;
    this.#parser = new ResponseParser(callbacks);
  }

  /** True while a request is waiting for its response. */
  get busy(): boolean {
    return this.#inFlight;
  }

  /**
   * Sends a request's bytes (`head` when it is a HEAD request: its response has no body). Throws
   * when a request is already in flight or the connection was destroyed.
   */
  send(request: Uint8Array, head: boolean): void {
    if (this.#destroyed) throw new Error("connection destroyed");
    if (this.#inFlight) throw new Error("a request is already in flight on this connection");
    const socket = this.#socket ?? this.#connect();
    this.#inFlight = true;
    this.#parser.expect(head);
    socket.write(request);
  }

  /** Ends the exchange in flight with `error` (reported to the handler now) and the socket. */
  abort(error: Error): void {
    if (!this.#inFlight) return;
    this.#dropSocket();
    this.#inFlight = false;
    this.#handler.onError(error);
  }

  /** Closes the socket; a request in flight gets no outcome. */
  destroy(): void {
    this.#destroyed = true;
    this.#inFlight = false;
    this.#dropSocket();
  }

  #connect(): Socket {
    sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const target = this.#target;
    const options = {
      host: target.host,
      port: target.port,
      noDelay: true,
      onread: {
        buffer: sharedReadBuffer,
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          this.#onRead(socket, buffer, bytes);
          return true;
        },
      },
    };
    const tls = target.tls;
    let socket: Socket;
    if (tls === undefined) {
      socket = connect(options);
    } else {
      // Writes before the handshake ends wait in the TLS socket; the request goes with the first.
      const tlsOptions: ConnectionOptions = {
        ...options,
        secureContext: tls.secureContext,
        ALPNProtocols: ["http/1.1"],
      };
      if (tls.servername !== undefined) tlsOptions.servername = tls.servername;
      // Only ever set to false: left out, Node's default applies (it verifies, unless the
      // process sets NODE_TLS_REJECT_UNAUTHORIZED=0, as undici honours it).
      if (tls.skipVerify) tlsOptions.rejectUnauthorized = false;
      if (tls.session !== undefined) tlsOptions.session = tls.session;
      const secure = connectTls(tlsOptions);
      secure.on("session", (session: Buffer) => {
        tls.session = session;
      });
      socket = secure;
    }
    socket.on("error", (error: Error) => this.#onEnd(socket, error));
    socket.on("close", () => this.#onEnd(socket, undefined));
    this.#socket = socket;
    return socket;
  }

  #dropSocket(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
  }

  #onRead(socket: Socket, buffer: Uint8Array, bytes: number): void {
    if (socket !== this.#socket) return;
    if (!this.#inFlight) {
      // Bytes nobody asked for: the connection cannot be trusted with the next request.
      this.#dropSocket();
      return;
    }
    const parser = this.#parser;
    let result: number;
    try {
      result = parser.execute(buffer, 0, bytes);
    } catch (error) {
      this.abort(error as Error);
      return;
    }
    if (result !== PARSE_COMPLETE) return;
    // Close before reporting: the handler may send the next request at once, on a new socket.
    if (parser.close || parser.consumed < bytes) this.#dropSocket();
    this.#inFlight = false;
    this.#handler.onResponse(parser.status);
  }

  #onEnd(socket: Socket, error: Error | undefined): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    socket.destroy();
    if (!this.#inFlight) return;
    this.#inFlight = false;
    if (error === undefined && this.#parser.finish()) {
      this.#handler.onResponse(this.#parser.status);
    } else {
      this.#handler.onError(error ?? new ConnectionClosedError());
    }
  }
}
