/**
 * The typed data model every iter8 package speaks: the parsed (normalised) experiment and the
 * result written to `result.yaml`. Shapes follow Iter8 v0.8 (DESIGN §3); additive fields are marked.
 */
import type { LoadSchedule } from "./load-schedule.js";

/** Canonical task names (seed names). Aliases such as `http` and `assess` normalise to these. */
export const TASK_NAMES = {
  load: "gen-load-and-collect-metrics",
  assess: "assess-app-versions",
  run: "run",
  customMetrics: "custommetrics",
  abnMetrics: "abnmetrics",
  proxyMetrics: "proxymetrics",
} as const;

/** A parsed `if:` condition. Evaluated by `@iter8/slo` against a result; never by `eval`. */
export type Condition =
  | { kind: "slos" }
  | { kind: "slosBy"; version: number }
  | { kind: "winner"; version?: number }
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
  /** A rate ramp (`loadSchedule` step or line and its keys); replaces `qps` when set. */
  schedule?: LoadSchedule;
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
  /** How paced requests are timed; unset means `precise`. */
  pacing?: "precise" | "timer";
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
  /** Additive: what a missing value means; `fail` (default) fails the SLO, `skip` ignores it. */
  onNoData?: "fail" | "skip";
}

/** A metric to compare versions on (additive: Iter8 v0.8 `rewards`), and which way is better. */
export interface Reward {
  metric: string;
  preferredDirection: "high" | "low";
}

/** Inputs of `assess-app-versions`. */
export interface AssessInputs {
  /** Empty when only `rewards` are given. */
  SLOs: SLO[];
  /** Additive: metrics to find a winner on; version 0 is the baseline. */
  rewards?: Reward[];
  /** Additive: how to compare versions; default `welch`. */
  method?: "welch" | "sequential" | "bayesian";
  /** Additive: significance level (frequentist), default 0.05. */
  alpha?: number;
  /** Additive: Bayesian only, the chance to win a winner needs; default 0.95. */
  winnerThreshold?: number;
  /** Additive: sequential only, the expected total sample size; default 5000. */
  sequentialTuning?: number;
  /** Additive: configured traffic weights per version, for the sample-ratio-mismatch check. */
  weights?: number[];
}

/** Inputs of `abnmetrics`: read the A/B/n metrics an `iter8 abn` service collected. */
export interface AbnMetricsInputs {
  /** Base URL of the `iter8 abn` service, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The application whose versions are compared. */
  app: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs?: number;
}

/** Inputs of the `run` task. */
export interface RunInputs {
  /** The bash script. */
  script: string;
  /** Kill the script (its whole process group) after this long; unset means 10 minutes. */
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

/** `abnmetrics`: reads per-version metric summaries from an `iter8 abn` service (additive). */
export interface AbnMetricsTask extends TaskCommon {
  task: typeof TASK_NAMES.abnMetrics;
  with: AbnMetricsInputs;
}

/** Inputs of `custommetrics` (Iter8 v0.11): metrics read from any backend via provider templates. */
export interface CustomMetricsInputs {
  /** Provider name → template: a path (relative to the experiment) or an http(s) URL. */
  templates: Record<string, string>;
  /** Template values common to every version. */
  values: Record<string, unknown>;
  /** One map per version, merged over `values`; their count is the number of versions. */
  versionValues: Array<Record<string, unknown>>;
  /** ISO 8601 time `elapsedTimeSeconds` counts from; default the result's `startTime`. */
  startingTime?: string;
  /** Per-attempt timeout of backend calls, in milliseconds. */
  timeoutMs?: number;
  /** Retries of a backend call after a timeout, a connection error, a 429 or a 5xx. */
  retries?: number;
}

/** `custommetrics`: reads metrics from backends such as Prometheus through provider templates. */
export interface CustomMetricsTask extends TaskCommon {
  task: typeof TASK_NAMES.customMetrics;
  with: CustomMetricsInputs;
}

/** Inputs of `proxymetrics` (additive): the built-in metrics of an iter8 traffic proxy's counters. */
export interface ProxyMetricsInputs {
  /** Base URL of the proxy's admin API, e.g. `http://127.0.0.1:9901`. */
  admin: string;
  /** The proxy's version names, one per experiment version; unset: the proxy's routing order. */
  versions?: string[];
  /** Latency percentiles to record. */
  percentiles: number[];
  /** True: read and restart the proxy's stats window; false: its cumulative counters. */
  window: boolean;
  /** Which counters to read: client traffic (`live`) or mirrored copies (`mirror`). */
  traffic: "live" | "mirror";
  /** Per-request timeout of admin API calls, in milliseconds. */
  timeoutMs?: number;
  /**
   * File holding the proxy's admin token (relative to the experiment's folder); unset: the
   * `ITER8_PROXY_TOKEN` environment variable.
   */
  tokenFile?: string;
}

/** `proxymetrics`: records built-in metrics from an iter8 traffic proxy's per-version counters. */
export interface ProxyMetricsTask extends TaskCommon {
  task: typeof TASK_NAMES.proxyMetrics;
  with: ProxyMetricsInputs;
}

/** Why a metric has no value for a version (additive): no data, NaN, or a backend error. */
export interface MetricProblem {
  status: "no-data" | "nan" | "error";
  reason: string;
}

/** Any task of a parsed experiment. */
export type Task =
  LoadTask | AssessTask | RunTask | AbnMetricsTask | CustomMetricsTask | ProxyMetricsTask;

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
  /** Additive: the shards a sharded run (`iter8 k run --shard`) split this load over. */
  shards?: ShardLoadDetails;
}

/** How a sharded run's load of one version was measured and merged. */
export interface ShardLoadDetails {
  /** How many shards the load was split over. */
  count: number;
  /** Requests each shard measured for this version; null for a shard that did not report. */
  requests: Array<number | null>;
  /**
   * Latest minus earliest of the reporting shards' start times (each machine's clock), in ms:
   * how far apart the shards began sending.
   */
  startSkewMs: number;
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
  /**
   * Indexed [version]: true when the version satisfies every SLO. `result.yaml` holds it as
   * Iter8 v0.8.0 did, the list of the indices of those versions; reading and writing convert.
   */
  SLOsSatisfiedBy?: boolean[];
  /** Additive: per-version load details (`null` for a skipped version). */
  loadDetails?: Array<VersionLoadDetails | null>;
  /** Additive: per version, metric name → why it has no value (custom metrics). */
  metricProblems?: Array<Record<string, MetricProblem>>;
  /** Additive: per version, metric name → sufficient statistics, for comparing versions. */
  metricSummaries?: Array<Record<string, MetricSummary>>;
  /** Additive: traffic weights the versions were configured with (e.g. by `iter8 abn`). */
  trafficWeights?: number[];
  /** Additive: units assigned to each version (e.g. distinct users seen by `iter8 abn`). */
  trafficCounts?: number[];
  /** Additive: the rewards versions were compared on. */
  rewards?: Reward[];
  /** Additive: every candidate compared with version 0 on every reward. */
  comparisons?: RewardComparison[];
  /** Additive: the winner (if any) and why. */
  winner?: WinnerAssessment;
  /** Read from Iter8 v0.13+ results: per reward metric (`max` then `min`), the winning version. */
  rewardsWinners?: { max?: number[]; min?: number[] };
}

/** Sufficient statistics of one metric for one version (additive). */
export type MetricSummary =
  | { type: "mean"; count: number; sum: number; sumSquares: number }
  | { type: "proportion"; count: number; successes: number };

/** One candidate version compared with the baseline (version 0) on one reward (additive). */
export interface RewardComparison {
  metric: string;
  /** The candidate version. */
  version: number;
  preferredDirection: "high" | "low";
  /** Relative lift of the candidate over the baseline (`0.1` = +10%). */
  estimate: number;
  standardError: number;
  /** Interval of the lift; an infinite end when the data cannot bound it. */
  ci: [number, number];
  pValue?: number;
  /** The p-value after Holm's correction across candidates. */
  adjustedPValue?: number;
  degreesOfFreedom?: number;
  chanceToWin?: number;
  risk?: [number, number];
  /** Significantly better than the baseline in the preferred direction. */
  better: boolean;
  /** Significantly worse than the baseline. */
  worse: boolean;
  /** Why the data cannot support the comparison, when so. */
  degenerate?: string;
}

/** The outcome of winner selection (additive). */
export interface WinnerAssessment {
  method: "welch" | "sequential" | "bayesian";
  /** The winning version; absent when there is no winner yet. */
  version?: number;
  /** One line: who won and by how much, or why there is no winner yet. */
  reason: string;
  /** Sample-ratio-mismatch check of the versions' counts against the configured weights. */
  srm?: {
    counts: number[];
    weights: number[];
    chiSquare: number;
    pValue: number;
    mismatch: boolean;
  };
  /** Warnings, e.g. a sample-ratio mismatch. */
  warnings?: string[];
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
