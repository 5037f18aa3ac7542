import { dump } from "js-yaml";
import { z } from "zod";
import { writeFileAtomic } from "./atomic-write.js";
import { isMapping } from "./describe-value.js";
import { errorFromIssues, SpecError } from "./errors.js";
import type { ParseResult } from "./errors.js";
import { BUILT_IN_METRICS, percentileOfMetric } from "./metric-names.js";
import type {
  ExperimentResult,
  Insights,
  MetricInfo,
  RunOutput,
  SLO,
  TaskFailure,
  VersionLoadDetails,
} from "./model.js";
import { checkSchema, parseDocument, readDocument } from "./document.js";
import type { DocumentCheck } from "./document.js";
import type { ParseOptions } from "./parse-experiment.js";
import {
  V080_LATENCY_BUCKETS,
  V080_LATENCY_HISTOGRAM,
  normaliseResultDocument,
} from "./result-formats.js";

// Metric values may be NaN or infinite (e.g. an error rate of no requests); YAML writes .nan/.inf.
const metricValue = z.custom<number>((v) => typeof v === "number", { error: "expected a number" });
const count = z.int().min(0);

const metricInfoSchema = z.object({
  description: z.string(),
  units: z.string().optional(),
  type: z.enum(["Counter", "Gauge"]),
});

const rewardsWinnersSchema = z.object({
  max: z.array(z.int().min(0)).optional(),
  min: z.array(z.int().min(0)).optional(),
});

const sloSchema = z.object({
  metric: z.string(),
  upperLimit: z.number().optional(),
  lowerLimit: z.number().optional(),
  onNoData: z.enum(["fail", "skip"]).optional(),
});

const loadDetailsSchema = z.object({
  statusCodes: z.record(z.string(), count),
  errorClasses: z.record(z.string(), count),
  histogram: z.array(z.tuple([z.number(), z.number(), z.number()])),
  timeline: z
    .array(
      z.object({
        elapsedMs: z.number(),
        completed: z.number(),
        errors: z.number(),
        rate: z.number(),
        p50Ms: z.number().optional(),
        p99Ms: z.number().optional(),
      }),
    )
    .optional(),
  dispatchLagMs: z.object({ p50: z.number(), p99: z.number(), max: z.number() }).optional(),
  partial: z.boolean().optional(),
  shards: z
    .object({
      count: z.int().min(1),
      requests: z.array(count.nullable()),
      startSkewMs: z.number().min(0),
    })
    .optional(),
});

// Interval ends may be infinite (one-sided or unbounded); YAML writes them as .inf.
const extendedNumber = z.custom<number>((v) => typeof v === "number" && !Number.isNaN(v), {
  error: "expected a number",
});

const metricSummarySchema = z.union([
  z.object({
    type: z.literal("mean"),
    count: z.number(),
    sum: z.number(),
    sumSquares: z.number(),
  }),
  z.object({ type: z.literal("proportion"), count: z.number(), successes: z.number() }),
]);

const rewardSchema = z.object({
  metric: z.string(),
  preferredDirection: z.enum(["high", "low"]),
});

const rewardComparisonSchema = z.object({
  metric: z.string(),
  version: z.int().min(0),
  preferredDirection: z.enum(["high", "low"]),
  estimate: z.number(),
  standardError: z.number(),
  ci: z.tuple([extendedNumber, extendedNumber]),
  pValue: z.number().optional(),
  adjustedPValue: z.number().optional(),
  degreesOfFreedom: z.number().optional(),
  chanceToWin: z.number().optional(),
  risk: z.tuple([z.number(), z.number()]).optional(),
  better: z.boolean(),
  worse: z.boolean(),
  degenerate: z.string().optional(),
});

const winnerSchema = z.object({
  method: z.enum(["welch", "sequential", "bayesian"]),
  version: z.int().min(0).optional(),
  reason: z.string(),
  srm: z
    .object({
      counts: z.array(z.number()),
      weights: z.array(z.number()),
      chiSquare: extendedNumber,
      pValue: z.number(),
      mismatch: z.boolean(),
    })
    .optional(),
  warnings: z.array(z.string()).optional(),
});

const insightsSchema = z.object({
  numVersions: count,
  metricsInfo: z.record(z.string(), metricInfoSchema).default({}),
  metricValues: z.array(z.record(z.string(), z.array(metricValue))).default([]),
  SLOs: z.array(sloSchema).optional(),
  SLOsSatisfied: z.array(z.array(z.boolean())).optional(),
  SLOsSatisfiedBy: z.array(z.boolean()).optional(),
  loadDetails: z.array(loadDetailsSchema.nullable()).optional(),
  metricProblems: z
    .array(
      z.record(
        z.string(),
        z.object({ status: z.enum(["no-data", "nan", "error"]), reason: z.string() }),
      ),
    )
    .optional(),
  metricSummaries: z.array(z.record(z.string(), metricSummarySchema)).optional(),
  trafficWeights: z.array(z.number()).optional(),
  trafficCounts: z.array(z.number()).optional(),
  rewards: z.array(rewardSchema).optional(),
  comparisons: z.array(rewardComparisonSchema).optional(),
  winner: winnerSchema.optional(),
  rewardsWinners: rewardsWinnersSchema.optional(),
});

/** The schema of `result.yaml` (Iter8 v0.8 fields plus iter8's additive ones; unknown keys dropped). */
export const resultSchema = z.object({
  startTime: z.string().min(1),
  numCompletedTasks: count,
  failure: z.boolean(),
  insights: insightsSchema.optional(),
  numTasks: count.optional(),
  failedTask: z.object({ index: count, task: z.string(), message: z.string() }).optional(),
  aborted: z.boolean().optional(),
  skippedTasks: z.array(count).optional(),
  runOutputs: z
    .array(
      z.object({
        index: count,
        exitCode: z.int().nullable(),
        stdout: z.string(),
        stderr: z.string(),
        truncated: z.boolean().optional(),
      }),
    )
    .optional(),
});

/** Parses and validates the text of `result.yaml`; problems come back as issues, never thrown. */
export function parseResult(
  text: string,
  options: ParseOptions = {},
): ParseResult<ExperimentResult> {
  return parseDocument(text, checkResult, options);
}

function checkResult(value: unknown): DocumentCheck<ExperimentResult> {
  if (!isMapping(value)) {
    const message = "a result is a mapping with startTime, numCompletedTasks, failure and insights";
    return { issues: [{ path: [], message, whole: true }], warnings: [] };
  }
  const parsed = checkSchema(resultSchema, normaliseResultDocument(value));
  if (!parsed.ok) return { issues: parsed.issues, warnings: [] };
  return { value: compactDeep(parsed.data) as ExperimentResult, issues: [], warnings: [] };
}

/** File name of the result, next to `experiment.yaml`. */
export const RESULT_FILE = "result.yaml";

/**
 * Reads `result.yaml`. Throws a `SpecError`: `ITER8_FILE_ACCESS` when it is missing or unreadable,
 * `ITER8_RESULT_INVALID` when its content is not a result.
 */
export async function loadResult(file: string): Promise<ExperimentResult> {
  let read: Awaited<ReturnType<typeof readDocument>>;
  try {
    read = await readDocument(file, "result");
  } catch (error) {
    if (
      error instanceof SpecError &&
      (error.cause as { code?: unknown } | undefined)?.code === "ENOENT"
    ) {
      throw new SpecError(
        "ITER8_FILE_ACCESS",
        `no result: ${file} does not exist`,
        [],
        "run iter8 run first",
        {
          cause: error.cause,
        },
      );
    }
    throw error;
  }
  if (!read.ok) throw errorFromIssues("ITER8_RESULT_INVALID", [read.issue], file);
  const parsed = parseResult(read.text, { filename: file });
  if (!parsed.ok) throw errorFromIssues("ITER8_RESULT_INVALID", parsed.issues, file);
  return parsed.value;
}

/**
 * Writes `result.yaml` atomically (temporary file in the same directory, fsync, rename) with a
 * stable key order. Throws a `SpecError` with code `ITER8_FILE_ACCESS` when it cannot be written.
 */
export async function saveResult(file: string, result: ExperimentResult): Promise<void> {
  await writeFileAtomic(file, formatResult(result));
}

/**
 * Formats a result as YAML with a stable key order: Iter8 v0.8's fields first (startTime,
 * numCompletedTasks, failure, insights), then iter8's additive ones; metric names in a fixed order.
 */
export function formatResult(result: ExperimentResult): string {
  return dump(plainCopy(orderResult(result), new Set()), { noRefs: true, lineWidth: -1 });
}

// A copy with undefined fields dropped; refuses cycles and values YAML cannot hold.
function plainCopy(value: unknown, ancestors: Set<object>): unknown {
  if (value === null || typeof value !== "object") {
    if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
      throw new SpecError(
        "ITER8_RESULT_INVALID",
        `cannot write a ${typeof value} into result.yaml`,
      );
    }
    return value;
  }
  if (ancestors.has(value)) {
    throw new SpecError("ITER8_RESULT_INVALID", "cannot write a result that contains itself");
  }
  ancestors.add(value);
  let copy: unknown;
  if (Array.isArray(value)) {
    copy = value.map((item: unknown) => plainCopy(item, ancestors));
  } else {
    const out: Plain = {};
    for (const [key, v] of Object.entries(value))
      if (v !== undefined) out[key] = plainCopy(v, ancestors);
    copy = out;
  }
  ancestors.delete(value);
  return copy;
}

// --- key order --------------------------------------------------------------------------------

type Plain = Record<string, unknown>;

function pick(source: object, keys: readonly string[]): Plain {
  const from = source as Plain;
  const out: Plain = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  // Fields a newer iter8 added: after the known ones, in name order.
  for (const key of Object.keys(from).sort()) {
    if (!keys.includes(key) && from[key] !== undefined) out[key] = from[key];
  }
  return out;
}

function metricRank(name: string): number {
  const builtIn = (BUILT_IN_METRICS as readonly string[]).indexOf(name);
  if (builtIn !== -1) return builtIn;
  const p = percentileOfMetric(name);
  return p === undefined ? Number.POSITIVE_INFINITY : BUILT_IN_METRICS.length + p;
}

/** Orders metric names: built-in counts, then latencies, then percentiles ascending, then the rest by name. */
export function compareMetricNames(a: string, b: string): number {
  const ra = metricRank(a);
  const rb = metricRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortRecord<T>(
  record: Record<string, T>,
  compare: (a: string, b: string) => number,
  map: (v: T) => unknown = (v) => v,
): Plain {
  const out: Plain = {};
  for (const key of Object.keys(record).sort(compare)) out[key] = map(record[key] as T);
  return out;
}

const byNumberThenName = (a: string, b: string) =>
  Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0);
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function orderSlo(slo: SLO): Plain {
  return pick(slo, ["metric", "upperLimit", "lowerLimit", "onNoData"]);
}

function orderLoadDetails(details: VersionLoadDetails | null): Plain | null {
  if (details === null) return null;
  return pick(
    {
      ...details,
      statusCodes: sortRecord(details.statusCodes, byNumberThenName),
      errorClasses: sortRecord(details.errorClasses, byName),
      ...(details.timeline
        ? {
            timeline: details.timeline.map((t) =>
              pick(t, ["elapsedMs", "completed", "errors", "rate", "p50Ms", "p99Ms"]),
            ),
          }
        : {}),
      ...(details.dispatchLagMs
        ? { dispatchLagMs: pick(details.dispatchLagMs, ["p50", "p99", "max"]) }
        : {}),
      ...(details.shards
        ? { shards: pick(details.shards, ["count", "startSkewMs", "requests"]) }
        : {}),
    },
    ["statusCodes", "errorClasses", "histogram", "timeline", "dispatchLagMs", "partial", "shards"],
  );
}

/**
 * The latency histogram as Iter8 v0.8.0 recorded it (`base/collect.go`): metric
 * `built-in/latency` of type `Histogram`, 20 equal buckets from `xmin` (at most 0) to `xmax` (at
 * least 200 ms), one list of 20 counts per version. Each of our exact buckets (`loadDetails`)
 * counts in the Iter8 bucket holding its midpoint. Undefined when no version has a histogram.
 */
function iter8LatencyHistogram(
  insights: Insights,
): { info: Plain; values: Array<number[] | undefined> } | undefined {
  const details = insights.loadDetails ?? [];
  const buckets = details.flatMap((d) => d?.histogram ?? []);
  if (buckets.length === 0) return undefined;
  const xmin = Math.min(0, ...buckets.map(([lower]) => lower));
  const xmax = Math.max(200, ...buckets.map(([, upper]) => upper));
  const width = (xmax - xmin) / V080_LATENCY_BUCKETS;
  const values = insights.metricValues.map((_, v) => {
    const histogram = details[v]?.histogram;
    if (!histogram) return undefined;
    const counts = new Array<number>(V080_LATENCY_BUCKETS).fill(0);
    for (const [lower, upper, n] of histogram) {
      const index = Math.floor(((lower + upper) / 2 - xmin) / width);
      const bucket = Math.min(V080_LATENCY_BUCKETS - 1, Math.max(0, index));
      counts[bucket] = (counts[bucket] ?? 0) + n;
    }
    return counts;
  });
  const info = {
    description: "Latency Histogram",
    units: "msec",
    type: "Histogram",
    xmin,
    xmax,
    numBuckets: V080_LATENCY_BUCKETS,
  };
  return { info, values };
}

function orderInsights(insights: Insights): Plain {
  const histogram = iter8LatencyHistogram(insights);
  const metricsInfo = sortRecord(insights.metricsInfo, compareMetricNames, (info: MetricInfo) =>
    pick(info, ["description", "units", "type"]),
  );
  if (histogram) metricsInfo[V080_LATENCY_HISTOGRAM] = histogram.info;
  return pick(
    {
      ...insights,
      metricsInfo,
      metricValues: insights.metricValues.map((values, v) => {
        const sorted = sortRecord(values, compareMetricNames);
        const counts = histogram?.values[v];
        if (counts) sorted[V080_LATENCY_HISTOGRAM] = counts;
        return sorted;
      }),
      // Iter8 v0.8.0 writes the indices of the versions that satisfy every SLO (Go `[]int`).
      ...(insights.SLOsSatisfiedBy
        ? {
            SLOsSatisfiedBy: insights.SLOsSatisfiedBy.flatMap((ok, v) => (ok ? [v] : [])),
          }
        : {}),
      ...(insights.SLOs ? { SLOs: insights.SLOs.map(orderSlo) } : {}),
      ...(insights.loadDetails ? { loadDetails: insights.loadDetails.map(orderLoadDetails) } : {}),
    },
    [
      "numVersions",
      "metricsInfo",
      "metricValues",
      "SLOs",
      "SLOsSatisfied",
      "SLOsSatisfiedBy",
      "loadDetails",
      "metricProblems",
      "metricSummaries",
      "trafficWeights",
      "trafficCounts",
      "rewards",
      "comparisons",
      "winner",
      "rewardsWinners",
    ],
  );
}

function orderResult(result: ExperimentResult): Plain {
  return pick(
    {
      ...result,
      ...(result.insights ? { insights: orderInsights(result.insights) } : {}),
      ...(result.failedTask
        ? {
            failedTask: pick(result.failedTask, ["index", "task", "message"] satisfies Array<
              keyof TaskFailure
            >),
          }
        : {}),
      ...(result.runOutputs
        ? {
            runOutputs: result.runOutputs.map((r) =>
              pick(r, ["index", "exitCode", "stdout", "stderr", "truncated"] satisfies Array<
                keyof RunOutput
              >),
            ),
          }
        : {}),
    },
    [
      "startTime",
      "numCompletedTasks",
      "failure",
      "insights",
      "numTasks",
      "failedTask",
      "aborted",
      "skippedTasks",
      "runOutputs",
    ],
  );
}

function compactDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(compactDeep);
  if (isMapping(value)) {
    const out: Plain = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = compactDeep(v);
    return out;
  }
  return value;
}
