import { LatencyHistogram } from "@iter8/metrics";
import type { LoadProgress, LoadResult, LoadResultPart } from "@iter8/loadgen";
import { z } from "zod";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";

/** The version of the measurement encoding this iter8 writes and reads. */
export const SHARD_MEASUREMENT_VERSION = 1;
/** The largest encoded measurement: what one Kubernetes Secret holds. */
export const MAX_SHARD_MEASUREMENT_BYTES = 1024 * 1024;
const FORMAT = "iter8-shard-measurement";

/** What one shard measured: for each load task it ran, one result per version (null: skipped). */
export interface ShardMeasurement {
  /** The shard's index, 0 to `count - 1`. */
  shard: number;
  /** How many shards the experiment ran on. */
  count: number;
  /** Epoch ms at which the shard started its first load (after sleeping until the common start). */
  startedAt: number;
  /** Per load task, by the task's index in the experiment. */
  tasks: Array<{ index: number; versions: Array<LoadResultPart | null> }>;
}

const counts = z.record(z.string(), z.number().int().min(0));
const sampleSchema = z.object({
  elapsedMs: z.number(),
  sent: z.number().min(0),
  completed: z.number().min(0),
  errors: z.number().min(0),
  rate: z.number(),
  p50Ms: z.number().optional(),
  p99Ms: z.number().optional(),
  interval: z.string().optional(),
});
const versionSchema = z.object({
  aborted: z.boolean(),
  requests: z.number().int().min(0),
  errors: z.number().int().min(0),
  statusCodes: counts,
  errorClasses: counts,
  startTime: z.number(),
  durationMs: z.number().min(0),
  warmupRequests: z.number().int().min(0),
  latency: z.string(),
  serviceTime: z.string(),
  queueWait: z.string(),
  dispatchLagMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).optional(),
  timeline: z.array(sampleSchema),
});
const measurementSchema = z.object({
  format: z.literal(FORMAT),
  version: z.number().int(),
  shard: z.number().int().min(0),
  count: z.number().int().min(1),
  startedAt: z.number(),
  tasks: z.array(
    z.object({ index: z.number().int().min(0), versions: z.array(versionSchema.nullable()) }),
  ),
});
type EncodedVersion = z.infer<typeof versionSchema>;

function encodeVersion(part: LoadResultPart, withIntervals: boolean): EncodedVersion {
  const { result, intervals } = part;
  const encoded: EncodedVersion = {
    aborted: result.aborted,
    requests: result.requests,
    errors: result.errors,
    statusCodes: result.statusCodes,
    errorClasses: result.errorClasses,
    startTime: result.startTime,
    durationMs: result.durationMs,
    warmupRequests: result.warmupRequests,
    latency: result.latency.encode(),
    serviceTime: result.serviceTime.encode(),
    queueWait: result.queueWait.encode(),
    timeline: result.timeline.map((s, k) => {
      const sample: EncodedVersion["timeline"][number] = {
        elapsedMs: s.elapsedMs,
        sent: s.sent,
        completed: s.completed,
        errors: s.errors,
        rate: s.rate,
      };
      if (s.p50Ms !== undefined) sample.p50Ms = s.p50Ms;
      if (s.p99Ms !== undefined) sample.p99Ms = s.p99Ms;
      const interval = intervals?.[k];
      if (withIntervals && interval) sample.interval = interval.encode();
      return sample;
    }),
  };
  if (result.dispatchLagMs) encoded.dispatchLagMs = result.dispatchLagMs;
  return encoded;
}

function encodeWith(measurement: ShardMeasurement, withIntervals: boolean): string {
  return JSON.stringify({
    format: FORMAT,
    version: SHARD_MEASUREMENT_VERSION,
    shard: measurement.shard,
    count: measurement.count,
    startedAt: measurement.startedAt,
    tasks: measurement.tasks.map((task) => ({
      index: task.index,
      versions: task.versions.map((v) => (v ? encodeVersion(v, withIntervals) : null)),
    })),
  });
}

/**
 * Encodes a shard's measurement as compact JSON text: counters, HdrHistograms in their compressed
 * encoding and the timeline with each second's histogram, never raw samples; versioned. When that
 * exceeds {@link MAX_SHARD_MEASUREMENT_BYTES} (a very long run), the timeline's per-second
 * histograms are left out (the merged timeline then has no p50/p99). Throws `EngineError`
 * `ITER8_SHARD_MEASUREMENT` when even that is too large.
 */
export function encodeShardMeasurement(measurement: ShardMeasurement): string {
  const full = encodeWith(measurement, true);
  if (Buffer.byteLength(full) <= MAX_SHARD_MEASUREMENT_BYTES) return full;
  const lean = encodeWith(measurement, false);
  const bytes = Buffer.byteLength(lean);
  if (bytes <= MAX_SHARD_MEASUREMENT_BYTES) return lean;
  throw new EngineError(
    ENGINE_ERROR_CODES.shardMeasurement,
    `the measurement of shard ${measurement.shard} is ${bytes} bytes, over the ${MAX_SHARD_MEASUREMENT_BYTES} a shard may publish`,
  );
}

function fail(from: string, message: string): never {
  throw new EngineError(ENGINE_ERROR_CODES.shardMeasurement, `${from}: ${message}`);
}

function decodeHistogram(text: string, from: string, path: string): LatencyHistogram {
  try {
    return LatencyHistogram.decode(text);
  } catch (error) {
    return fail(from, `${path}: ${(error as Error).message}`);
  }
}

function decodeVersion(encoded: EncodedVersion, from: string, path: string): LoadResultPart {
  const timeline: LoadProgress[] = [];
  const intervals: LatencyHistogram[] = [];
  encoded.timeline.forEach((s, k) => {
    const { interval, ...sample } = s;
    timeline.push({ ...sample, phase: "measure" });
    if (interval !== undefined) {
      intervals.push(decodeHistogram(interval, from, `${path}.timeline[${k}].interval`));
    }
  });
  if (intervals.length > 0 && intervals.length !== timeline.length) {
    fail(from, `${path}.timeline: some samples have an interval histogram and some do not`);
  }
  const result: LoadResult = {
    aborted: encoded.aborted,
    requests: encoded.requests,
    errors: encoded.errors,
    statusCodes: encoded.statusCodes,
    errorClasses: encoded.errorClasses,
    startTime: encoded.startTime,
    durationMs: encoded.durationMs,
    achievedRate: encoded.durationMs > 0 ? (encoded.requests * 1000) / encoded.durationMs : 0,
    latency: decodeHistogram(encoded.latency, from, `${path}.latency`),
    serviceTime: decodeHistogram(encoded.serviceTime, from, `${path}.serviceTime`),
    queueWait: decodeHistogram(encoded.queueWait, from, `${path}.queueWait`),
    warmupRequests: encoded.warmupRequests,
    timeline,
  };
  if (encoded.dispatchLagMs) result.dispatchLagMs = encoded.dispatchLagMs;
  return intervals.length > 0 ? { result, intervals } : { result };
}

/**
 * Reads a measurement written by `encodeShardMeasurement`; `from` names where it came from in
 * errors (e.g. `shard 2's measurement`). Throws `EngineError` `ITER8_SHARD_MEASUREMENT` naming the
 * path of the first problem: not JSON, not a measurement, a version this iter8 does not read, a
 * corrupt histogram.
 */
export function decodeShardMeasurement(text: string, from = "shard measurement"): ShardMeasurement {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    fail(from, "not JSON");
  }
  const head = z.object({ format: z.literal(FORMAT), version: z.number() }).safeParse(value);
  if (!head.success) fail(from, `not an iter8 shard measurement (expected format: ${FORMAT})`);
  if (head.data.version !== SHARD_MEASUREMENT_VERSION) {
    fail(
      from,
      `version ${head.data.version} is not read by this iter8 (it reads version ${SHARD_MEASUREMENT_VERSION}); run the same iter8 on every shard`,
    );
  }
  const parsed = measurementSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? []).map((p) =>
      typeof p === "number" ? `[${p}]` : `.${String(p)}`,
    );
    fail(from, `${path.join("").replace(/^\./, "") || "(top)"}: ${issue?.message ?? "invalid"}`);
  }
  const m = parsed.data;
  if (m.shard >= m.count) fail(from, `shard ${m.shard} is not below count ${m.count}`);
  return {
    shard: m.shard,
    count: m.count,
    startedAt: m.startedAt,
    tasks: m.tasks.map((task, t) => ({
      index: task.index,
      versions: task.versions.map((v, i) =>
        v ? decodeVersion(v, from, `tasks[${t}].versions[${i}]`) : null,
      ),
    })),
  };
}
