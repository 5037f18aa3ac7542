/**
 * The typed data model every iter8 package speaks: the parsed (normalised) experiment and the
 * result written to `result.yaml`. Shapes follow Iter8 v0.8 (DESIGN §3); additive fields are marked.
 */

/** Canonical task names (seed names). Aliases such as `http` and `assess` normalise to these. */
export const TASK_NAMES = {
  load: "gen-load-and-collect-metrics",
  assess: "assess-app-versions",
  run: "run",
} as const;

/** A parsed `if:` condition. Evaluated by `@iter8/slo` against a result; never by `eval`. */
export type Condition =
  | { kind: "slos" }
  | { kind: "slosBy"; version: number }
  | { kind: "not"; operand: Condition }
  | { kind: "and"; left: Condition; right: Condition }
  | { kind: "or"; left: Condition; right: Condition };

/** An inclusive range of HTTP status codes that count as errors; at least one bound is set. */
export interface ErrorRange {
  lower?: number;
  upper?: number;
}

/** Where to send one version's requests. */
export interface VersionInfo {
  url: string;
  headers?: Record<string, string>;
}

/** Inputs of `gen-load-and-collect-metrics` after defaults are applied (times in milliseconds). */
export interface LoadInputs {
  /** Exact number of measured requests per version; set when `durationMs` is not. */
  numRequests?: number;
  /** How long to send requests for, per version. */
  durationMs?: number;
  /** Target rate per version in requests per second; 0 means as fast as the connections allow. */
  qps: number;
  /** Maximum requests in flight per version. */
  connections: number;
  payloadStr?: string;
  payloadURL?: string;
  payloadFile?: string;
  contentType?: string;
  /** HTTP method; defaults to POST when a payload is given, GET otherwise. */
  method?: string;
  /** Headers sent to every version (per-version headers in `versionInfo` win). */
  headers?: Record<string, string>;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Discarded warm-up before measuring; unset means the loadgen default. */
  warmupMs?: number;
  /** Worker threads spreading the load of one version; unset means 1. */
  workers?: number;
  errorRanges: ErrorRange[];
  percentiles: number[];
  /** One entry per version; `null` skips a version but keeps its index. */
  versionInfo: Array<VersionInfo | null>;
}

/** One service-level objective; at least one limit is set; limits are inclusive. */
export interface SLO {
  metric: string;
  upperLimit?: number;
  lowerLimit?: number;
}

/** Inputs of `assess-app-versions`. */
export interface AssessInputs {
  SLOs: SLO[];
}

/** Inputs of the `run` task. */
export interface RunInputs {
  /** The bash script. */
  script: string;
  /** Kill the script after this long; unset means no limit. */
  timeoutMs?: number;
}

interface TaskCommon {
  /** The parsed `if:` condition, when present. */
  if?: Condition;
  /** The `if:` condition as written, for messages and reports. */
  ifText?: string;
}

/** `gen-load-and-collect-metrics` (alias `http`). */
export interface LoadTask extends TaskCommon {
  task: typeof TASK_NAMES.load;
  with: LoadInputs;
}

/** `assess-app-versions` (alias `assess`). */
export interface AssessTask extends TaskCommon {
  task: typeof TASK_NAMES.assess;
  with: AssessInputs;
}

/** A `run:` shell-script task. */
export interface RunTask extends TaskCommon {
  task: typeof TASK_NAMES.run;
  with: RunInputs;
}

/** Any task of a parsed experiment. */
export type Task = LoadTask | AssessTask | RunTask;

/** A parsed experiment: an ordered list of tasks. */
export interface Experiment {
  tasks: Task[];
  /** Which file layout it was read from. */
  format: "v0.8" | "v0.11";
}

/** How a metric counts (Iter8's names). */
export type MetricType = "Counter" | "Gauge";

/** Metadata of one metric, as in `insights.metricsInfo`. */
export interface MetricInfo {
  description: string;
  units?: string;
  type: MetricType;
}

/** Counts and shape of one version's load, additive to Iter8 v0.8's insights. */
export interface VersionLoadDetails {
  /** Responses by status code, e.g. `{ "200": 98, "503": 2 }`. */
  statusCodes: Record<string, number>;
  /** Transport failures by class (`refused`, `reset`, `timeout`, `dns`, `tls`, `other`). */
  errorClasses: Record<string, number>;
  /** Latency histogram buckets in milliseconds: `[lowerMs, upperMs, count]`. */
  histogram: Array<[number, number, number]>;
  /** Progress samples over the run, for charts of throughput and latency over time. */
  timeline?: Array<{
    elapsedMs: number;
    completed: number;
    errors: number;
    rate: number;
    p50Ms?: number;
    p99Ms?: number;
  }>;
  /** Actual minus intended send time, in milliseconds (paced runs). */
  dispatchLagMs?: { p50: number; p99: number; max: number };
  /** True when the run was aborted and the values cover only part of it. */
  partial?: boolean;
}

/** What the experiment learned, as in Iter8 v0.8's `insights`. */
export interface Insights {
  numVersions: number;
  metricsInfo: Record<string, MetricInfo>;
  /** One map per version: metric name → observed values (one value for built-in metrics). */
  metricValues: Array<Record<string, number[]>>;
  SLOs?: SLO[];
  /** Indexed [slo][version]. */
  SLOsSatisfied?: boolean[][];
  /** Indexed [version]: true when the version satisfies every SLO. */
  SLOsSatisfiedBy?: boolean[];
  /** Additive: per-version load details (`null` for a skipped version). */
  loadDetails?: Array<VersionLoadDetails | null>;
}

/** Which task failed and why (additive). */
export interface TaskFailure {
  index: number;
  task: string;
  message: string;
}

/** Captured output of a `run` task (additive), bounded in size. */
export interface RunOutput {
  index: number;
  exitCode: number | null;
  stdout: string;
  stderr: string;
  truncated?: boolean;
}

/** The contents of `result.yaml`. */
export interface ExperimentResult {
  /** ISO 8601 time the run started. */
  startTime: string;
  numCompletedTasks: number;
  failure: boolean;
  /** Additive: total number of tasks in the experiment, so `completed` can be judged alone. */
  numTasks?: number;
  /** Additive: set when a task failed. */
  failedTask?: TaskFailure;
  /** Additive: true when the run was interrupted; the values cover only part of it. */
  aborted?: boolean;
  /** Additive: indexes of tasks skipped because their `if:` was false. */
  skippedTasks?: number[];
  /** Additive: output of `run` tasks. */
  runOutputs?: RunOutput[];
  insights?: Insights;
}
