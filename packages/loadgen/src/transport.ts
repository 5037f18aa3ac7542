import type { TransportErrorClass } from "./types.js";

/**
 * Where a transport reports each request's outcome: an HTTP status, or (status 0) a transport
 * failure class. Called exactly once per `send`, never synchronously from inside `send`.
 */
export interface OutcomeSink {
  onOutcome(lane: number, status: number, errorClass: TransportErrorClass | undefined): void;
}

/**
 * "Send one request, report the outcome": the interface between the load engine and a protocol.
 * A lane is a slot that carries at most one request at a time; the engine never sends on a busy
 * lane. HTTP is one implementation (gRPC later another).
 */
export interface Transport {
  /** Sends one request on `lane`; its outcome arrives later through the sink. */
  send(lane: number): void;
  /** Closes every connection; outcomes of requests still in flight are dropped. */
  destroy(): Promise<void>;
}

/** Builds a transport with `lanes` lanes that reports to `sink`. */
export type CreateTransport = (lanes: number, sink: OutcomeSink) => Transport;
