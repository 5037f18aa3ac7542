import { RequestTimeoutError } from "./http-request.js";
import type { HttpRequestSpec } from "./http-request.js";
import {
  Http1Connection,
  createHttp1Tls,
  encodeRequest,
  unsupportedReason,
} from "./http1/index.js";
import type { Http1ExchangeHandler, Http1Target } from "./http1/index.js";
import { classifyTransportError } from "./outcome.js";
import type { CreateTransport, OutcomeSink, Transport } from "./transport.js";

/**
 * Why the lean transport cannot carry `spec` (pipelining, a header that changes framing), or
 * undefined when it can; undici carries what it cannot.
 */
export function leanUnsupportedReason(spec: HttpRequestSpec): string | undefined {
  const protocol = spec.url.protocol;
  if (protocol !== "http:" && protocol !== "https:") return `${protocol} is not http(s)`;
  if (spec.pipelining !== 1) return "pipelining";
  return unsupportedReason(templateOf(spec));
}

function templateOf(spec: HttpRequestSpec): Parameters<typeof encodeRequest>[0] {
  return {
    method: spec.method,
    path: `${spec.url.pathname}${spec.url.search}`,
    host: spec.url.host,
    headers: spec.headers,
    body: spec.body,
  };
}

/**
 * One lane: one connection, one request at a time, and the lane's exchange timer (the whole
 * exchange, connect to last body byte, as the undici transport bounds it). Reused for every request.
 */
class NetLane implements Http1ExchangeHandler {
  readonly #connection: Http1Connection;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight = false;
  readonly #timeoutError: RequestTimeoutError;

  constructor(
    private readonly sink: OutcomeSink,
    private readonly lane: number,
    private readonly timeoutMs: number,
    target: Http1Target,
  ) {
    this.#connection = new Http1Connection(target, this);
    this.#timeoutError = new RequestTimeoutError(timeoutMs);
  }

  send(request: Uint8Array, head: boolean): void {
    this.#inFlight = true;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimeout, this.timeoutMs);
      this.#timer.unref();
    } else {
      this.#timer.refresh();
    }
    this.#connection.send(request, head);
  }

  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight = false;
    this.#connection.destroy();
  }

  readonly #onTimeout = (): void => {
    if (this.#inFlight) this.#connection.abort(this.#timeoutError);
  };

  onResponse(status: number): void {
    this.#inFlight = false;
    this.sink.onOutcome(this.lane, status, undefined);
  }

  onError(error: Error): void {
    this.#inFlight = false;
    this.sink.onOutcome(this.lane, 0, classifyTransportError(error));
  }
}

/**
 * An HTTP/1.1 transport on `net` sockets (`tls` for `https:`): one keep-alive connection per lane,
 * the request's bytes encoded once. Without pipelining (see `leanUnsupportedReason`). Connections
 * of one transport share a TLS context and resume its latest session.
 */
export function createNetHttpTransport(spec: HttpRequestSpec): CreateTransport {
  const reason = leanUnsupportedReason(spec);
  if (reason !== undefined) throw new TypeError(`the lean HTTP/1.1 transport cannot: ${reason}`);
  const request = encodeRequest(templateOf(spec));
  const head = spec.method.toUpperCase() === "HEAD";
  // URL hostnames of IPv6 literals come in brackets; net.connect wants them bare.
  const hostname = spec.url.hostname.replace(/^\[(.*)\]$/, "$1");
  const https = spec.url.protocol === "https:";
  const port = Number(spec.url.port || (https ? 443 : 80));
  return (lanes: number, sink: OutcomeSink): Transport => {
    const target: Http1Target = { host: hostname, port };
    if (https) target.tls = createHttp1Tls(hostname, spec.tls);
    const laneObjects: NetLane[] = [];
    for (let lane = 0; lane < lanes; lane++) {
      laneObjects.push(new NetLane(sink, lane, spec.timeoutMs, target));
    }
    let destroyed = false;
    return {
      send(lane: number): void {
        const handler = laneObjects[lane] as NetLane;
        if (destroyed) {
          queueMicrotask(() => handler.onError(new Error("transport destroyed")));
          return;
        }
        handler.send(request, head);
      },
      destroy(): Promise<void> {
        destroyed = true;
        for (const lane of laneObjects) lane.stop();
        return Promise.resolve();
      },
    };
  };
}
