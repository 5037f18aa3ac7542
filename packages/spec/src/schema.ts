import { z } from "zod";
import { parseCondition } from "./condition.js";
import {
  explainBadDuration,
  formatDuration,
  GO_DURATION_PATTERN,
  parseDuration,
} from "./duration.js";
import { SpecError } from "./errors.js";
import { explainBadHeaderValue } from "./header-value.js";
import { MAX_DURATION_TEXT, SPEC_LIMITS } from "./limits.js";
import { describeValue } from "./describe-value.js";
import {
  BUILT_IN_METRICS,
  BUILT_IN_PREFIX,
  builtInNameOfV011Metric,
  isBuiltInMetric,
  normaliseMetricName,
} from "./metric-names.js";
import type {
  AbnMetricsTask,
  AssessInputs,
  AssessTask,
  Condition,
  CustomMetricsTask,
  ErrorRange,
  Experiment,
  LoadInputs,
  LoadTask,
  ProxyMetricsTask,
  RunTask,
  SLO,
  Task,
  VersionInfo,
} from "./model.js";
import { TASK_NAMES } from "./model.js";
import { closestMatch } from "./suggest.js";

/** Defaults of `gen-load-and-collect-metrics` (DESIGN §3; Iter8 v0.8's values). */
export const DEFAULT_LOAD: {
  readonly qps: number;
  readonly connections: number;
  readonly numRequests: number;
  readonly percentiles: readonly number[];
  readonly errorRanges: readonly Readonly<ErrorRange>[];
} = Object.freeze({
  qps: 8,
  connections: 4,
  numRequests: 100,
  percentiles: Object.freeze([50, 75, 90, 95, 99, 99.9]),
  errorRanges: Object.freeze([Object.freeze({ lower: 400 })]),
});

/** HTTP methods the load task accepts. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

// Schemas named here become `$defs` entries of the JSON Schema. Descriptions stay in zod's global
// registry (.describe()); ids live in this private registry so they can never clash.
const jsonSchemaNames = z.registry<{ id: string }>();

function named<T extends z.ZodType>(id: string, schema: T): T {
  jsonSchemaNames.add(schema, { id });
  return schema;
}

// --- small value schemas ---------------------------------------------------------------------

/** A Go-syntax duration (`500ms`, `1m30s`) read as milliseconds. */
export function duration(description: string) {
  return z
    .string({
      error: (issue) =>
        typeof issue.input === "number"
          ? `invalid duration ${issue.input}: missing a unit (ns, us, ms, s, m or h), e.g. "${issue.input}s"`
          : undefined,
    })
    .regex(new RegExp(GO_DURATION_PATTERN, "u"), {
      error: (issue) => explainBadDuration(String(issue.input)),
    })
    .transform((text) => parseDuration(text))
    .refine((ms) => ms <= SPEC_LIMITS.maxDurationMs, {
      error: (issue) =>
        `duration ${JSON.stringify(formatDuration(Number(issue.input)))} is too long: at most ${MAX_DURATION_TEXT}`,
    })
    .describe(description);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

const httpUrl = z
  .string()
  .refine(isHttpUrl, {
    error: (issue) =>
      `invalid URL ${JSON.stringify(issue.input)}: expected an absolute http:// or https:// URL, e.g. "http://127.0.0.1:8080/get"`,
  })
  .meta({ format: "uri" });

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, {
  error: (issue) => `invalid HTTP header name ${JSON.stringify(issue.input)}`,
});

const headerValue = z
  .union([z.string(), z.number(), z.boolean()], {
    error: (issue) => `header values must be text, got ${describeValue(issue.input)}`,
  })
  .transform((value) => String(value))
  .superRefine((value, ctx) => {
    const problem = explainBadHeaderValue(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: value });
  });

const headers = named(
  "Headers",
  z.record(headerName, headerValue).describe("HTTP headers, name: value"),
);

const condition = named(
  "Condition",
  z
    .string({ error: (issue) => conditionTypeError(issue.input) })
    .transform((text, ctx): { ast: Condition; text: string } => {
      try {
        return { ast: parseCondition(text), text };
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          message: error instanceof SpecError ? error.message : String(error),
          input: text,
        });
        return z.NEVER;
      }
    })
    .describe(
      "Run the task only when this condition holds: SLOs(), SLOsBy(i), Winner(), Winner(i), not, and, or, ( )",
    ),
);

function conditionTypeError(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return `expected a condition such as "SLOs()" or "not SLOsBy(1)", got ${describeValue(input)}`;
}

// --- gen-load-and-collect-metrics --------------------------------------------------------------

const errorRange = named(
  "ErrorRange",
  z
    .strictObject({
      lower: z.int().optional().describe("Lowest status code that counts as an error (inclusive)"),
      upper: z.int().optional().describe("Highest status code that counts as an error (inclusive)"),
    })
    .superRefine((range, ctx) => {
      if (range.lower === undefined && range.upper === undefined) {
        ctx.addIssue({
          code: "custom",
          message: "an error range needs a lower bound, an upper bound or both, e.g. {lower: 400}",
        });
      } else if (
        range.lower !== undefined &&
        range.upper !== undefined &&
        range.lower > range.upper
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["upper"],
          message: `upper (${range.upper}) is below lower (${range.lower})`,
        });
      }
    }),
);

const percentile = z.number().refine((p) => p > 0 && p <= 100, {
  error: (issue) =>
    `percentiles must be greater than 0 and at most 100, got ${describeValue(issue.input)}`,
});

const percentiles = z
  .array(percentile)
  .superRefine((list, ctx) => {
    list.forEach((p, index) => {
      if (list.indexOf(p) !== index) {
        ctx.addIssue({ code: "custom", path: [index], message: `percentile ${p} is listed twice` });
      }
    });
  })
  .default(() => [...DEFAULT_LOAD.percentiles])
  .describe("Latency percentiles to collect; default 50, 75, 90, 95, 99, 99.9");

const versionEntry = named(
  "VersionInfo",
  z
    .strictObject({
      url: httpUrl.describe("Where to send this version's requests"),
      headers: headers.optional(),
    })
    .nullable(),
);

const versionInfo = z
  .array(versionEntry)
  .min(1, {
    error: "versionInfo must list at least one version, e.g. - url: http://127.0.0.1:8080/get",
  })
  .superRefine((list, ctx) => {
    if (list.length > 0 && list.every((entry) => entry === null)) {
      ctx.addIssue({
        code: "custom",
        message: "every versionInfo entry is null; at least one version needs a url",
      });
    }
  })
  .describe("One entry per version: {url, headers?}, or null to skip a version but keep its index");

const count = (what: string) => z.int().min(1).describe(what);

const loadShape = {
  numRequests: count("Number of requests per version; default 100 unless duration is set"),
  numQueries: count("Old name of numRequests (deprecated)").meta({ deprecated: true }),
  duration: duration("How long to send requests per version, Go syntax: 10s, 1m30s").refine(
    (ms) => ms > 0,
    { error: "duration must be longer than 0" },
  ),
  qps: z
    .number()
    .min(0, { error: "qps cannot be negative; use 0 to send as fast as the connections allow" })
    .max(SPEC_LIMITS.maxQps, {
      error: (issue) =>
        `qps ${describeValue(issue.input)} is too high: at most ${SPEC_LIMITS.maxQps} per version`,
    })
    .default(DEFAULT_LOAD.qps)
    .describe("Requests per second per version; 0 means as fast as the connections allow"),
  connections: z
    .int()
    .min(1)
    .max(SPEC_LIMITS.maxConnections, {
      error: (issue) =>
        `connections ${describeValue(issue.input)} is too many: at most ${SPEC_LIMITS.maxConnections} per version`,
    })
    .describe(`Requests in flight per version (at most ${SPEC_LIMITS.maxConnections})`)
    .default(DEFAULT_LOAD.connections),
  payloadStr: z.string().describe("Request body; requests become POST"),
  payloadURL: httpUrl.describe("URL to fetch the request body from; requests become POST"),
  payloadFile: z
    .string()
    .min(1)
    .describe("File (relative to the experiment) holding the request body"),
  contentType: z.string().min(1).describe("Content-Type of the request body"),
  method: z.enum(HTTP_METHODS).describe("HTTP method; POST when a payload is set, GET otherwise"),
  headers: headers.optional(),
  timeout: duration("Per-request timeout, Go syntax: 500ms, 10s").refine((ms) => ms > 0, {
    error: "timeout must be longer than 0",
  }),
  warmup: duration("Warm-up before measuring, discarded; Go syntax: 1s"),
  workers: z
    .int()
    .min(1)
    .max(SPEC_LIMITS.maxWorkers, {
      error: (issue) =>
        `workers ${describeValue(issue.input)} is too many: at most ${SPEC_LIMITS.maxWorkers} per version`,
    })
    .describe(`Worker threads sharing the load of one version (at most ${SPEC_LIMITS.maxWorkers})`),
  pacing: z
    .enum(["precise", "timer"])
    .describe(
      "How paced requests are timed: precise (default; a clock thread, within tens of µs) or timer (millisecond timers, requests due in the same ms leave together; about half the CPU per request)",
    ),
  errorRanges: z
    .array(errorRange)
    .default(() => DEFAULT_LOAD.errorRanges.map((range) => ({ ...range })))
    .describe("Status code ranges that count as errors; default [{lower: 400}]"),
  percentiles,
} as const;

type LoadShapeOutput = {
  [K in keyof typeof loadShape]: z.output<(typeof loadShape)[K]>;
};

function optionalShape<T extends Record<string, z.ZodType>>(shape: T) {
  return Object.fromEntries(
    Object.entries(shape).map(([key, schema]) => [
      key,
      schema instanceof z.ZodDefault ? schema : schema.optional(),
    ]),
  ) as { [K in keyof T]: T[K] extends z.ZodDefault ? T[K] : z.ZodOptional<T[K]> };
}

function checkLoadCombinations(inputs: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (inputs.numQueries !== undefined && inputs.numRequests !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["numQueries"],
      message: "numQueries is the old name of numRequests; set only numRequests",
    });
  }
  const payloads = ["payloadStr", "payloadURL", "payloadFile"].filter(
    (k) => inputs[k] !== undefined,
  );
  if (payloads.length > 1) {
    ctx.addIssue({
      code: "custom",
      path: [payloads[1] ?? "payloadStr"],
      message: `set only one of payloadStr, payloadURL and payloadFile (found ${payloads.join(" and ")})`,
    });
  }
}

function toLoadInputs(
  w: Partial<LoadShapeOutput> &
    Pick<LoadShapeOutput, "qps" | "connections" | "errorRanges" | "percentiles">,
  versions: Array<VersionInfo | null>,
): LoadInputs {
  const inputs: LoadInputs = {
    qps: w.qps,
    connections: w.connections,
    errorRanges: w.errorRanges,
    percentiles: w.percentiles,
    versionInfo: versions.map((entry) => (entry === null ? null : compact(entry))),
  };
  const numRequests = w.numRequests ?? w.numQueries;
  if (numRequests !== undefined) inputs.numRequests = numRequests;
  else if (w.duration !== undefined) inputs.durationMs = w.duration;
  else inputs.numRequests = DEFAULT_LOAD.numRequests;
  if (w.payloadStr !== undefined) inputs.payloadStr = w.payloadStr;
  if (w.payloadURL !== undefined) inputs.payloadURL = w.payloadURL;
  if (w.payloadFile !== undefined) inputs.payloadFile = w.payloadFile;
  if (w.contentType !== undefined) inputs.contentType = w.contentType;
  if (w.method !== undefined) inputs.method = w.method;
  if (w.headers !== undefined) inputs.headers = w.headers;
  if (w.timeout !== undefined) inputs.timeoutMs = w.timeout;
  if (w.warmup !== undefined) inputs.warmupMs = w.warmup;
  if (w.workers !== undefined) inputs.workers = w.workers;
  if (w.pacing !== undefined) inputs.pacing = w.pacing;
  return inputs;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Inputs of `gen-load-and-collect-metrics` as written (Iter8 v0.8). */
export const loadInputsSchema = named(
  "LoadInputs",
  z
    .strictObject({ ...optionalShape(loadShape), versionInfo })
    .superRefine(checkLoadCombinations)
    .transform((w): LoadInputs => toLoadInputs(w, w.versionInfo)),
);

/** Inputs of the `http` alias: the v0.8 inputs plus `url` for a single version (Iter8 v0.11). */
export const httpInputsSchema = named(
  "HttpInputs",
  z
    .strictObject({
      ...optionalShape(loadShape),
      url: httpUrl.describe("Where to send requests (one version); or use versionInfo").optional(),
      versionInfo: versionInfo.optional(),
    })
    .superRefine((w, ctx) => {
      checkLoadCombinations(w, ctx);
      if (w.url === undefined && w.versionInfo === undefined) {
        ctx.addIssue({
          code: "custom",
          message: "missing url: give url (one version) or versionInfo (one entry per version)",
        });
      } else if (w.url !== undefined && w.versionInfo !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["versionInfo"],
          message: "set url (one version) or versionInfo (one entry per version), not both",
        });
      }
    })
    .transform((w): LoadInputs => {
      const versions = w.versionInfo ?? [{ url: w.url ?? "" }];
      return toLoadInputs(w, versions);
    }),
);

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

// --- tasks ------------------------------------------------------------------------------------

function withCondition<T extends Task>(
  task: T,
  cond: { ast: Condition; text: string } | undefined,
): T {
  return cond ? { ...task, if: cond.ast, ifText: cond.text } : task;
}

function taskName<T extends string>(name: T, description: string) {
  return z.literal(name).describe(description);
}

/** `gen-load-and-collect-metrics`: load each version over HTTP and collect built-in metrics. */
export const loadTaskSchema = named(
  "LoadTask",
  z
    .strictObject({
      task: taskName(
        TASK_NAMES.load,
        "Send HTTP requests to each version and collect built-in metrics",
      ),
      if: condition.optional(),
      with: loadInputsSchema,
    })
    .transform((t): LoadTask => withCondition({ task: TASK_NAMES.load, with: t.with }, t.if)),
);

/** `http` (Iter8 v0.11 name of the load task): like `gen-load-and-collect-metrics`, plus `url`. */
export const httpTaskSchema = named(
  "HttpTask",
  z
    .strictObject({
      task: taskName("http", "Alias of gen-load-and-collect-metrics (Iter8 v0.11)"),
      if: condition.optional(),
      with: httpInputsSchema,
    })
    .transform((t): LoadTask => withCondition({ task: TASK_NAMES.load, with: t.with }, t.if)),
);

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

const script = z
  .string()
  .refine((s) => s.trim() !== "", { error: "the script is empty" })
  .describe("Shell script, run with bash; a non-zero exit fails the task");

const runTimeout = duration(
  "Stop the script (its whole process group) after this long; default 10m; Go syntax: 30s",
).refine((ms) => ms > 0, {
  error: "timeout must be longer than 0",
});

/** `assess` with Iter8 v0.11 SLOs only (`parseExperiment` uses it when SLOs is a mapping). */
export const assessV011TaskSchema = z
  .strictObject({
    task: taskName("assess", "Alias of assess-app-versions (Iter8 v0.11)"),
    if: condition.optional(),
    with: z.strictObject({ SLOs: v011Slos }),
  })
  .transform((t): AssessTask => withCondition({ task: TASK_NAMES.assess, with: t.with }, t.if));

/** `run: <script>`: a bash script. */
export const runTaskSchema = named(
  "RunTask",
  z
    .strictObject({
      run: script,
      if: condition.optional(),
      with: z.strictObject({ timeout: runTimeout.optional() }).optional(),
    })
    .transform((t): RunTask => {
      const inputs: RunTask["with"] = { script: t.run };
      if (t.with?.timeout !== undefined) inputs.timeoutMs = t.with.timeout;
      return withCondition({ task: TASK_NAMES.run, with: inputs }, t.if);
    }),
);

/** `task: run` with `with.script`: the normalised form of a `run:` task, also accepted as input. */
export const runNamedTaskSchema = named(
  "RunNamedTask",
  z
    .strictObject({
      task: taskName(TASK_NAMES.run, "Run a bash script (usually written as run: <script>)"),
      if: condition.optional(),
      with: z.strictObject({ script, timeout: runTimeout.optional() }),
    })
    .transform((t): RunTask => {
      const inputs: RunTask["with"] = { script: t.with.script };
      if (t.with.timeout !== undefined) inputs.timeoutMs = t.with.timeout;
      return withCondition({ task: TASK_NAMES.run, with: inputs }, t.if);
    }),
);

/** `abnmetrics`: read the metrics an `iter8 abn` service collected for an app's versions. */
export const abnMetricsTaskSchema = named(
  "AbnMetricsTask",
  z
    .strictObject({
      task: taskName(TASK_NAMES.abnMetrics, "Read A/B/n metrics collected by an iter8 abn service"),
      if: condition.optional(),
      with: z.strictObject({
        url: httpUrl.describe("Base URL of the iter8 abn service, e.g. http://127.0.0.1:8080"),
        app: z.string().min(1).describe("The application whose versions are compared"),
        timeout: duration("Per-request timeout, Go syntax: 5s").optional(),
      }),
    })
    .transform((t): AbnMetricsTask =>
      withCondition(
        {
          task: TASK_NAMES.abnMetrics,
          with: compact({ url: t.with.url, app: t.with.app, timeoutMs: t.with.timeout }),
        },
        t.if,
      ),
    ),
);

const templateRef = z
  .string()
  .min(1)
  .describe("Provider template: a path relative to the experiment, or an http(s) URL");

const templateValues = z.record(z.string(), z.unknown());

/** `custommetrics` (Iter8 v0.11): read metrics from any backend through provider templates. */
export const customMetricsTaskSchema = named(
  "CustomMetricsTask",
  z
    .strictObject({
      task: taskName(
        TASK_NAMES.customMetrics,
        "Read metrics from backends such as Prometheus through provider templates",
      ),
      if: condition.optional(),
      with: z.strictObject({
        templates: z
          .record(z.string().regex(/^[A-Za-z0-9][\w.-]*$/), templateRef)
          .refine((t) => Object.keys(t).length > 0, {
            error:
              "templates must name at least one provider, e.g. prometheus-http: prometheus-http.tpl",
          })
          .describe(
            "Provider name → template (path or URL); metrics are named <provider>/<metric>",
          ),
        values: templateValues.optional().describe("Template values common to every version"),
        versionValues: z
          .array(templateValues)
          .optional()
          .describe("One map of template values per version, merged over values"),
        startingTime: z
          .string()
          .refine((t) => !Number.isNaN(Date.parse(t)), {
            error: (issue) =>
              `startingTime must be an ISO 8601 time such as 2024-01-02T15:04:05Z, got ${describeValue(issue.input)}`,
          })
          .optional()
          .describe("Time elapsedTimeSeconds counts from; default the experiment's start"),
        timeout: duration("Per-attempt timeout of backend calls, Go syntax: 5s")
          .refine((ms) => ms > 0, { error: "timeout must be longer than 0" })
          .optional(),
        retries: z
          .int()
          .min(0)
          .max(5)
          .optional()
          .describe("Retries of a failed backend call (0-5)"),
      }),
    })
    .transform((t): CustomMetricsTask =>
      withCondition(
        {
          task: TASK_NAMES.customMetrics,
          with: compact({
            templates: t.with.templates,
            values: t.with.values ?? {},
            versionValues: t.with.versionValues ?? [],
            startingTime: t.with.startingTime,
            timeoutMs: t.with.timeout,
            retries: t.with.retries,
          }),
        },
        t.if,
      ),
    ),
);

/** `proxymetrics`: built-in metrics from an iter8 traffic proxy's per-version counters. */
export const proxyMetricsTaskSchema = named(
  "ProxyMetricsTask",
  z
    .strictObject({
      task: taskName(
        TASK_NAMES.proxyMetrics,
        "Read built-in metrics from an iter8 traffic proxy's per-version counters",
      ),
      if: condition.optional(),
      with: z.strictObject({
        admin: httpUrl.describe("Base URL of the proxy's admin API, e.g. http://127.0.0.1:9901"),
        versions: z
          .array(z.string().min(1))
          .min(1)
          .superRefine((list, ctx) => {
            list.forEach((name, index) => {
              if (list.indexOf(name) !== index) {
                ctx.addIssue({
                  code: "custom",
                  path: [index],
                  message: `version ${JSON.stringify(name)} is listed twice`,
                });
              }
            });
          })
          .optional()
          .describe(
            "The proxy's version names, one per experiment version; default the versions of the proxy's routing, in order",
          ),
        percentiles,
        window: z
          .boolean()
          .optional()
          .describe(
            "true: read the proxy's stats window and start a new one (POST /stats/window); default false: cumulative counters (GET /stats)",
          ),
        traffic: z
          .enum(["live", "mirror"])
          .optional()
          .describe("Which counters to read: live (default, client traffic) or mirror (copies)"),
        timeout: duration("Per-request timeout of admin API calls, Go syntax: 5s")
          .refine((ms) => ms > 0, { error: "timeout must be longer than 0" })
          .optional(),
        tokenFile: z
          .string()
          .min(1)
          .optional()
          .describe(
            "File holding the proxy's admin token, relative to the experiment's folder; default the ITER8_PROXY_TOKEN environment variable",
          ),
      }),
    })
    .transform((t): ProxyMetricsTask =>
      withCondition(
        {
          task: TASK_NAMES.proxyMetrics,
          with: compact({
            admin: t.with.admin,
            versions: t.with.versions,
            percentiles: t.with.percentiles,
            window: t.with.window ?? false,
            traffic: t.with.traffic ?? "live",
            timeoutMs: t.with.timeout,
            tokenFile: t.with.tokenFile,
          }),
        },
        t.if,
      ),
    ),
);

/** Task schemas by the name written in `task:`; `run:` items use `runTaskSchema`. */
export const TASK_SCHEMAS = {
  [TASK_NAMES.load]: loadTaskSchema,
  http: httpTaskSchema,
  [TASK_NAMES.assess]: assessTaskSchema,
  assess: assessAliasTaskSchema,
  [TASK_NAMES.run]: runNamedTaskSchema,
  [TASK_NAMES.customMetrics]: customMetricsTaskSchema,
  [TASK_NAMES.abnMetrics]: abnMetricsTaskSchema,
  [TASK_NAMES.proxyMetrics]: proxyMetricsTaskSchema,
} as const;

/** A task name written in `task:` that iter8 knows. */
export type KnownTaskName = keyof typeof TASK_SCHEMAS;

const taskSchema = named(
  "Task",
  z.union([
    loadTaskSchema,
    httpTaskSchema,
    assessTaskSchema,
    assessAliasTaskSchema,
    runTaskSchema,
    runNamedTaskSchema,
    abnMetricsTaskSchema,
    customMetricsTaskSchema,
    proxyMetricsTaskSchema,
  ]),
);

const v08Experiment = z
  .array(taskSchema)
  .describe("An iter8 experiment: a list of tasks, run in order")
  .transform((tasks): Experiment => ({ tasks, format: "v0.8" }));

const v011Experiment = z
  .strictObject({
    spec: z.array(taskSchema).describe("The tasks, run in order"),
    result: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("A previous run's result (ignored)"),
  })
  .describe("An Iter8 v0.11 experiment file")
  .transform((file): Experiment => ({ tasks: file.spec, format: "v0.11" }));

/**
 * The whole experiment file: a list of tasks (Iter8 v0.8) or `{spec: [...], result?}` (v0.11).
 * Its input side is the JSON Schema of `experiment.yaml`; its output is the normalised `Experiment`.
 * `parseExperiment` applies the same task schemas one task at a time, for precise messages.
 */
export const experimentSchema = z.union([v08Experiment, v011Experiment]).meta({
  title: "iter8 experiment",
  description:
    "An iter8 experiment: a list of tasks (gen-load-and-collect-metrics, assess-app-versions, run).",
});

/** The JSON Schema (draft 2020-12) of `experiment.yaml`, generated from `experimentSchema`. */
export function experimentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(experimentSchema, {
    io: "input",
    target: "draft-2020-12",
    metadata: jsonSchemaNames,
    override: (ctx) => {
      const meta = z.globalRegistry.get(ctx.zodSchema);
      if (meta) Object.assign(ctx.jsonSchema, meta);
    },
  });
}
