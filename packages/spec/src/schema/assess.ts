import { z } from "zod";
import { describeValue } from "../describe-value.js";
import {
  BUILT_IN_METRICS,
  BUILT_IN_PREFIX,
  builtInNameOfV011Metric,
  isBuiltInMetric,
  normaliseMetricName,
} from "../metric-names.js";
import type { AssessInputs, AssessTask, SLO } from "../model.js";
import { TASK_NAMES } from "../model.js";
import { closestMatch } from "../suggest.js";
import { compact, condition, named, taskName, withCondition } from "./common.js";

// --- assess-app-versions ----------------------------------------------------------------------

const KNOWN_BUILT_INS = [...BUILT_IN_METRICS, "built-in/p50.0", "built-in/p95.0", "built-in/p99.0"];

/** Checks a metric name and returns its canonical form (v0.11 `http/...` names become built-in). */
const metricName = z
  .string()
  .min(1)
  .transform((name, ctx) => {
    const v011 = builtInNameOfV011Metric(name);
    if (v011) return v011;
    const problem = explainBadMetric(name);
    if (problem) {
      ctx.addIssue({ code: "custom", message: problem, input: name });
      return z.NEVER;
    }
    return normaliseMetricName(name);
  })
  .describe('Metric name: "built-in/error-rate", "built-in/p95.0", or "<backend>/<metric>"');

function explainBadMetric(name: string): string | undefined {
  if (name.startsWith(BUILT_IN_PREFIX)) {
    if (isBuiltInMetric(name)) return undefined;
    const match = closestMatch(name, KNOWN_BUILT_INS);
    if (match) return `unknown built-in metric "${name}"; did you mean "${match}"?`;
    return (
      `unknown built-in metric "${name}"; built-in metrics are request-count, error-count, ` +
      "error-rate, mean-latency, stddev-latency, min-latency, max-latency and pXX.X percentiles"
    );
  }
  if (!/^[^/\s]+\/\S+$/.test(name)) {
    const match = closestMatch(`${BUILT_IN_PREFIX}${name}`, KNOWN_BUILT_INS);
    const hint = match ? `; did you mean "${match}"?` : "";
    return `metric "${name}" names no backend; write "<backend>/<metric>"${hint}`;
  }
  return undefined;
}

const onNoData = z
  .enum(["fail", "skip"], {
    error: (issue) => `onNoData must be "fail" or "skip", got ${describeValue(issue.input)}`,
  })
  .optional()
  .describe("When the metric has no value: fail the SLO (default) or skip it");

const slo = named(
  "SLO",
  z
    .strictObject({
      metric: metricName,
      upperLimit: z.number().optional().describe("Highest acceptable value (inclusive)"),
      lowerLimit: z.number().optional().describe("Lowest acceptable value (inclusive)"),
      onNoData,
    })
    .superRefine((s, ctx) => {
      if (s.upperLimit === undefined && s.lowerLimit === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `the SLO for ${s.metric} has no limit; set upperLimit, lowerLimit or both`,
        });
      } else if (
        s.upperLimit !== undefined &&
        s.lowerLimit !== undefined &&
        s.lowerLimit > s.upperLimit
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["lowerLimit"],
          message: `lowerLimit (${s.lowerLimit}) is above upperLimit (${s.upperLimit}); no value can satisfy it`,
        });
      }
    })
    .transform((s): SLO => compact(s)),
);

const sloList = z
  .array(slo)
  .min(1, { error: "SLOs must list at least one SLO, e.g. - metric: built-in/error-rate" })
  .describe("Service-level objectives: {metric, upperLimit?, lowerLimit?}");

const v011Limit = z.strictObject({
  metric: metricName,
  limit: z.number().describe("The limit (inclusive)"),
  onNoData,
});

const v011Slos = named(
  "V011SLOs",
  z
    .strictObject({
      upper: z
        .array(v011Limit)
        .optional()
        .describe("Metrics that must stay at or below their limit"),
      lower: z
        .array(v011Limit)
        .optional()
        .describe("Metrics that must stay at or above their limit"),
    })
    .superRefine((s, ctx) => {
      if ((s.upper?.length ?? 0) + (s.lower?.length ?? 0) === 0) {
        ctx.addIssue({
          code: "custom",
          message: "SLOs must list at least one limit under upper or lower",
        });
      }
    })
    .transform((s): SLO[] => [
      ...(s.upper ?? []).map((l) =>
        compact({ metric: l.metric, upperLimit: l.limit, onNoData: l.onNoData }),
      ),
      ...(s.lower ?? []).map((l) =>
        compact({ metric: l.metric, lowerLimit: l.limit, onNoData: l.onNoData }),
      ),
    ])
    .describe("Iter8 v0.11 SLOs: {upper: [{metric, limit}], lower: [{metric, limit}]}"),
);

const reward = named(
  "Reward",
  z
    .strictObject({
      metric: metricName,
      preferredDirection: z
        .enum(["high", "low"], {
          error: (issue) =>
            `preferredDirection must be "high" or "low", got ${describeValue(issue.input)}`,
        })
        .describe("Which way is better for this metric"),
    })
    .describe("A metric to pick a winner on; version 0 is the baseline"),
);

/** The A/B/n inputs of `assess-app-versions` (additive to Iter8 v0.8). */
const abnAssessFields = {
  rewards: z
    .array(reward)
    .min(1, { error: "rewards must list at least one {metric, preferredDirection}" })
    .optional()
    .describe("Metrics to pick a winner on: [{metric, preferredDirection: high|low}]"),
  method: z
    .enum(["welch", "sequential", "bayesian"])
    .optional()
    .describe("How versions are compared: welch (default), sequential or bayesian"),
  alpha: z
    .number()
    .gt(0)
    .lt(1)
    .optional()
    .describe("Significance level for comparisons, default 0.05"),
  winnerThreshold: z
    .number()
    .gt(0.5)
    .lt(1)
    .optional()
    .describe("Bayesian: the chance to win a winner needs, default 0.95"),
  sequentialTuning: z
    .number()
    .positive()
    .optional()
    .describe("Sequential: the expected total sample size, default 5000"),
  weights: z
    .array(z.number().nonnegative())
    .min(1)
    .optional()
    .describe("Configured traffic weights per version, for the sample-ratio-mismatch check"),
};

function requireSlosOrRewards(
  w: { SLOs?: SLO[] | undefined; rewards?: unknown[] | undefined },
  ctx: z.RefinementCtx,
): void {
  if (w.SLOs === undefined && w.rewards === undefined) {
    ctx.addIssue({ code: "custom", message: "set SLOs, rewards or both", path: ["SLOs"] });
  }
}

function toAssessInputs(w: Partial<AssessInputs>): AssessInputs {
  return compact<AssessInputs>({ ...w, SLOs: w.SLOs ?? [] });
}

/** Inputs of `assess-app-versions`. */
export const assessInputsSchema = z
  .strictObject({ SLOs: sloList.optional(), ...abnAssessFields })
  .superRefine(requireSlosOrRewards)
  .transform(toAssessInputs);

/** Inputs of the `assess` alias: a v0.8 SLO list or Iter8 v0.11's `{upper, lower}`. */
export const assessAliasInputsSchema = z
  .strictObject({
    SLOs: z
      .union([sloList, v011Slos], {
        error: (issue) =>
          issue.input === undefined
            ? undefined
            : `expected a list of {metric, upperLimit?, lowerLimit?} or {upper: [...], lower: [...]}, got ${describeValue(issue.input)}`,
      })
      .optional(),
    ...abnAssessFields,
  })
  .superRefine(requireSlosOrRewards)
  .transform(toAssessInputs);
/** `assess-app-versions`: check every version against the SLOs. */
export const assessTaskSchema = named(
  "AssessTask",
  z
    .strictObject({
      task: taskName(TASK_NAMES.assess, "Check each version against service-level objectives"),
      if: condition.optional(),
      with: assessInputsSchema,
    })
    .transform((t): AssessTask => withCondition({ task: TASK_NAMES.assess, with: t.with }, t.if)),
);

/** `assess` (Iter8 v0.11 name of the assess task). */
export const assessAliasTaskSchema = named(
  "AssessAliasTask",
  z
    .strictObject({
      task: taskName("assess", "Alias of assess-app-versions (Iter8 v0.11)"),
      if: condition.optional(),
      with: assessAliasInputsSchema,
    })
    .transform((t): AssessTask => withCondition({ task: TASK_NAMES.assess, with: t.with }, t.if)),
);
/** `assess` with Iter8 v0.11 SLOs only (`parseExperiment` uses it when SLOs is a mapping). */
export const assessV011TaskSchema = z
  .strictObject({
    task: taskName("assess", "Alias of assess-app-versions (Iter8 v0.11)"),
    if: condition.optional(),
    with: z.strictObject({ SLOs: v011Slos }),
  })
  .transform((t): AssessTask => withCondition({ task: TASK_NAMES.assess, with: t.with }, t.if));

/** `run: <script>`: a bash script. */
