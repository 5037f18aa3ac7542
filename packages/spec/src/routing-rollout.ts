import { z } from "zod";
import { describeValue, isMapping } from "./describe-value.js";
import { applyRules, checkSchema, parseDocument, validateDocumentFile } from "./document.js";
import type { DocumentCheck, DocumentRule, RuleFinding } from "./document.js";
import { errorFromIssues } from "./errors.js";
import type { ParseResult } from "./errors.js";
import { isBuiltInMetric, normaliseMetricName } from "./metric-names.js";
import type { SLO } from "./model.js";
import { durationMs } from "./routing.js";

/** The normalised content of `rollout.yaml`: a metric-gated gradual rollout on a traffic proxy. */
export interface RolloutSpec {
  /** Admin URL of the iter8 traffic proxy to drive, e.g. `http://127.0.0.1:9901`. */
  admin: string;
  /** Name or index of the route to roll out on; default the last route. */
  route?: string | number;
  /** Version that keeps the rest of the traffic, and takes all of it on rollback. */
  baseline: string;
  /** Version whose weight rises step by step. */
  candidate: string;
  /** Candidate weights in percent, ascending, e.g. 5, 10, 25, 50, 100. */
  steps: number[];
  /** Time each step runs before its SLOs are checked, in milliseconds. */
  intervalMs: number;
  /** Failed checks (in total) after which the rollout rolls back. */
  failureLimit: number;
  /** Candidate requests a step needs for its check to count as passed. */
  minRequests: number;
  /** SLOs the candidate must meet over each step: built-in metrics or `<provider>/<metric>`. */
  SLOs: SLO[];
  /** Provider templates (as in the `custommetrics` task) queried for the candidate at each check. */
  custommetrics?: RolloutCustomMetrics;
  /** Where decisions are written, relative to the rollout file; default `result.yaml`. */
  result: string;
  /** Write each step's Kubernetes objects to a folder. */
  emit?: { target: "istio" | "gateway-api"; dir: string };
}

/**
 * The `custommetrics:` section of `rollout.yaml`: the `custommetrics` task's inputs, read for the
 * candidate at every check. `versionValues[0]` is the baseline's, `[1]` the candidate's.
 */
export interface RolloutCustomMetrics {
  /** Provider name → template: a path (relative to the rollout file) or an http(s) URL. */
  templates: Record<string, string>;
  /** Template values common to both versions. */
  values: Record<string, unknown>;
  /** `[baseline values, candidate values]`, merged over `values`. */
  versionValues: Array<Record<string, unknown>>;
  /** Per-attempt timeout of backend calls, in milliseconds. */
  timeoutMs?: number;
  /** Retries of a backend call after a timeout, a connection error, a 429 or a 5xx. */
  retries?: number;
}

/** Defaults of `rollout.yaml`. */
export const DEFAULT_ROLLOUT: {
  readonly steps: readonly number[];
  readonly intervalMs: number;
  readonly failureLimit: number;
  readonly minRequests: number;
} = Object.freeze({
  steps: Object.freeze([5, 10, 25, 50, 100]),
  intervalMs: 30_000,
  failureLimit: 2,
  minRequests: 1,
});

const slo = z
  .strictObject({
    metric: z.string().min(1).describe("Metric name, e.g. built-in/error-rate"),
    upperLimit: z.number().optional(),
    lowerLimit: z.number().optional(),
    onNoData: z
      .enum(["fail", "skip"])
      .optional()
      .describe("What a missing value means: fail (default) or skip"),
  })
  .superRefine((value, ctx) => {
    if (value.upperLimit === undefined && value.lowerLimit === undefined) {
      ctx.addIssue({ code: "custom", message: "an SLO needs upperLimit, lowerLimit or both" });
    }
  });

const templateValues = z.record(z.string(), z.unknown());

const customMetrics = z
  .strictObject({
    templates: z
      .record(
        z.string().regex(/^[A-Za-z0-9][\w.-]*$/),
        z.string().min(1).describe("Provider template: a path relative to this file, or a URL"),
      )
      .refine((t) => Object.keys(t).length > 0, {
        error: "templates must name at least one provider, e.g. prometheus: prometheus.tpl",
      })
      .describe("Provider name → template (path or URL); metrics are named <provider>/<metric>"),
    values: templateValues.optional().describe("Template values common to both versions"),
    versionValues: z
      .array(templateValues)
      .max(2)
      .optional()
      .describe("[baseline values, candidate values], merged over values"),
    timeout: durationMs("Per-attempt timeout of backend calls, Go syntax: 5s")
      .refine((ms) => ms > 0, { error: "timeout must be longer than 0" })
      .optional(),
    retries: z.int().min(0).max(5).optional().describe("Retries of a failed backend call (0-5)"),
  })
  .describe("Provider templates queried for the candidate at every check, as in custommetrics");

/** The zod schema of `rollout.yaml`. */
export const rolloutSchema = z.strictObject({
  admin: z.url({ protocol: /^https?$/ }).describe("Admin URL of the traffic proxy"),
  route: z.union([z.string().min(1), z.int().min(0)]).optional(),
  baseline: z.string().min(1),
  candidate: z.string().min(1),
  steps: z
    .array(z.int().min(1).max(100))
    .min(1)
    .default(() => [...DEFAULT_ROLLOUT.steps])
    .superRefine((list, ctx) => {
      list.forEach((step, index) => {
        const previous = list[index - 1];
        if (previous !== undefined && step <= previous) {
          ctx.addIssue({
            code: "custom",
            path: [index],
            message: `steps must rise: ${step} comes after ${previous}`,
          });
        }
      });
    }),
  interval: durationMs("Time each step runs before its check (default 30s)").optional(),
  failureLimit: z.int().min(1).default(DEFAULT_ROLLOUT.failureLimit),
  minRequests: z.int().min(0).default(DEFAULT_ROLLOUT.minRequests),
  SLOs: z.array(slo).min(1),
  custommetrics: customMetrics.optional(),
  result: z.string().min(1).default("result.yaml"),
  emit: z
    .strictObject({ target: z.enum(["istio", "gateway-api"]), dir: z.string().min(1) })
    .optional(),
});

/** `rollout.yaml` as its schema accepted it, before normalising: what the rollout rules check. */
export type RawRollout = z.output<typeof rolloutSchema>;

/** The candidate and the baseline are different versions. */
export const candidateDiffersFromBaseline: DocumentRule<RawRollout> = (raw) =>
  raw.baseline === raw.candidate
    ? [
        {
          severity: "issue",
          path: ["candidate"],
          message: "candidate and baseline must be different versions",
        },
      ]
    : [];

/** Each SLO names a built-in metric of the proxy or a metric of a provider in custommetrics. */
export const sloMetricHasSource: DocumentRule<RawRollout> = (raw) => {
  const providers = Object.keys(raw.custommetrics?.templates ?? {});
  const findings: RuleFinding[] = [];
  raw.SLOs.forEach((s, index) => {
    const name = normaliseMetricName(s.metric);
    if (isBuiltInMetric(name)) return;
    const provider = name.includes("/") ? name.slice(0, name.indexOf("/")) : "";
    if (providers.includes(provider)) return;
    findings.push({
      severity: "issue",
      path: ["SLOs", index, "metric"],
      message:
        providers.length === 0
          ? `"${s.metric}" is neither a built-in metric of the proxy (e.g. built-in/error-rate, built-in/p95.0) nor a provider metric; add custommetrics: {templates: {${provider || "prometheus"}: <template>}} to read it from a provider`
          : `"${s.metric}" is neither a built-in metric nor a metric of a provider in custommetrics.templates (${providers.join(", ")})`,
    });
  });
  return findings;
};

/** The last step gives the candidate all the traffic (a warning otherwise). */
export const lastStepTakesAllTraffic: DocumentRule<RawRollout> = (raw) =>
  (raw.steps.at(-1) ?? 100) < 100
    ? [
        {
          severity: "warning",
          path: ["steps"],
          message: `the last step is ${raw.steps.at(-1)}%, so the candidate never takes all the traffic`,
        },
      ]
    : [];

/** The meaning rules of `rollout.yaml`, checked in this order once its schema accepts it. */
export const ROLLOUT_RULES: readonly DocumentRule<RawRollout>[] = [
  candidateDiffersFromBaseline,
  sloMetricHasSource,
  lastStepTakesAllTraffic,
];

/** Parses and validates the text of `rollout.yaml`; issues carry paths and positions. */
export function parseRollout(
  text: string,
  options: { filename?: string } = {},
): ParseResult<RolloutSpec> {
  return parseDocument(text, checkRollout, options);
}

function checkRollout(value: unknown): DocumentCheck<RolloutSpec> {
  if (!isMapping(value)) {
    return {
      issues: [
        {
          path: [],
          message: `expected a mapping with admin:, baseline:, candidate: and SLOs:, got ${describeValue(value)}`,
        },
      ],
      warnings: [],
    };
  }
  const parsed = checkSchema(rolloutSchema, value);
  if (!parsed.ok) return { issues: parsed.issues, warnings: [] };
  const raw = parsed.data;
  const { issues, warnings } = applyRules(ROLLOUT_RULES, raw);
  if (issues.length > 0) return { issues, warnings };
  const spec: RolloutSpec = {
    admin: raw.admin,
    baseline: raw.baseline,
    candidate: raw.candidate,
    steps: raw.steps,
    intervalMs: raw.interval ?? DEFAULT_ROLLOUT.intervalMs,
    failureLimit: raw.failureLimit,
    minRequests: raw.minRequests,
    SLOs: raw.SLOs.map((s) => ({ ...s, metric: normaliseMetricName(s.metric) })),
    result: raw.result,
  };
  if (raw.custommetrics) {
    const c = raw.custommetrics;
    spec.custommetrics = {
      templates: c.templates,
      values: c.values ?? {},
      versionValues: c.versionValues ?? [],
    };
    if (c.timeout !== undefined) spec.custommetrics.timeoutMs = c.timeout;
    if (c.retries !== undefined) spec.custommetrics.retries = c.retries;
  }
  if (raw.route !== undefined) spec.route = raw.route;
  if (raw.emit) spec.emit = raw.emit;
  return { value: spec, issues: [], warnings };
}

/** Reads and validates a rollout file; throws `SpecError` `ITER8_SPEC_INVALID` or `ITER8_FILE_ACCESS`. */
export async function loadRollout(file: string): Promise<RolloutSpec> {
  const result = await validateDocumentFile(file, "rollout", parseRollout);
  if (!result.ok)
    throw errorFromIssues("ITER8_SPEC_INVALID", result.issues, file, "fix the rollout file");
  return result.value;
}
