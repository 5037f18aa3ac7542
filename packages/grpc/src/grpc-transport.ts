// The gRPC transport of @iter8/loadgen: one call per send, on node:http2 (gRPC's framing is a
// 5-byte prefix per message and a status in the trailers). Built in every thread from plain data
// (`GrpcTransportOptions`) through `LoadOptions.transport`.
import type { Buffer } from "node:buffer";
import * as http2 from "node:http2";
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders } from "node:http2";
import { LatencyHistogram } from "@iter8/metrics";
import { classifyTransportError } from "@iter8/loadgen";
import type {
  CreateTransport,
  OutcomeSink,
  TransportErrorClass,
  TransportStats,
} from "@iter8/loadgen";
import { encodeHeaderBlock } from "./h2/hpack.js";
import type { H2Target } from "./h2/connection.js";
import { MessageSource, MetadataSource, callData } from "./messages.js";
import type { CallInfo, MessagePlan, MetadataPlan } from "./messages.js";
import { GRPC_STATUS, statusFromHttp } from "./status.js";
import type { GrpcCallKind } from "./types.js";
import { ConnectionSlot, WireLane } from "./wire-lane.js";
import type { WireLaneHost } from "./wire-lane.js";

/** Everything a thread needs to build the transport: plain, structured-cloneable data. */
export interface GrpcTransportOptions {
  /** `http://host:port` or `https://host:port`. */
  origin: string;
  /** `:authority` (the `host` option). */
  authority: string;
  /** `/pkg.Service/Method`. */
  path: string;
  kind: GrpcCallKind;
  /** HTTP/2 sessions of the whole load (each thread takes its share). */
  connections: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  keepaliveMs: number | undefined;
  tls:
    | { ca: string | undefined; servername: string | undefined; rejectUnauthorized: boolean }
    | undefined;
  messages: MessagePlan;
  metadata: MetadataPlan;
  call: CallInfo;
  streamIntervalMs: number;
  /** Messages a client stream sends (0: each data message once). */
  streamCallCount: number;
  /** A client stream ends its sending after this long (0: no limit). */
  streamCallDurationMs: number;
  /**
   * The HTTP/2 client of unary and server-streaming calls: this package's own (`h2`, the
   * default) or node:http2 (kept for A/B measurements). Streaming requests always use node:http2.
   */
  unaryClient?: "h2" | "node:http2";
}

/** The statistics names the transport keeps (measured calls only). */
export const STAT_MESSAGES_SENT = "messagesSent";
export const STAT_MESSAGES_RECEIVED = "messagesReceived";
export const STAT_FIRST_MESSAGE = "firstMessage";

const NGHTTP2_CANCEL = http2.constants.NGHTTP2_CANCEL;
/** The messages follow the headers: one options object for every request. */
const REQUEST_OPTIONS: http2.ClientSessionRequestOptions = { endStream: false };
const NGHTTP2_REFUSED_STREAM = http2.constants.NGHTTP2_REFUSED_STREAM;

/** `grpc-timeout`: at most 8 digits, in the coarsest unit that keeps the value. */
function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  if (whole < 1e8) return `${whole}m`;
  return `${Math.min(99_999_999, Math.ceil(whole / 1000))}S`;
}

/**
 * Pings the server every `intervalMs`. As grpc-go's keepalive (which ghz sets up with its timeout
 * equal to the interval): when a ping is still unanswered one interval later and nothing else came
 * from the server meanwhile (`received()`, a count of responses and data the calls got, has not
 * moved), the session ends, failing its calls as transport errors (`timeout`) instead of leaving
 * them to hang on a dead peer. The check waits two turns of the event loop (`setImmediate`,
 * twice) so that after a stalled loop what is waiting in the socket is read first.
 */
function keepalive(
  session: ClientHttp2Session,
  intervalMs: number,
  received: () => number,
): ReturnType<typeof setInterval> {
  let waiting = false;
  // Which ping is in flight, what had been received when it left, and whether a check is due.
  let ping = 0;
  let receivedAtPing = 0;
  let checking = false;
  const acknowledged = (error: Error | null): void => {
    if (!error) waiting = false;
  };
  const alive = (): boolean => !waiting || received() !== receivedAtPing;
  const check = (of: number): void => {
    checking = false;
    // A check due for an earlier ping says nothing about a later one.
    if (of !== ping || session.destroyed || alive()) return;
    session.destroy(
      Object.assign(new Error(`keepalive ping not acknowledged within ${intervalMs} ms`), {
        code: "ETIMEDOUT",
      }),
    );
  };
  const timer = setInterval(() => {
    if (session.closed || session.destroyed) return;
    if (!alive()) {
      if (!checking) {
        checking = true;
        const of = ping;
        setImmediate(() => setImmediate(() => check(of)));
      }
      return;
    }
    try {
      ping++;
      receivedAtPing = received();
      waiting = session.ping(acknowledged);
    } catch {
      waiting = false;
    }
  }, intervalMs);
  timer.unref();
  return timer;
}

/** One HTTP/2 connection, replaced when it fails or closes. */
class Connection {
  session: ClientHttp2Session | undefined;
  /** Responses and data chunks its calls received: activity that shows the peer is alive. */
  received = 0;
  #keepalive: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly options: GrpcTransportOptions) {}

  /** The live session, connecting a new one if there is none. */
  get(): ClientHttp2Session {
    const current = this.session;
    if (current && !current.closed && !current.destroyed) return current;
    const options = this.options;
    const session = http2.connect(options.origin, {
      ...(options.tls
        ? {
            ca: options.tls.ca,
            servername: options.tls.servername,
            rejectUnauthorized: options.tls.rejectUnauthorized,
          }
        : {}),
      settings: { enablePush: false },
    });
    this.session = session;
    // Errors reach the streams; the session's own 'error' must not crash the process.
    session.on("error", () => undefined);
    const connectTimer = setTimeout(() => {
      const error = Object.assign(
        new Error(`no connection within ${options.connectTimeoutMs} ms`),
        {
          code: "ETIMEDOUT",
        },
      );
      session.destroy(error);
    }, options.connectTimeoutMs);
    connectTimer.unref();
    // Connected means the server's SETTINGS arrived (as grpc-go waits for the server preface):
    // a listener that accepts but never speaks HTTP/2 fails the calls after connect-timeout.
    session.once("remoteSettings", () => clearTimeout(connectTimer));
    session.once("close", () => {
      clearTimeout(connectTimer);
      if (this.session === session) this.#stopKeepalive();
    });
    if (options.keepaliveMs !== undefined && options.keepaliveMs > 0) {
      this.#stopKeepalive();
      this.#keepalive = keepalive(session, options.keepaliveMs, () => this.received);
    }
    session.unref();
    return session;
  }

  #stopKeepalive(): void {
    if (this.#keepalive !== undefined) clearInterval(this.#keepalive);
    this.#keepalive = undefined;
  }

  close(): Promise<void> {
    this.#stopKeepalive();
    const session = this.session;
    this.session = undefined;
    if (!session || session.destroyed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      session.once("close", () => resolve());
      session.destroy();
    });
  }
}

/** Per-thread figures of measured calls. */
class Stats {
  sent = 0;
  received = 0;
  readonly firstMessage = new LatencyHistogram();
}

/**
 * One lane: carries one call at a time. Its event handlers are bound once and attached to each
 * call's stream; a handler of an earlier call (stream) is ignored.
 */
class GrpcLane {
  #stream: ClientHttp2Stream | undefined;
  /** The connection carrying the current call (its activity count feeds keepalive). */
  #connection: Connection | undefined;
  #call = 0;
  #measured = false;
  #startedAt = 0;
  #status = -1;
  #gotHeaders = false;
  #failure: TransportErrorClass | undefined;
  #reported = true;
  // Response framing: bytes of the current 5-byte prefix still to read, then of the message.
  #prefixLeft = 5;
  #length = 0;
  #bodyLeft = 0;
  #received = 0;
  #firstAt = -1;
  // Client streams.
  #sent = 0;
  #toSend = 0;
  #sendDeadline = Number.POSITIVE_INFINITY;
  #requestNumber = 0;
  #data: object | undefined;
  #streamTimer: ReturnType<typeof setTimeout> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #deadlineCall = -1;

  constructor(
    private readonly transport: GrpcTransportImpl,
    private readonly lane: number,
  ) {}

  start(
    stream: ClientHttp2Stream,
    connection: Connection,
    measured: boolean,
    requestNumber: number,
    data: object | undefined,
  ): void {
    const t = this.transport;
    this.#stream = stream;
    this.#connection = connection;
    this.#call++;
    this.#measured = measured;
    this.#startedAt = performance.now();
    this.#status = -1;
    this.#gotHeaders = false;
    this.#failure = undefined;
    this.#reported = false;
    this.#prefixLeft = 5;
    this.#length = 0;
    this.#bodyLeft = 0;
    this.#received = 0;
    this.#firstAt = -1;
    this.#sent = 0;
    this.#requestNumber = requestNumber;
    this.#data = data;
    this.#armDeadline();
    stream.on("response", this.#onResponse);
    stream.on("data", this.#onData);
    stream.on("trailers", this.#onTrailers);
    stream.on("error", this.#onError);
    stream.on("close", this.#onClose);
    const o = t.options;
    if (o.kind === "unary" || o.kind === "server-stream") {
      this.#sent = 1;
      stream.end(t.messages.frame(requestNumber, data));
      return;
    }
    this.#toSend = o.streamCallCount > 0 ? o.streamCallCount : t.messages.count;
    this.#sendDeadline =
      o.streamCallDurationMs > 0
        ? this.#startedAt + o.streamCallDurationMs
        : Number.POSITIVE_INFINITY;
    if (o.streamCallDurationMs > 0 && o.streamIntervalMs <= 0 && o.streamCallCount <= 0) {
      // ghz: with a duration and no interval, the stream sends its messages and stays open
      // until the duration has passed.
      this.#writeAll(stream);
      this.#streamTimer = setTimeout(this.#endSend, o.streamCallDurationMs);
      return;
    }
    this.#sendNext();
  }

  #writeAll(stream: ClientHttp2Stream): void {
    const t = this.transport;
    while (this.#sent < this.#toSend) {
      stream.write(t.messages.frame(this.#sent, this.#dataFor()));
      this.#sent++;
    }
  }

  /** Per-message template data: ghz regenerates timestamps and the UUID for each message. */
  #dataFor(): object | undefined {
    const t = this.transport;
    if (t.messages.isStatic) return undefined;
    return t.callData(this.#requestNumber, this.lane);
  }

  readonly #sendNext = (): void => {
    this.#streamTimer = undefined;
    const stream = this.#stream;
    if (!stream || stream.closed || stream.destroyed || this.#reported) return;
    const t = this.transport;
    const interval = t.options.streamIntervalMs;
    if (interval <= 0) {
      this.#writeAll(stream);
      stream.end();
      return;
    }
    if (this.#sent >= this.#toSend || performance.now() >= this.#sendDeadline) {
      stream.end();
      return;
    }
    stream.write(t.messages.frame(this.#sent, this.#sent === 0 ? this.#data : this.#dataFor()));
    this.#sent++;
    if (this.#sent >= this.#toSend) {
      stream.end();
      return;
    }
    this.#streamTimer = setTimeout(this.#sendNext, interval);
  };

  readonly #endSend = (): void => {
    this.#streamTimer = undefined;
    const stream = this.#stream;
    if (stream && !stream.closed && !stream.destroyed && !this.#reported) stream.end();
  };

  #armDeadline(): void {
    this.#deadlineCall = this.#call;
    if (this.#deadline === undefined) {
      this.#deadline = setTimeout(this.#onDeadline, this.transport.options.timeoutMs);
      this.#deadline.unref();
    } else {
      this.#deadline.refresh();
    }
  }

  readonly #onDeadline = (): void => {
    if (this.#reported || this.#deadlineCall !== this.#call) return;
    // The deadline passed: DEADLINE_EXCEEDED, whatever the server says later (as grpc-js does).
    this.#status = GRPC_STATUS.deadlineExceeded;
    this.#failure = undefined;
    const stream = this.#stream;
    if (stream && !stream.destroyed) stream.close(NGHTTP2_CANCEL);
    else this.#report();
  };

  readonly #onResponse = (headers: IncomingHttpHeaders): void => {
    this.#gotHeaders = true;
    if (this.#connection) this.#connection.received++;
    if (this.#status === GRPC_STATUS.deadlineExceeded) return;
    const status = headers["grpc-status"];
    if (status !== undefined) {
      // Trailers-Only: the status in the headers, no body.
      this.#status = Number(status);
      return;
    }
    const httpStatus = Number(headers[":status"] ?? 200);
    if (httpStatus !== 200) this.#status = statusFromHttp(httpStatus);
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#connection) this.#connection.received++;
    const length = chunk.length;
    let i = 0;
    while (i < length) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, length - i);
        this.#bodyLeft -= take;
        i += take;
        if (this.#bodyLeft === 0) this.#onMessage();
        continue;
      }
      const byte = chunk[i] as number;
      i++;
      if (this.#prefixLeft <= 4) this.#length = this.#length * 256 + byte;
      this.#prefixLeft--;
      if (this.#prefixLeft === 0) {
        this.#bodyLeft = this.#length;
        this.#prefixLeft = 5;
        this.#length = 0;
        if (this.#bodyLeft === 0) this.#onMessage();
      }
    }
  };

  #onMessage(): void {
    this.#received++;
    if (this.#firstAt < 0) this.#firstAt = performance.now();
  }

  readonly #onTrailers = (trailers: IncomingHttpHeaders): void => {
    if (this.#status === GRPC_STATUS.deadlineExceeded) return;
    const status = trailers["grpc-status"];
    this.#status = status === undefined ? GRPC_STATUS.unknown : Number(status);
  };

  readonly #onError = (error: Error): void => {
    if (this.#status >= 0) return;
    this.#failure = classifyTransportError(error);
  };

  readonly #onClose = (): void => {
    const stream = this.#stream;
    if (stream && this.#status < 0 && this.#failure === undefined) {
      const code = stream.rstCode;
      if (this.#gotHeaders) {
        // An answer began but carried no status: as grpc-js, a reset without a status is
        // UNAVAILABLE (refused), CANCELLED (cancel) or INTERNAL; a clean end is UNKNOWN.
        this.#status =
          code === NGHTTP2_REFUSED_STREAM
            ? GRPC_STATUS.unavailable
            : code === NGHTTP2_CANCEL
              ? GRPC_STATUS.cancelled
              : code
                ? GRPC_STATUS.internal
                : GRPC_STATUS.unknown;
      } else {
        this.#failure = code === NGHTTP2_REFUSED_STREAM ? "refused" : "reset";
      }
    }
    this.#report();
  };

  #report(): void {
    if (this.#reported) return;
    this.#reported = true;
    if (this.#streamTimer !== undefined) clearTimeout(this.#streamTimer);
    this.#streamTimer = undefined;
    this.#stream = undefined;
    const t = this.transport;
    if (this.#measured) {
      const stats = t.stats;
      stats.sent += this.#sent;
      stats.received += this.#received;
      if (this.#firstAt >= 0) stats.firstMessage.record((this.#firstAt - this.#startedAt) * 1000);
    }
    if (this.#failure !== undefined) t.sink.onOutcome(this.lane, 0, this.#failure);
    else t.sink.onOutcome(this.lane, this.#status, undefined);
  }

  /** The request could not even be started (the session failed synchronously). */
  fail(error: unknown, measured: boolean): void {
    this.#call++;
    this.#measured = measured;
    this.#failure = classifyTransportError(error);
    this.#status = -1;
    this.#sent = 0;
    this.#received = 0;
    this.#firstAt = -1;
    this.#reported = false;
    queueMicrotask(() => this.#report());
  }

  stop(): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    if (this.#streamTimer !== undefined) clearTimeout(this.#streamTimer);
    this.#deadline = undefined;
    this.#streamTimer = undefined;
    this.#reported = true;
  }
}

/** The host and port of `http://host:port` (IPv6 without its brackets). */
function targetOf(options: GrpcTransportOptions): H2Target {
  const url = new URL(options.origin);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  return {
    host,
    port: Number(url.port || (options.tls ? 443 : 80)),
    tls: options.tls,
    connectTimeoutMs: options.connectTimeoutMs,
    keepaliveMs: options.keepaliveMs,
  };
}

class GrpcTransportImpl implements WireLaneHost {
  readonly stats = new Stats();
  readonly messages: MessageSource;
  readonly #metadata: MetadataSource;
  /** Unary and server-streaming calls run on this package's HTTP/2 client (`h2/`). */
  readonly #wire: boolean;
  readonly #connections: Connection[] = [];
  readonly #lanes: GrpcLane[] = [];
  readonly #slots: ConnectionSlot[] = [];
  readonly #wireLanes: WireLane[] = [];
  readonly #headers: Record<string, string>;
  /** The request header block when the metadata has no templates. */
  readonly #block: Buffer;
  readonly #workerId: string;
  #sends = 0;
  #destroyed = false;

  constructor(
    readonly options: GrpcTransportOptions,
    readonly sink: OutcomeSink,
    lanes: number,
    private readonly share: { index: number; count: number },
  ) {
    this.messages = new MessageSource(options.messages);
    this.#metadata = new MetadataSource(options.metadata);
    const connections = Math.max(
      1,
      Math.min(lanes, Math.round(options.connections / Math.max(1, share.count))),
    );
    this.#wire =
      (options.unaryClient ?? "h2") === "h2" &&
      (options.kind === "unary" || options.kind === "server-stream");
    if (this.#wire) {
      const target = targetOf(options);
      for (let i = 0; i < connections; i++) this.#slots.push(new ConnectionSlot(target));
      const timed = options.kind === "server-stream";
      for (let lane = 0; lane < lanes; lane++)
        this.#wireLanes.push(new WireLane(this, lane, timed));
    } else {
      for (let i = 0; i < connections; i++) this.#connections.push(new Connection(options));
      for (let lane = 0; lane < lanes; lane++) this.#lanes.push(new GrpcLane(this, lane));
    }
    this.#headers = this.#baseHeaders();
    if (this.#metadata.isStatic) this.#metadata.addTo(this.#headers, undefined);
    this.#block = encodeHeaderBlock(Object.entries(this.#headers));
    this.#workerId = String(share.index);
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  #baseHeaders(): Record<string, string> {
    // Pseudo-headers first (RFC 9113 §8.3): the header block keeps this order.
    return {
      ":method": "POST",
      ":scheme": this.options.tls ? "https" : "http",
      ":path": this.options.path,
      ":authority": this.options.authority,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": grpcTimeout(this.options.timeoutMs),
      "user-agent": "iter8-grpc",
    };
  }

  /** ghz's template data of a call: `RequestNumber` counts this thread's calls across all threads. */
  callData(requestNumber: number, lane: number): object {
    return callData(this.options.call, requestNumber, `${this.#workerId}.${lane}`);
  }

  send(lane: number, measured: boolean): void {
    // Calls are numbered across threads: this thread's n-th call is index + n * count.
    const requestNumber = this.share.index + this.#sends * this.share.count;
    this.#sends++;
    if (this.#wire) {
      this.#sendWire(lane, measured, requestNumber);
      return;
    }
    const handler = this.#lanes[lane] as GrpcLane;
    if (this.#destroyed) {
      handler.fail(new Error("transport destroyed"), measured);
      return;
    }
    const templated = !this.messages.isStatic || !this.#metadata.isStatic;
    const data = templated ? this.callData(requestNumber, lane) : undefined;
    let headers = this.#headers;
    if (!this.#metadata.isStatic) {
      headers = this.#baseHeaders();
      this.#metadata.addTo(headers, data);
    }
    let stream: ClientHttp2Stream;
    const connection = this.#connections[lane % this.#connections.length] as Connection;
    try {
      stream = connection.get().request(headers, REQUEST_OPTIONS);
    } catch (error) {
      handler.fail(error, measured);
      return;
    }
    handler.start(stream, connection, measured, requestNumber, data);
  }

  #sendWire(lane: number, measured: boolean, requestNumber: number): void {
    const handler = this.#wireLanes[lane] as WireLane;
    if (this.#destroyed) {
      handler.fail(measured, "other");
      return;
    }
    if (this.messages.isStatic && this.#metadata.isStatic) {
      const slot = this.#slots[lane % this.#slots.length] as ConnectionSlot;
      handler.start(slot, measured, this.#block, this.messages.frame(requestNumber, undefined));
      return;
    }
    const data = this.callData(requestNumber, lane);
    let block = this.#block;
    if (!this.#metadata.isStatic) {
      const headers = this.#baseHeaders();
      this.#metadata.addTo(headers, data);
      block = encodeHeaderBlock(Object.entries(headers));
    }
    let body: Buffer;
    try {
      body = this.messages.frame(requestNumber, data);
    } catch {
      // The message was checked before the load; a template that fails now fails its call.
      handler.fail(measured, "other");
      return;
    }
    handler.start(this.#slots[lane % this.#slots.length] as ConnectionSlot, measured, block, body);
  }

  async destroy(): Promise<void> {
    this.#destroyed = true;
    for (const lane of this.#lanes) lane.stop();
    for (const lane of this.#wireLanes) lane.stop();
    for (const slot of this.#slots) slot.close();
    await Promise.all(this.#connections.map((connection) => connection.close()));
  }

  transportStats(): TransportStats {
    return {
      counts: {
        [STAT_MESSAGES_SENT]: this.stats.sent,
        [STAT_MESSAGES_RECEIVED]: this.stats.received,
      },
      histograms: { [STAT_FIRST_MESSAGE]: this.stats.firstMessage },
    };
  }
}

/**
 * @public The `createTransport` export `LoadOptions.transport` names: builds the gRPC transport of
 * one thread's share from `GrpcTransportOptions`.
 */
export function createTransport(
  options: unknown,
  share: { index: number; count: number },
): CreateTransport {
  const grpcOptions = options as GrpcTransportOptions;
  return (lanes, sink) => {
    const transport = new GrpcTransportImpl(grpcOptions, sink, lanes, share);
    return {
      send: (lane, measured) => transport.send(lane, measured),
      destroy: () => transport.destroy(),
      stats: () => transport.transportStats(),
    };
  };
}
