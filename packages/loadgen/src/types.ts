import type { LatencyHistogram } from "@iter8/metrics";
import type { ErrorRange, LoadSchedule } from "@iter8/spec";
import type { TransportModule, TransportStats } from "./transport.js";

/** A rate ramp (ghz's load schedules); defined with the experiment model in `@iter8/spec`. */
export type { LoadSchedule };

/** How paced requests are timed: see `LoadOptions.pacing`. */
export type Pacing = "precise" | "timer";

/**
 * Which HTTP/1.1 client carries the requests. `auto` (default): the lean client on `net` and `tls`
 * sockets (requests encoded once, a small response parser) for `http:` and `https:` without
 * pipelining, undici for the rest (pipelining, headers that change the framing). `lean` and
 * `undici` force one (`lean` fails with `ITER8_LOAD_OPTIONS` when it cannot carry the request).
 * undici is an optional peer dependency: install it (`npm install undici`) for the loads it carries.
 */
export type HttpClient = "auto" | "lean" | "undici";

/**
 * TLS of an `https:` load (both clients). Without it: Node's CA store, certificates verified, the
 * URL's host name sent as SNI and checked (an IP address is checked against the certificate's IPs).
 */
export interface HttpTls {
  /** CA certificates (PEM text) trusted instead of Node's store. */
  ca?: string;
  /** Skips the certificate check, chain and name (for test servers only). */
  skipVerify?: boolean;
  /** The name sent as SNI and checked against the certificate, instead of the URL's host. */
  serverName?: string;
}

/** How one version is loaded: where, what, how fast, how long. Times in milliseconds. */
export interface LoadOptions {
  /** Target URL (`http:` or `https:`). */
  url: string;
  /** HTTP method; POST when a body is given, GET otherwise. */
  method?: string;
  /** Request headers. */
  headers?: Record<string, string>;
  /** Request body, sent with every request. */
  body?: string | Uint8Array;
  /** `content-type` of the body (default `application/octet-stream` when a body is given). */
  contentType?: string;
  /** Exact number of measured requests (default 100 when neither this nor `durationMs` is set). */
  numRequests?: number;
  /** Measured duration: scheduling stops at the deadline, then in-flight requests get up to `timeoutMs`. */
  durationMs?: number;
  /** Target rate in requests per second; 0 sends as fast as the connections allow. */
  qps: number;
  /** Rate ramp (ghz's load schedules); a `step` or `line` ramp replaces `qps` (see `LoadSchedule`). */
  schedule?: LoadSchedule;
  /** Maximum requests in flight (one undici client per connection). */
  connections: number;
  /** Per-request timeout (default 3000, as Fortio's). */
  timeoutMs?: number;
  /** Discarded warm-up before measuring; default 1 s or 5% of the run, whichever is smaller; 0 = none. */
  warmupMs?: number;
  /** Caps the warm-up by count (with `warmupMs`, whichever comes first). */
  warmupRequests?: number;
  /** Worker threads sharing this load (pacing and connections split exactly); default 1 (no worker). */
  workers?: number;
  /**
   * How paced requests (`qps` > 0) are timed. `precise` (default): a clock thread wakes the engine
   * at each due time, within tens of microseconds; the wake also sends the requests due within
   * the next 0.25 ms (early by at most that), and from 2 000/s up those due within the next 2 ms,
   * ten at most, so wakes come every 2 ms (ten requests each at 5 000/s) or every ten requests.
   * `timer`: Node's millisecond timers; requests due in the same millisecond leave together, up
   * to 1-2 ms late (as autocannon's and k6's rates are timed), for less CPU per request at
   * thousands of requests per second on a small VM.
   */
  pacing?: Pacing;
  /** HTTP/1.1 pipelining depth per connection (default 1: no pipelining). */
  pipelining?: number;
  /** The HTTP/1.1 client (see `HttpClient`); default `auto`. */
  httpClient?: HttpClient;
  /** TLS of an `https:` URL (see `HttpTls`); ignored for `http:`. */
  tls?: HttpTls;
  /** Status ranges (inclusive) counted as errors; default `[{ lower: 400 }]`. Transport errors always count. */
  errorRanges?: ErrorRange[];
  /**
   * The protocol, when it is not HTTP/1.1: a module whose `createTransport` builds the transport in
   * each thread (`@iter8/grpc` uses this). `url`, `method`, `headers`, `body` and `pipelining`
   * are then the transport's business; the rest (rate, lanes as `connections`, counts, warm-up,
   * workers, `errorRanges` over the protocol's status codes) is shared.
   */
  transport?: TransportModule;
}

/** A snapshot of a running load, emitted at least every second. */
export interface LoadProgress {
  /** Milliseconds since measuring started (0 during the warm-up). */
  elapsedMs: number;
  /** Measured requests sent. */
  sent: number;
  /** Measured requests completed (responses and transport failures). */
  completed: number;
  /** Completed requests that were errors. */
  errors: number;
  /** Completions per second over the last interval. */
  rate: number;
  /** Estimated milliseconds until the run ends, when known. */
  etaMs?: number;
  /** `warmup` while the discarded warm-up runs. */
  phase?: "warmup" | "measure";
  /**
   * Latency percentiles over the interval since the previous timeline sample, in ms: on timeline
   * samples (one a second, and the last partial one) that had responses; with `workers`, from the
   * workers' merged interval histograms.
   */
  p50Ms?: number;
  p99Ms?: number;
}

/** What `runLoad` and friends accept besides the options. */
export interface LoadControl {
  /** Aborting resolves the run with what was measured so far, marked `aborted`. */
  signal?: AbortSignal;
  /** Called at least every second while the load runs. */
  onProgress?: (progress: LoadProgress) => void;
  /**
   * Called with each timeline sample (one a second of measuring, and a last partial one) and the
   * latency histogram (µs) of its interval, before `onProgress` gets the same sample; with
   * `workers`, the workers' merged sample and interval. The histogram is reused: clone it to keep
   * it. Together they let runs on other machines be merged exactly (`mergeLoadResults`).
   */
  onSample?: (sample: LoadProgress, interval: LatencyHistogram) => void;
}

/** Transport failure classes (requests that got no HTTP response). */
export type TransportErrorClass = "refused" | "reset" | "timeout" | "dns" | "tls" | "other";

/**
 * Dispatch lag summary: actual minus intended send time, in ms, of every paced request; 0 for one
 * that left early (a request due within 0.25 ms of a wake or an answer leaves with it; from 2 000
 * requests/s up, those due within a millisecond of a wake).
 */
export interface DispatchLag {
  p50: number;
  p99: number;
  max: number;
}

/** The measured outcome of one version's load. Plain data plus histograms that merge. */
export interface LoadResult {
  /** True when the run was aborted; the values cover the part that ran. */
  aborted: boolean;
  /** Completed measured requests (responses and transport failures). */
  requests: number;
  /** Requests with a status in `errorRanges` or a transport failure. */
  errors: number;
  /** Responses by status code, e.g. `{ "200": 98, "503": 2 }`. */
  statusCodes: Record<string, number>;
  /** Transport failures by class. */
  errorClasses: Record<string, number>;
  /** When measuring started (epoch ms, after the warm-up). */
  startTime: number;
  /** Measured time: the scheduled window, extended by requests still in flight at its end. */
  durationMs: number;
  /** `requests` per second over `durationMs`. */
  achievedRate: number;
  /** Latency in µs of requests that got a response; from the intended send time when paced. */
  latency: LatencyHistogram;
  /** Latency in µs from the actual send time (equals `latency` when unpaced). */
  serviceTime: LatencyHistogram;
  /** µs each paced request waited for a free connection past its intended send time (empty when unpaced). */
  queueWait: LatencyHistogram;
  /** How late paced requests left versus when they could have (schedule and free connection); ms. */
  dispatchLagMs?: DispatchLag;
  /** Warm-up requests sent and discarded before measuring. */
  warmupRequests: number;
  /** Progress samples, one per second of measuring. */
  timeline: LoadProgress[];
  /** The transport's own figures of the measured requests (a `TransportModule` that keeps any). */
  transportStats?: TransportStats;
}
