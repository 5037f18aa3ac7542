import { z } from "zod";
import { describeValue } from "../describe-value.js";
import { SPEC_LIMITS } from "../limits.js";
import { explainBadLoadSchedule } from "../load-schedule.js";
import type { LoadSchedule } from "../load-schedule.js";
import type { ErrorRange, LoadInputs, LoadTask, VersionInfo } from "../model.js";
import { TASK_NAMES } from "../model.js";
import {
  compact,
  condition,
  duration,
  headers,
  httpUrl,
  named,
  taskName,
  withCondition,
} from "./common.js";

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

/** Latency percentiles to collect (shared with `proxymetrics`). */
export const percentiles = z
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

/** A ramp's rate in requests per second: above 0, at most the qps limit. */
const rampRate = (key: string, what: string) =>
  z
    .number()
    .gt(0, { error: `${key} must be greater than 0 (requests per second)` })
    .max(SPEC_LIMITS.maxQps, {
      error: (issue) =>
        `${key} ${describeValue(issue.input)} is too high: at most ${SPEC_LIMITS.maxQps} per version`,
    })
    .describe(what);

const positiveDuration = (key: string, what: string) =>
  duration(what).refine((ms) => ms > 0, { error: `${key} must be longer than 0` });

/** The ramp keys: ghz's load-schedule options, camelCased as the other keys of this task. */
const rampShape = {
  loadSchedule: z
    .enum(["const", "step", "line"])
    .describe(
      "Rate ramp, as ghz's load-schedule: const (qps, the default), step (loadStep every loadStepDuration) or line (loadStep per second, continuously); step and line replace qps",
    ),
  loadStart: rampRate("loadStart", "Ramp: the rate it starts at, requests per second"),
  loadStep: z
    .number()
    .describe(
      "Ramp: how much the rate changes (negative: down), every loadStepDuration (step) or per second (line)",
    ),
  loadEnd: rampRate(
    "loadEnd",
    "Ramp: the rate it ends at and then holds (with loadMaxDuration, whichever comes first)",
  ),
  loadStepDuration: positiveDuration(
    "loadStepDuration",
    "Ramp (step): how long each rate holds, Go syntax: 5s",
  ),
  loadMaxDuration: positiveDuration(
    "loadMaxDuration",
    "Ramp: how long the rate changes at most, then holds, Go syntax: 1m",
  ),
} as const;

const RAMP_KEYS = Object.keys(rampShape).filter((key) => key !== "loadSchedule");

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
      "How paced requests are timed: precise (default; a clock thread wakes on time, within tens of µs, at most about once a ms: from 2 000/s up each wake also sends the requests due in the next ms, early) or timer (millisecond timers, requests due in the same ms leave together, up to 1-2 ms late; less CPU per request)",
    ),
  errorRanges: z
    .array(errorRange)
    .default(() => DEFAULT_LOAD.errorRanges.map((range) => ({ ...range })))
    .describe("Status code ranges that count as errors; default [{lower: 400}]"),
  percentiles,
  ...rampShape,
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
  checkLoadSchedule(inputs, ctx);
}

/** The ramp the inputs ask for: `loadSchedule` step or line with its keys; undefined for const. */
function toLoadSchedule(w: Partial<LoadShapeOutput>): LoadSchedule | undefined {
  const { loadSchedule: kind, loadStart: start, loadStep: step } = w;
  if ((kind !== "step" && kind !== "line") || start === undefined || step === undefined) {
    return undefined;
  }
  const bounds: { end?: number; maxDurationMs?: number } = {};
  if (w.loadEnd !== undefined) bounds.end = w.loadEnd;
  if (w.loadMaxDuration !== undefined) bounds.maxDurationMs = w.loadMaxDuration;
  if (kind === "line") return { kind, start, step, ...bounds };
  return { kind, start, step, stepDurationMs: w.loadStepDuration ?? Number.NaN, ...bounds };
}

/** True when each value of a ramp passed its own check (those failing are reported already). */
function rampValuesValid(ramp: Extract<LoadSchedule, { start: number }>): boolean {
  const rate = (r: number | undefined) => r === undefined || (r > 0 && r <= SPEC_LIMITS.maxQps);
  const span = (ms: number | undefined) => ms === undefined || ms > 0;
  return (
    rate(ramp.start) &&
    rate(ramp.end) &&
    span(ramp.maxDurationMs) &&
    (ramp.kind === "line" || span(ramp.stepDurationMs))
  );
}

function checkLoadSchedule(inputs: Partial<LoadShapeOutput>, ctx: z.RefinementCtx): void {
  const kind = inputs.loadSchedule;
  const given = RAMP_KEYS.filter((key) => inputs[key as keyof LoadShapeOutput] !== undefined);
  if (kind !== "step" && kind !== "line") {
    for (const key of given) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: `${key} is for a ramp: set loadSchedule to step or line (it is ${kind ?? "const, the default"})`,
      });
    }
    return;
  }
  const missing: string[] = (["loadStart", "loadStep"] as const).filter(
    (key) => inputs[key] === undefined,
  );
  if (kind === "step" && inputs.loadStepDuration === undefined) missing.push("loadStepDuration");
  if (missing.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: ["loadSchedule"],
      message: `loadSchedule ${kind} needs ${missing.join(" and ")}, e.g. loadStart: 10, loadStep: 10${kind === "step" ? ", loadStepDuration: 5s" : ""}`,
    });
    return;
  }
  if (kind === "line" && inputs.loadStepDuration !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["loadStepDuration"],
      message:
        "loadStepDuration is for loadSchedule step; a line ramp changes its rate continuously, loadStep per second",
    });
    return;
  }
  const schedule = toLoadSchedule(inputs);
  if (schedule === undefined || schedule.kind === "const" || !rampValuesValid(schedule)) return;
  const problem = explainBadLoadSchedule(schedule, {
    start: "loadStart",
    step: "loadStep",
    stepDurationMs: "loadStepDuration",
    end: "loadEnd",
    maxDurationMs: "loadMaxDuration",
  });
  if (problem) ctx.addIssue({ code: "custom", path: [problem.key], message: problem.message });
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
  const schedule = toLoadSchedule(w);
  if (schedule !== undefined) inputs.schedule = schedule;
  return inputs;
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
