import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { ProxyMetricsTask, Route } from "@iter8/spec";
import { PROXY_TOKEN_ENV } from "@iter8/spec";
import { createProxyAdminClient, deriveProxyVersionMetrics, ProxyAdminError } from "@iter8/traffic";
import type { ProxyRoutingAnswer, ProxyStats, ProxyVersionMetrics } from "@iter8/traffic";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";
import { InsightsRecorder } from "../insights-recorder.js";
import type { TaskContext } from "../registry.js";

/** Per-request timeout of the admin API calls when the task sets none. */
export const PROXY_METRICS_TIMEOUT_MS = 10_000;

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

/** Thrown inside the task and turned into one `ITER8_TASK_FAILED` line. */
function fail(message: string): EngineError {
  return new EngineError(ENGINE_ERROR_CODES.taskFailed, `proxymetrics: ${message}`);
}

/** A failed admin API call in the task's words: one line, with what to do. */
function describeAdminError(error: ProxyAdminError): string {
  const { method, url, base, path, failure } = error;
  switch (failure.reason) {
    case "unreachable":
      return `cannot reach the proxy's admin API at ${base} (${failure.cause}); start the proxy with iter8 traffic proxy -f routing.yaml --admin-port <port> and set admin: to its admin URL`;
    case "timeout":
      return `the proxy's admin API at ${base} did not answer ${method} ${path} in ${failure.timeoutMs} ms`;
    case "aborted":
      return `${method} ${url} was aborted`;
    case "status": {
      if (failure.status === 401) {
        return `${method} ${url} answered 401: the proxy's admin API needs its token; set ${PROXY_TOKEN_ENV} or tokenFile: to the token the proxy printed at start`;
      }
      const body = failure.body.trim().replace(/\s+/g, " ").slice(0, 200);
      return `${method} ${url} answered ${failure.status}${body ? `: ${body}` : ""}; is admin: the admin URL of an iter8 traffic proxy?`;
    }
    case "not-json":
      return `${method} ${url} did not answer with JSON; is admin: the admin URL of an iter8 traffic proxy?`;
    case "malformed":
      return `${method} ${url} ${failure.problem}`;
  }
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
  answer: ProxyRoutingAnswer,
  stats: ProxyStats,
  names: readonly string[],
): number[] | undefined {
  if (answer.generation !== 1 || stats.generation !== 1) return undefined;
  const weightIn = (route: Route, name: string): number =>
    route.split.reduce(
      (sum, entry) => (entry.version === name && entry.weight > 0 ? sum + entry.weight : sum),
      0,
    );
  const sending = answer.routing.routes.filter((route) =>
    names.some((name) => weightIn(route, name) > 0),
  );
  const route = sending[0];
  if (sending.length !== 1 || !route || route.affinity !== undefined) return undefined;
  return names.map((name) => weightIn(route, name));
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
  const token = await readAdminToken(inputs.tokenFile, ctx);
  const admin = createProxyAdminClient(inputs.admin, {
    timeoutMs: inputs.timeoutMs ?? PROXY_METRICS_TIMEOUT_MS,
    signal: ctx.signal,
    ...(token === undefined ? {} : { token }),
  });
  const base = admin.base;

  let names: string[];
  let stats: ProxyStats;
  let routing: ProxyRoutingAnswer | undefined;
  try {
    if (inputs.versions === undefined) routing = await admin.readRouting();
    names = inputs.versions ?? (routing?.routing.versions ?? []).map((v) => v.name);
    // Check the names before a window read restarts the window, so a typo loses no counts.
    const cumulative = await admin.readStats();
    const known = Object.keys(cumulative.versions);
    const unknown = names.find((name) => !known.includes(name));
    if (unknown !== undefined) {
      throw fail(
        `the proxy at ${base} has no version ${JSON.stringify(unknown)}; its versions are ${known.join(", ") || "(none)"}`,
      );
    }
    // Live traffic is split by the routing's weights: read them for the sample-ratio check.
    if (inputs.traffic === "live") routing ??= await admin.readRouting();
    stats = inputs.window ? await admin.takeWindow() : cumulative;
  } catch (error) {
    if (ctx.signal.aborted) return;
    if (error instanceof ProxyAdminError) throw fail(describeAdminError(error));
    throw error;
  }

  const recorder = new InsightsRecorder(ctx.result.insights, names.length);
  names.forEach((name, v) => {
    const counters = stats.versions[name]?.[inputs.traffic] ?? {
      requests: 0,
      errors: 0,
      latency: "",
    };
    let derived: ProxyVersionMetrics;
    try {
      derived = deriveProxyVersionMetrics(counters, inputs.percentiles);
    } catch {
      throw fail(
        `the proxy sent a latency histogram for version ${JSON.stringify(name)} that cannot be decoded`,
      );
    }
    recorder.recordBuiltIns(v, derived);
    const reason = `the proxy counted no ${inputs.traffic} requests for version ${JSON.stringify(name)}${inputs.window ? " in this window" : ""}`;
    for (const metric of derived.noData)
      recorder.recordProblem(v, metric, { status: "no-data", reason });
    recorder.recordSummaries(v, derived.summaries);
  });
  const insights = recorder.finish();

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
