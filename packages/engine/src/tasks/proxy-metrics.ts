import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Insights, MetricProblem, ProxyMetricsTask } from "@iter8/spec";
import { BUILT_IN_METRICS, percentileMetricName, PROXY_TOKEN_ENV } from "@iter8/spec";
import { deriveBuiltInMetrics, LatencyHistogram } from "@iter8/metrics";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";
import type { TaskContext } from "../registry.js";
import { recordSummaries } from "./load.js";

/** Per-request timeout of the admin API calls when the task sets none. */
export const PROXY_METRICS_TIMEOUT_MS = 10_000;

/** Environment variable the proxy's admin token is read from when `tokenFile` is not set. */

/** The admin token: the first line of `tokenFile`, else `ITER8_PROXY_TOKEN`, else none. */
async function readAdminToken(
  tokenFile: string | undefined,
  ctx: TaskContext,
): Promise<string | undefined> {
  if (tokenFile === undefined) return ctx.env[PROXY_TOKEN_ENV] || undefined;
  const path = resolve(ctx.dir, tokenFile);
  try {
    return (await readFile(path, "utf8")).trim();
  } catch (error) {
    throw fail(
      `cannot read tokenFile ${tokenFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/** One version's counters for one kind of traffic, as the proxy's `/stats` serves them. */
interface Counters {
  requests: number;
  errors: number;
  latency: string;
}

/** The part of the proxy's `/stats` answer this task reads. */
interface Stats {
  /** Generation of the route table in force when the counters were read. */
  generation?: number;
  versions: Record<string, Partial<Record<"live" | "mirror", Counters>>>;
}

/** The part of the proxy's `GET /routing` answer this task reads. */
interface RoutingAnswer {
  /** 1 for the routing the proxy started with; each swap adds 1. */
  generation?: number;
  routing: { versions: Array<{ name: string }>; routes?: unknown };
}

/** Thrown inside the task and turned into one `ITER8_TASK_FAILED` line. */
function fail(message: string): EngineError {
  return new EngineError(ENGINE_ERROR_CODES.taskFailed, `proxymetrics: ${message}`);
}

/** The root cause of a failed `fetch`, e.g. `connect ECONNREFUSED 127.0.0.1:9901`. */
function describeFetchError(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.message !== "") return cause.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

function isCounters(value: unknown): value is Counters {
  return (
    isRecord(value) &&
    isCount(value.requests) &&
    isCount(value.errors) &&
    value.errors <= value.requests &&
    typeof value.latency === "string"
  );
}

/** The stats answer, checked: every version entry must carry well-formed counters. */
function readStats(body: unknown, what: string): Stats {
  if (!isRecord(body) || !isRecord(body.versions)) {
    throw fail(`${what} is not an iter8 traffic proxy's stats (no versions object)`);
  }
  for (const [name, entry] of Object.entries(body.versions)) {
    if (!isRecord(entry) || !isCounters(entry.live) || !isCounters(entry.mirror)) {
      throw fail(`${what} has malformed counters for version ${JSON.stringify(name)}`);
    }
  }
  return body as unknown as Stats;
}

/** The routing in force, from `GET /routing`, checked as far as this task reads it. */
function readRouting(body: unknown, what: string): RoutingAnswer {
  const versions =
    isRecord(body) && isRecord(body.routing) && Array.isArray(body.routing.versions)
      ? body.routing.versions
      : undefined;
  const names = versions?.map((v) => (isRecord(v) ? v.name : undefined));
  if (!names || names.length === 0 || !names.every((n): n is string => typeof n === "string")) {
    throw fail(`${what} is not an iter8 traffic proxy's routing (no versions list)`);
  }
  return body as RoutingAnswer;
}

/**
 * The share of live requests each of `names` is expected to get, when the routing says so
 * honestly: the routing is the one the proxy started with (generation 1 when both the routing and
 * the counters were read, so every counted request was routed by it), exactly one route sends
 * traffic to the named versions (so its weights are their split, whatever share of all requests the
 * route matches), and that route has no affinity (with affinity the unit assigned is a user, not a
 * request, and a request-count test would flag mismatches that are not there). Otherwise
 * `undefined`: the weights in force do not describe the counts.
 */
function expectedWeights(
  routing: RoutingAnswer,
  stats: Stats,
  names: readonly string[],
): number[] | undefined {
  if (routing.generation !== 1 || stats.generation !== 1) return undefined;
  const routes = Array.isArray(routing.routing.routes)
    ? routing.routing.routes.filter(isRecord)
    : [];
  const weightIn = (split: unknown, name: string): number => {
    if (!Array.isArray(split)) return 0;
    return split.reduce<number>((sum, entry) => {
      if (!isRecord(entry) || entry.version !== name) return sum;
      return typeof entry.weight === "number" && entry.weight > 0 ? sum + entry.weight : sum;
    }, 0);
  };
  const sending = routes.filter((route) => names.some((name) => weightIn(route.split, name) > 0));
  const route = sending[0];
  if (sending.length !== 1 || !route || route.affinity !== undefined) return undefined;
  return names.map((name) => weightIn(route.split, name));
}

/** The metrics a version without traffic has no value for: rates and latencies. */
function metricsNeedingTraffic(percentiles: readonly number[]): string[] {
  return [
    ...BUILT_IN_METRICS.filter(
      (m) => m !== "built-in/request-count" && m !== "built-in/error-count",
    ),
    ...percentiles.map(percentileMetricName),
  ];
}

/**
 * `proxymetrics`: reads an iter8 traffic proxy's per-version counters from its admin API (`GET
 * /stats`, or `POST /stats/window` to read and restart the window) and records the built-in
 * metrics the load task records (`built-in/request-count`, `error-count`, `error-rate`,
 * latencies and `pXX.X`, plus the error-rate and mean-latency summaries for comparisons), one
 * experiment version per proxy version. A version with no requests gets counts of 0 and no rate or
 * latency values (they are recorded in `insights.metricProblems` as `no-data`), so SLOs on them
 * fail rather than pass on a made-up 0. The task fails with one line when the admin API cannot be
 * reached, answers with something other than proxy stats, or lacks a named version.
 *
 * For the sample-ratio-mismatch check of `assess-app-versions` (with rewards) it records each
 * version's request count as `insights.trafficCounts` and, for live traffic when the routing in
 * force honestly gives the expected split, the route's weights as
 * `insights.trafficWeights`; otherwise it records no weights, and the assess task's `weights:`
 * supply them.
 */
export async function proxyMetricsTaskRunner(
  task: ProxyMetricsTask,
  ctx: TaskContext,
): Promise<void> {
  const inputs = task.with;
  const base = inputs.admin.replace(/\/+$/, "");
  const timeoutMs = inputs.timeoutMs ?? PROXY_METRICS_TIMEOUT_MS;
  const token = await readAdminToken(inputs.tokenFile, ctx);
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };

  const call = async (method: "GET" | "POST", path: string): Promise<unknown> => {
    const url = `${base}${path}`;
    const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(timeoutMs)]);
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { method, signal, headers });
      status = res.status;
      text = await res.text();
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      if (signal.aborted) {
        throw fail(
          `the proxy's admin API at ${base} did not answer ${method} ${path} in ${timeoutMs} ms`,
        );
      }
      throw fail(
        `cannot reach the proxy's admin API at ${base} (${describeFetchError(error)}); start the proxy with iter8 traffic proxy -f routing.yaml --admin-port <port> and set admin: to its admin URL`,
      );
    }
    if (status === 401) {
      throw fail(
        `${method} ${url} answered 401: the proxy's admin API needs its token; set ${PROXY_TOKEN_ENV} or tokenFile: to the token the proxy printed at start`,
      );
    }
    if (status !== 200) {
      const body = text.trim().replace(/\s+/g, " ").slice(0, 200);
      throw fail(
        `${method} ${url} answered ${status}${body ? `: ${body}` : ""}; is admin: the admin URL of an iter8 traffic proxy?`,
      );
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw fail(
        `${method} ${url} did not answer with JSON; is admin: the admin URL of an iter8 traffic proxy?`,
      );
    }
  };

  const readRoutingAnswer = async () =>
    readRouting(await call("GET", "/routing"), `GET ${base}/routing`);
  let names: string[];
  let stats: Stats;
  let routing: RoutingAnswer | undefined;
  try {
    if (inputs.versions === undefined) routing = await readRoutingAnswer();
    names = inputs.versions ?? (routing?.routing.versions ?? []).map((v) => v.name);
    // Check the names before a window read restarts the window, so a typo loses no counts.
    const cumulative = readStats(await call("GET", "/stats"), `GET ${base}/stats`);
    const known = Object.keys(cumulative.versions);
    const unknown = names.find((name) => !known.includes(name));
    if (unknown !== undefined) {
      throw fail(
        `the proxy at ${base} has no version ${JSON.stringify(unknown)}; its versions are ${known.join(", ") || "(none)"}`,
      );
    }
    // Live traffic is split by the routing's weights: read them for the sample-ratio check.
    if (inputs.traffic === "live") routing ??= await readRoutingAnswer();
    stats = inputs.window
      ? readStats(await call("POST", "/stats/window"), `POST ${base}/stats/window`)
      : cumulative;
  } catch (error) {
    if (ctx.signal.aborted) return;
    throw error;
  }

  const numVersions = names.length;
  const insights: Insights = ctx.result.insights ?? {
    numVersions,
    metricsInfo: {},
    metricValues: [],
  };
  insights.numVersions = Math.max(insights.numVersions, numVersions);
  while (insights.metricValues.length < insights.numVersions) insights.metricValues.push({});
  const problems: Array<Record<string, MetricProblem>> = insights.metricProblems ?? [];
  while (problems.length < insights.numVersions) problems.push({});

  names.forEach((name, v) => {
    const counters = stats.versions[name]?.[inputs.traffic] ?? {
      requests: 0,
      errors: 0,
      latency: "",
    };
    let latency: LatencyHistogram;
    try {
      latency =
        counters.requests > 0 ? LatencyHistogram.decode(counters.latency) : new LatencyHistogram();
    } catch {
      throw fail(
        `the proxy sent a latency histogram for version ${JSON.stringify(name)} that cannot be decoded`,
      );
    }
    const summary = { requests: counters.requests, errors: counters.errors, latency };
    const derived = deriveBuiltInMetrics(summary, inputs.percentiles);
    Object.assign(insights.metricsInfo, derived.metricsInfo);
    const values = insights.metricValues[v] ?? {};
    const own = problems[v] ?? {};
    for (const [metric, observed] of Object.entries(derived.values)) {
      // Iter8 keeps a list per metric: a later measurement of the same metric is appended.
      values[metric] = [...(values[metric] ?? []), ...observed];
      delete own[metric];
    }
    if (counters.requests === 0) {
      const reason = `the proxy counted no ${inputs.traffic} requests for version ${JSON.stringify(name)}${inputs.window ? " in this window" : ""}`;
      for (const metric of metricsNeedingTraffic(inputs.percentiles)) {
        own[metric] = { status: "no-data", reason };
      }
    } else {
      recordSummaries(insights, v, summary);
    }
    insights.metricValues[v] = values;
    problems[v] = own;
  });

  if (problems.some((p) => Object.keys(p).length > 0)) insights.metricProblems = problems;
  else delete insights.metricProblems;
  // The counts and the weights the sample-ratio-mismatch check compares are one pair: replace
  // both, so these counts never meet weights another task recorded.
  insights.trafficCounts = names.map(
    (name) => stats.versions[name]?.[inputs.traffic]?.requests ?? 0,
  );
  const weights =
    inputs.traffic === "live" && routing ? expectedWeights(routing, stats, names) : undefined;
  if (weights && weights.some((w) => w > 0)) insights.trafficWeights = weights;
  else delete insights.trafficWeights;
  ctx.result.insights = insights;
}
