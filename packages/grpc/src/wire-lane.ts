// Unary and server-streaming calls on this package's own HTTP/2 client (`h2/`): one lane carries
// one call at a time; a slot holds the connection its lanes share and replaces it after GOAWAY or
// failure.
import type { Buffer } from "node:buffer";
import type { LatencyHistogram } from "@iter8/metrics";
import { classifyTransportError } from "@iter8/loadgen";
import type { OutcomeSink, TransportErrorClass } from "@iter8/loadgen";
import { H2Call, H2Connection } from "./h2/connection.js";
import type { H2ConnectionEvents, H2Target, ResponseHeaders } from "./h2/connection.js";
import { H2_ERROR } from "./h2/frames.js";
import { GRPC_STATUS, statusFromHttp } from "./status.js";

/** What a lane needs from its transport. */
export interface WireLaneHost {
  readonly sink: OutcomeSink;
  readonly timeoutMs: number;
  /** Per-thread figures of measured calls. */
  readonly stats: { sent: number; received: number; readonly firstMessage: LatencyHistogram };
}

/** The connection a group of lanes shares, replaced when it retires (GOAWAY, failure). */
export class ConnectionSlot implements H2ConnectionEvents {
  #current: H2Connection | undefined;
  readonly #open = new Set<H2Connection>();

  constructor(private readonly target: H2Target) {}

  /** Places `call` on the live connection, connecting one if there is none. */
  submit(call: H2Call): void {
    let connection = this.#current;
    if (connection === undefined || !connection.accepting) {
      try {
        connection = new H2Connection(this.target, this);
      } catch (error) {
        // E.g. TLS options the socket refuses: the call fails, later (never inside `send`).
        const errorClass = classifyTransportError(error);
        queueMicrotask(() => call.onFailure(errorClass));
        return;
      }
      this.#current = connection;
      this.#open.add(connection);
    }
    connection.submit(call);
  }

  onRetire(connection: H2Connection, unsent: H2Call[]): void {
    if (this.#current === connection) this.#current = undefined;
    for (const call of unsent) this.submit(call);
  }

  onClose(connection: H2Connection): void {
    this.#open.delete(connection);
    if (this.#current === connection) this.#current = undefined;
  }

  /** Closes every connection, draining ones included. */
  close(): void {
    for (const connection of this.#open) connection.close();
    this.#open.clear();
    this.#current = undefined;
  }
}

/**
 * One lane of unary or server-streaming calls. Outcomes follow grpc-js: the status from the
 * trailers (or a trailers-only response), else from the HTTP status; a reset without a status is
 * a transport failure before the response began, UNAVAILABLE, CANCELLED or INTERNAL after it.
 */
export class WireLane extends H2Call {
  #call = 0;
  #measured = false;
  #timed = false;
  #startedAt = 0;
  #status = -1;
  #gotHeaders = false;
  #reported = true;
  // Response framing: bytes of the current 5-byte prefix still to read, then of the message.
  #prefixLeft = 5;
  #length = 0;
  #bodyLeft = 0;
  #received = 0;
  #firstAt = -1;
  #deadline: ReturnType<typeof setTimeout> | undefined;
  #deadlineCall = -1;

  constructor(
    private readonly host: WireLaneHost,
    private readonly lane: number,
    /** Server streaming: time the first response message. */
    timeFirstMessage: boolean,
  ) {
    super();
    this.#timed = timeFirstMessage;
  }

  /** Starts a call with this request on `slot`'s connection. */
  start(slot: ConnectionSlot, measured: boolean, headerBlock: Buffer, body: Buffer): void {
    this.#call++;
    this.#measured = measured;
    if (this.#timed) this.#startedAt = performance.now();
    this.#status = -1;
    this.#gotHeaders = false;
    this.#reported = false;
    this.#prefixLeft = 5;
    this.#length = 0;
    this.#bodyLeft = 0;
    this.#received = 0;
    this.#firstAt = -1;
    this.headerBlock = headerBlock;
    this.body = body;
    this.#armDeadline();
    slot.submit(this);
  }

  #armDeadline(): void {
    this.#deadlineCall = this.#call;
    if (this.#deadline === undefined) {
      this.#deadline = setTimeout(this.#onDeadline, this.host.timeoutMs);
      this.#deadline.unref();
    } else {
      this.#deadline.refresh();
    }
  }

  readonly #onDeadline = (): void => {
    if (this.#reported || this.#deadlineCall !== this.#call) return;
    // The deadline passed: DEADLINE_EXCEEDED whatever comes later (as grpc-js); the stream is
    // reset with CANCEL, or the call leaves the queue.
    this.connection?.cancel(this);
    this.#report(GRPC_STATUS.deadlineExceeded, undefined);
  };

  onHeaders(headers: ResponseHeaders, endStream: boolean): void {
    if (!this.#gotHeaders) {
      const http = headers.httpStatus;
      // 1xx informational responses precede the real one.
      if (http >= 100 && http < 200 && !endStream) return;
      this.#gotHeaders = true;
      if (headers.grpcStatus >= 0)
        this.#status = headers.grpcStatus; // Trailers-Only
      else if (http !== 200) this.#status = statusFromHttp(http);
    } else if (headers.grpcStatus >= 0) {
      this.#status = headers.grpcStatus;
    } else if (this.#status < 0) {
      this.#status = GRPC_STATUS.unknown;
    }
    if (endStream) this.#finish();
  }

  onData(data: Buffer, endStream: boolean): void {
    const length = data.length;
    let i = 0;
    while (i < length) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, length - i);
        this.#bodyLeft -= take;
        i += take;
        if (this.#bodyLeft === 0) this.#onMessage();
        continue;
      }
      const byte = data[i] as number;
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
    if (endStream) this.#finish();
  }

  #onMessage(): void {
    this.#received++;
    if (this.#timed && this.#firstAt < 0) this.#firstAt = performance.now();
  }

  /** The response ended (END_STREAM). */
  #finish(): void {
    let status = this.#status;
    // Ended without a status: UNKNOWN after headers (as grpc-js), INTERNAL without any.
    if (status < 0) status = this.#gotHeaders ? GRPC_STATUS.unknown : GRPC_STATUS.internal;
    this.#report(status, undefined);
  }

  onReset(code: number): void {
    if (this.#status >= 0) {
      this.#report(this.#status, undefined);
    } else if (this.#gotHeaders) {
      this.#report(
        code === H2_ERROR.refusedStream
          ? GRPC_STATUS.unavailable
          : code === H2_ERROR.cancel
            ? GRPC_STATUS.cancelled
            : code === H2_ERROR.noError
              ? GRPC_STATUS.unknown
              : GRPC_STATUS.internal,
        undefined,
      );
    } else {
      this.#report(-1, code === H2_ERROR.refusedStream ? "refused" : "reset");
    }
  }

  onFailure(errorClass: TransportErrorClass): void {
    this.#report(-1, errorClass);
  }

  #report(status: number, failure: TransportErrorClass | undefined): void {
    if (this.#reported) return;
    this.#reported = true;
    const host = this.host;
    if (this.#measured) {
      const stats = host.stats;
      stats.sent += 1;
      stats.received += this.#received;
      if (this.#firstAt >= 0) stats.firstMessage.record((this.#firstAt - this.#startedAt) * 1000);
    }
    if (failure !== undefined) host.sink.onOutcome(this.lane, 0, failure);
    else host.sink.onOutcome(this.lane, status, undefined);
  }

  /** The call could not be started (the transport is closed): reported in a microtask. */
  fail(measured: boolean, errorClass: TransportErrorClass): void {
    this.#call++;
    this.#measured = measured;
    this.#received = 0;
    this.#firstAt = -1;
    this.#reported = false;
    queueMicrotask(() => this.#report(-1, errorClass));
  }

  /** Stops the deadline timer; later events are dropped. */
  stop(): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
    this.#reported = true;
  }
}
