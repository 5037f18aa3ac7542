import type { LatencyHistogram } from "@iter8/metrics";
import type { TransportErrorClass } from "./types.js";

/**
 * Where a transport reports each request's outcome: a protocol status (HTTP's status code, gRPC's
 * status code, where 0 is OK), or a transport failure (no status: the request got no answer),
 * signalled by its `errorClass`. Called exactly once per `send`, never synchronously from inside
 * `send`.
 */
export interface OutcomeSink {
  onOutcome(lane: number, status: number, errorClass: TransportErrorClass | undefined): void;
}

/**
 * Figures of a protocol's own (e.g. gRPC's messages per stream), for measured requests only:
 * counts that add up and µs histograms that merge across worker threads.
 */
export interface TransportStats {
  counts: Record<string, number>;
  histograms: Record<string, LatencyHistogram>;
}

/**
 * "Send one request, report the outcome": the interface between the load engine and a protocol.
 * A lane is a slot that carries at most one request at a time; the engine never sends on a busy
 * lane. HTTP/1.1 (undici) and gRPC (`@iter8/grpc`, on node:http2) implement it.
 */
export interface Transport {
  /**
   * Sends one request on `lane`; its outcome arrives later through the sink. `measured` is false
   * for warm-up requests (a transport that keeps its own figures leaves those out).
   */
  send(lane: number, measured: boolean): void;
  /** Closes every connection; outcomes of requests still in flight are dropped. */
  destroy(): Promise<void>;
  /** The transport's own figures of the measured requests, read when the run ends. */
  stats?(): TransportStats;
}

/** Builds a transport with `lanes` lanes that reports to `sink`. */
export type CreateTransport = (lanes: number, sink: OutcomeSink) => Transport;

/**
 * A transport that worker threads can rebuild: the module's `createTransport` export is called
 * with `options` (structured-cloneable data) and the thread's share, in each thread.
 */
export interface TransportModule {
  /** An importable module specifier (a `file:` URL or a package export). */
  module: string;
  /** Plain data the module's factory needs (pre-encoded messages, descriptors, ...). */
  options: unknown;
}

/** What a `TransportModule`'s `createTransport` export looks like. */
export type TransportFactory = (
  options: unknown,
  share: { index: number; count: number },
) => CreateTransport | Promise<CreateTransport>;
