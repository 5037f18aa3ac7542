import type { Client as UndiciClient, Dispatcher } from "undici";
import { Client } from "./undici-client.js";
import { RequestTimeoutError } from "./http-request.js";
import type { HttpRequestSpec } from "./http-request.js";
import { classifyTransportError } from "./outcome.js";
import type { CreateTransport, OutcomeSink, Transport } from "./transport.js";
import type { TransportErrorClass } from "./types.js";

/**
 * One lane's undici handler, reused for every request the lane carries: the hot path allocates no
 * closure or promise per request (undici's low-level `dispatch` with the legacy handler interface).
 *
 * undici's `headersTimeout` and `bodyTimeout` are idle timeouts: a server that trickles a body (or
 * endless interim responses) forever keeps them from firing. So each lane also bounds the whole
 * exchange, headers and body: one timer per lane, re-armed (`refresh`) for each request, aborts the
 * request when it fires while that request is still in flight.
 */
class HttpLane implements Dispatcher.DispatchHandler {
  #status = 0;
  /** Counts the lane's requests; a timer that fires for an earlier request is ignored. */
  #request = 0;
  #timedRequest = -1;
  #inFlight = false;
  #timedOut = false;
  #abort: ((error: Error) => void) | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #timeoutError: RequestTimeoutError;

  constructor(
    private readonly sink: OutcomeSink,
    private readonly lane: number,
    private readonly timeoutMs: number,
  ) {
    this.#timeoutError = new RequestTimeoutError(timeoutMs);
  }

  /** Called before each dispatch of this lane's next request: arms the exchange timeout. */
  start(): void {
    this.#request++;
    this.#inFlight = true;
    this.#timedOut = false;
    this.#abort = undefined;
    this.#timedRequest = this.#request;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimeout, this.timeoutMs);
      this.#timer.unref();
    } else {
      this.#timer.refresh();
    }
  }

  /** Stops the lane's timer (the transport is being destroyed). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight = false;
  }

  readonly #onTimeout = (): void => {
    if (!this.#inFlight || this.#timedRequest !== this.#request) return;
    this.#timedOut = true;
    // Not yet on a connection: onConnect aborts it as soon as undici hands it one.
    this.#abort?.(this.#timeoutError);
  };

  onConnect(abort: (error: Error) => void): void {
    this.#status = 0;
    this.#abort = abort;
    if (this.#timedOut) abort(this.#timeoutError);
  }

  onHeaders(statusCode: number): boolean {
    this.#status = statusCode;
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.#inFlight = false;
    this.#abort = undefined;
    this.sink.onOutcome(this.lane, this.#status, undefined);
  }

  onError(error: Error): void {
    this.#inFlight = false;
    this.#abort = undefined;
    // undici calls onError while it is still failing its queue (and asserts that the queue stays
    // empty), so the outcome, which may send the next request on this client, is reported after.
    this.#errorClass = classifyTransportError(error);
    queueMicrotask(this.#reportError);
  }

  #errorClass: TransportErrorClass = "other";
  readonly #reportError = (): void => {
    this.sink.onOutcome(this.lane, 0, this.#errorClass);
  };
}

/**
 * undici's connect options for `spec.tls` (the lean client reads the same three settings), or
 * undefined for Node's defaults. `rejectUnauthorized` is only ever set to false: left out, Node's
 * default applies.
 */
function tlsConnectOptions(
  spec: HttpRequestSpec,
): { ca?: string; rejectUnauthorized?: boolean; servername?: string } | undefined {
  const tls = spec.tls;
  if (spec.url.protocol !== "https:" || tls === undefined) return undefined;
  const connect: { ca?: string; rejectUnauthorized?: boolean; servername?: string } = {};
  if (tls.ca !== undefined) connect.ca = tls.ca;
  if (tls.skipVerify === true) connect.rejectUnauthorized = false;
  if (tls.serverName !== undefined) connect.servername = tls.serverName;
  return connect;
}

/** An HTTP/1.1 transport on undici: one `Client` (one connection) per `pipelining` lanes. */
export function createHttpTransport(spec: HttpRequestSpec): CreateTransport {
  return (lanes: number, sink: OutcomeSink): Transport => {
    const pipelining = spec.pipelining;
    const clientCount = Math.ceil(lanes / pipelining);
    const clients: UndiciClient[] = [];
    const connect = tlsConnectOptions(spec);
    for (let i = 0; i < clientCount; i++) {
      clients.push(
        new Client(spec.url.origin, {
          pipelining,
          headersTimeout: spec.timeoutMs,
          bodyTimeout: spec.timeoutMs,
          connectTimeout: spec.timeoutMs,
          keepAliveTimeout: 30_000,
          ...(connect && { connect }),
        }),
      );
    }
    const handlers: HttpLane[] = [];
    for (let lane = 0; lane < lanes; lane++)
      handlers.push(new HttpLane(sink, lane, spec.timeoutMs));
    // One options object for every request: undici reads it and keeps no reference to it.
    const dispatchOptions: Dispatcher.DispatchOptions = {
      path: `${spec.url.pathname}${spec.url.search}`,
      method: spec.method,
      headers: spec.headers.length > 0 ? spec.headers : null,
      body: spec.body ?? null,
    };
    let destroyed = false;
    return {
      send(lane: number): void {
        const client = clients[Math.floor(lane / pipelining)] as UndiciClient;
        const handler = handlers[lane] as HttpLane;
        if (destroyed) {
          queueMicrotask(() => handler.onError(new Error("transport destroyed")));
          return;
        }
        handler.start();
        client.dispatch(dispatchOptions, handler);
      },
      async destroy(): Promise<void> {
        destroyed = true;
        for (const handler of handlers) handler.stop();
        await Promise.all(clients.map((client) => client.destroy().catch(() => undefined)));
      },
    };
  };
}
