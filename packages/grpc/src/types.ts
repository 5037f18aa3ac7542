import type { LatencyHistogram } from "@iter8/metrics";
import type { LoadControl, LoadResult, LoadSchedule, Pacing } from "@iter8/loadgen";

/** The four gRPC call kinds, from the method's descriptor. */
export type GrpcCallKind = "unary" | "client-stream" | "server-stream" | "bidi-stream";

/** TLS to the target; plaintext (h2c) when absent. */
export interface GrpcTls {
  /** PEM file of the CA that signed the server's certificate (default: Node's CA store). */
  caFile?: string;
  /** Skip verifying the server's certificate (ghz `skipTLS`); for test servers only. */
  skipVerify?: boolean;
  /** Server name for SNI and verification, and the calls' `:authority` (ghz `cname`, as grpc-go). */
  serverName?: string;
}

/**
 * How one gRPC target is loaded: ghz's inputs as Iter8 passed them, typed and in milliseconds.
 * The service definition comes from `proto`/`protoURL`, or `protoset`, or else server reflection.
 */
export interface GrpcLoadOptions {
  /** `host:port` of the server (ghz `host`). */
  host: string;
  /** Method: `package.Service.Method` or `package.Service/Method`. */
  call: string;
  /** Path of a `.proto` file (relative paths resolve against `baseDir`). */
  proto?: string;
  /** http(s) URL of a `.proto` file (Iter8's `protoURL`). */
  protoURL?: string;
  /** Path or http(s) URL of a compiled FileDescriptorSet (`protoc -o`). */
  protoset?: string;
  /** Directories searched for the proto's imports (ghz `import-paths`). */
  importPaths?: string[];
  /**
   * The request message as JSON (protobuf JSON mapping), or a list of messages: a client or
   * bidirectional stream sends them in order; a unary call takes them in turn, as ghz does.
   * Strings may hold ghz's template actions, e.g. `{{.RequestNumber}}`, rendered per call.
   */
  data?: unknown;
  /** http(s) URL or path of a JSON file holding `data`. */
  dataURL?: string;
  /** A binary-encoded request message (or messages), sent as is. */
  binaryData?: Uint8Array | Uint8Array[];
  /** http(s) URL or path of a binary-encoded request message. */
  binaryDataURL?: string;
  /** Request metadata (headers); values may hold template actions as `data`. */
  metadata?: Record<string, string>;
  /** http(s) URL or path of a JSON object of metadata. */
  metadataURL?: string;

  /** Exact number of measured calls (ghz `total`); default 200 when neither this nor `durationMs` is set. */
  numRequests?: number;
  /** Measured duration (ghz `duration`). */
  durationMs?: number;
  /** Calls per second (ghz `rps`); 0 sends as fast as `concurrency` allows. */
  qps: number;
  /** Calls in flight at most (ghz `concurrency`). */
  concurrency: number;
  /** Separate HTTP/2 connections the calls are spread over (ghz `connections`); default 1. */
  connections?: number;
  /** Rate ramp (ghz `load-schedule` and friends); `qps` is the rate it holds at the end. */
  schedule?: LoadSchedule;
  /** Per-call deadline (ghz `timeout`, default 20 s as ghz). */
  timeoutMs?: number;
  /** Connection timeout (ghz `connect-timeout`, default 10 s as ghz). */
  connectTimeoutMs?: number;
  /** HTTP/2 keepalive ping interval (ghz `keepalive`); none when absent. */
  keepaliveMs?: number;
  /** TLS; plaintext when absent (ghz `insecure: true`). */
  tls?: GrpcTls;
  /** Calls sent and discarded before measuring (ghz `skipFirst`), on top of the time warm-up. */
  skipFirst?: number;
  /** Discarded warm-up before measuring, as for HTTP (`@iter8/loadgen`). */
  warmupMs?: number;
  /**
   * Non-OK statuses count as errors (ghz `count-errors`); default true. When false only transport
   * failures (no status from the server) count.
   */
  countErrors?: boolean;
  /** Streams: time between messages sent (ghz `stream-interval`). */
  streamIntervalMs?: number;
  /** Streams: the client ends the stream after this long (ghz `stream-call-duration`). */
  streamCallDurationMs?: number;
  /** Streams: the client ends the stream after this many messages (ghz `stream-call-count`). */
  streamCallCount?: number;
  /** Worker threads sharing this load, as for HTTP. */
  workers?: number;
  /** How paced calls are timed, as for HTTP. */
  pacing?: Pacing;
  /** Directory that relative paths resolve against (default: the working directory). */
  baseDir?: string;
}

/** Per-message figures of streaming calls (absent for unary calls). */
export interface GrpcStreamStats {
  /** Request messages sent in measured calls. */
  messagesSent: number;
  /** Response messages received in measured calls. */
  messagesReceived: number;
  /** `messagesSent` per second over the measured duration. */
  sentRate: number;
  /** `messagesReceived` per second over the measured duration. */
  receivedRate: number;
  /** µs from the start of a call to its first response message (calls that got one). */
  firstMessage: LatencyHistogram;
}

/**
 * The measured outcome of one gRPC target: the shared `LoadResult` (latency per call in µs, from
 * the intended start when paced; `statusCodes` keyed by the numeric gRPC status code; transport
 * failures, which got no status, in `errorClasses`), plus what is gRPC's own.
 */
export interface GrpcLoadResult extends LoadResult {
  /** The call kind of the method that was loaded. */
  kind: GrpcCallKind;
  /** Calls by gRPC status name as ghz reports them, e.g. `{ OK: 198, Unavailable: 2 }`. */
  statusNames: Record<string, number>;
  /** Per-message figures (streaming calls only). */
  streams?: GrpcStreamStats;
}

/** What `runGrpcLoad` accepts besides the options: abort and progress, as for HTTP. */
export type GrpcLoadControl = LoadControl;
