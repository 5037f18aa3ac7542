import type { LatencyHistogram } from "@iter8/metrics";
import { flattenHeaders, toBodyBuffer } from "./http-request.js";
import type { HttpRequestSpec } from "./http-request.js";
import { createNetHttpTransport, leanUnsupportedReason } from "./net-http-transport.js";
import { LoadgenError } from "./errors.js";
import type { EngineConfig, EngineDeps, EngineResult, WakeGroup } from "./load-engine.js";
import { pacedWarmupRequests } from "./options.js";
import type { ResolvedLoadOptions } from "./options.js";
import { createErrorStatusTable } from "./outcome.js";
import { Pacer, countShare, createRateCurve } from "./pacer.js";
import type { CreateTransport, TransportFactory } from "./transport.js";

/** `createHttpTransport` of `http-transport.ts`, whose module (undici's) is imported on demand. */
type CreateHttpTransport = (spec: HttpRequestSpec) => CreateTransport;
import type { DispatchLag, LoadResult } from "./types.js";
import type { Clock } from "./waker.js";
import { createPrecisionWaker, createTimerWaker, spinForInterval } from "./waker.js";

/**
 * How early a paced request may leave so that it shares a send opportunity (a wake, or an answer
 * that frees a connection) with what is due just before it (see `EnginePacing.earlyMs`). A quarter
 * of a millisecond is below the wake-up jitter of a loaded machine and 0.25% of the bench's 100 ms
 * windows. At high rates `PACED_WAKE_GROUP` widens it for wakes.
 */
export const PACED_EARLY_MS = 0.25;

/**
 * With `pacing: precise`, where requests fall due every 0.5 ms or more often (2 000/s and more),
 * a wake also carries the requests due within the next 2 ms, ten at most (see `sendWindows`):
 * four per wake at 2 000/s, ten at 5 000/s and above, so wakes come every 2 ms at 2 000-5 000/s
 * and every ten requests above (above 40 000/s, all those due within `PACED_EARLY_MS`). Each wake costs two thread wake-ups (the clock thread's and the
 * engine's), and on a VM a thread wake-up costs about 40 µs of CPU, more than a request: at
 * 5 000/s one wake per two requests cost 2.1–2.5× autocannon's CPU per request, one per five
 * 1.47×, one per ten 1.22× (medians of 5 rounds by hand; apps/bench/README.md). Ten at most keeps the bursts a wake sends
 * no larger than at 10 000/s; slower rates stay exact to `PACED_EARLY_MS`. `pacing: timer` groups
 * by Node's millisecond timers instead and takes `PACED_EARLY_MS` only.
 */
export const PACED_WAKE_GROUP: Readonly<WakeGroup> = { gapMs: 2, min: 4, max: 10 };

/** Progress is reported twice a second; the timeline keeps one sample per second. */
const PROGRESS_INTERVAL_MS = 500;
const TIMELINE_EVERY = 2;

/** The undici version this package's deep import is tested against (its exact peer pin). */
export const UNDICI_VERSION = "7.30.2";

/**
 * The HTTP/1.1 transport of these options: the lean one on `net`/`tls` sockets where it can carry
 * the requests (no pipelining, no header that changes the framing) unless undici is asked for,
 * undici otherwise.
 */
async function httpTransport(options: ResolvedLoadOptions): Promise<CreateTransport> {
  const spec: HttpRequestSpec = {
    url: options.url,
    method: options.method,
    headers: flattenHeaders(options.headers, options.contentType),
    body: toBodyBuffer(options.body),
    timeoutMs: options.timeoutMs,
    pipelining: options.pipelining,
    tls: options.tls,
  };
  let why = 'httpClient "undici"';
  if (options.httpClient !== "undici") {
    const reason = leanUnsupportedReason(spec);
    if (reason === undefined) return createNetHttpTransport(spec);
    if (options.httpClient === "lean") {
      throw new LoadgenError(
        "ITER8_LOAD_OPTIONS",
        `httpClient "lean" cannot carry this load: ${reason}`,
      );
    }
    why = `this load (${reason})`;
  }
  // undici (and its WebAssembly parser) is loaded only by the loads that need it; it is an
  // optional peer dependency, so it may not be installed at all.
  let createHttpTransport: CreateHttpTransport;
  try {
    ({ createHttpTransport } = await import("./http-transport.js"));
  } catch (error) {
    if (!isMissingUndici(error)) throw error;
    throw new LoadgenError(
      "ITER8_LOAD_OPTIONS",
      `${why} needs the undici package, which is not installed: npm install undici@${UNDICI_VERSION}`,
      { cause: error },
    );
  }
  return createHttpTransport(spec);
}

/** True when `error` says the `undici` package cannot be found (not some other failure). */
function isMissingUndici(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  return (
    (code === "MODULE_NOT_FOUND" || code === "ERR_MODULE_NOT_FOUND") &&
    typeof message === "string" &&
    message.includes("undici")
  );
}

/**
 * The transport of share `index` of `count` (threads): HTTP/1.1, or the `createTransport` export
 * of `options.transport.module`, built from its plain-data options.
 */
export async function loadTransport(
  options: ResolvedLoadOptions,
  index: number,
  count: number,
): Promise<CreateTransport> {
  const spec = options.transport;
  if (!spec) return httpTransport(options);
  const loaded = (await import(spec.module)) as { createTransport?: unknown };
  if (typeof loaded.createTransport !== "function") {
    throw new LoadgenError(
      "ITER8_LOAD_OPTIONS",
      `transport.module ${spec.module} has no createTransport export`,
    );
  }
  const factory = loaded.createTransport as TransportFactory;
  return factory(spec.options, { index, count });
}

/** The engine's collaborators in this thread, sending through `createTransport` (`loadTransport`). */
export function createEngineDeps(
  options: ResolvedLoadOptions,
  clock: Clock,
  createTransport: CreateTransport,
): EngineDeps {
  // A ramp starts at its start rate; the engine retunes the clock thread as the rate changes.
  const rate = options.schedule ? options.schedule.start : options.qps;
  const share = rate / Math.max(1, options.workers);
  return {
    clock,
    createTransport,
    createWaker:
      options.pacing === "timer"
        ? createTimerWaker
        : createPrecisionWaker({
            spinMs: share > 0 ? spinForInterval(1000 / share) : 0,
            intervalMs: share > 0 ? 1000 / share : 1000,
          }),
  };
}

/**
 * The engine configuration of share `index` of `count` (worker threads): paced runs take every
 * `count`-th request of the run's schedule, unpaced runs split connections and requests.
 */
export function planShare(
  options: ResolvedLoadOptions,
  startAt: number,
  index: number,
  count: number,
): EngineConfig {
  const common = {
    lanes: countShare(options.connections, index, count) * options.pipelining,
    startAt,
    durationMs: options.durationMs,
    timeoutMs: options.timeoutMs,
    errorStatus: createErrorStatusTable(options.errorRanges),
    progressIntervalMs: PROGRESS_INTERVAL_MS,
    timelineEvery: TIMELINE_EVERY,
  };
  if (options.paced) {
    const warmup = pacedWarmupRequests(options);
    // The warm-up runs at the ramp's start rate, so the ramp begins when measuring does.
    const curve = createRateCurve(options.qps, options.schedule, warmup);
    const measureStartAt = startAt + 1000 * curve.timeOf(warmup);
    const windowEndAt = Math.min(
      startAt + 1000 * curve.timeOf(warmup + options.numRequests),
      measureStartAt + options.durationMs,
    );
    return {
      ...common,
      pacing: {
        pacer: new Pacer(curve, startAt, index, count),
        measureStartAt,
        windowEndAt,
        earlyMs: PACED_EARLY_MS,
        wakeGroup: options.pacing === "precise" ? { ...PACED_WAKE_GROUP } : undefined,
      },
      warmupRequests: countShare(warmup, index, count),
      warmupMs: Number.POSITIVE_INFINITY,
      measuredRequests:
        countShare(warmup + options.numRequests, index, count) - countShare(warmup, index, count),
    };
  }
  return {
    ...common,
    warmupRequests: countShare(options.warmupRequests, index, count),
    warmupMs: options.warmupMs,
    measuredRequests: countShare(options.numRequests, index, count),
  };
}

/** Turns an engine's raw measurement into a `LoadResult`; `timeOrigin` maps its clock to epoch ms. */
export function toLoadResult(result: EngineResult, timeOrigin: number): LoadResult {
  const measured = !Number.isNaN(result.measureStart);
  // Rounded to the microsecond: the difference of two large clock readings carries float noise
  // (a 3.5 s schedule window came out as 3499.9999999999995 ms).
  const durationMs = measured
    ? roundToMicros(Math.max(0, result.endTime - result.measureStart))
    : 0;
  const load: LoadResult = {
    aborted: result.aborted,
    requests: result.requests,
    errors: result.errors,
    statusCodes: result.statusCodes,
    errorClasses: result.errorClasses,
    startTime: timeOrigin + (measured ? result.measureStart : result.endTime),
    durationMs,
    achievedRate: durationMs > 0 ? (result.requests * 1000) / durationMs : 0,
    latency: result.latency,
    serviceTime: result.serviceTime,
    queueWait: result.queueWait,
    warmupRequests: result.warmupRequests,
    timeline: result.timeline,
  };
  if (result.transportStats) load.transportStats = result.transportStats;
  const lag = result.dispatchLag && summariseLag(result.dispatchLag);
  if (lag) load.dispatchLagMs = lag;
  return load;
}

function summariseLag(lagUs: LatencyHistogram): DispatchLag | undefined {
  if (lagUs.count === 0) return undefined;
  return {
    p50: lagUs.percentile(50) / 1000,
    p99: lagUs.percentile(99) / 1000,
    max: lagUs.max / 1000,
  };
}

function roundToMicros(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
