import { rename, writeFile } from "node:fs/promises";
import { dump } from "js-yaml";
import { collectProviderMetrics, readProviderTemplate, renderProviderSpec } from "@iter8/providers";
import type { ProviderMeasurement } from "@iter8/providers";
import { evaluateSlos } from "@iter8/slo";
import { Iter8Error, parseRouting, percentileOfMetric, routingToDocument } from "@iter8/spec";
import type { Insights, RolloutCustomMetrics, RolloutSpec, Routing } from "@iter8/spec";
import { request } from "undici";
import { PROXY_TOKEN_ENV } from "./admin-guard.js";
import { TRAFFIC_ERROR_CODES, TrafficError } from "./errors.js";
import { insightsFromProxyStats } from "./proxy-metrics.js";
import type { ProxyStats } from "./proxy-metrics.js";

/** What the controller did at one point, and why. */
export interface RolloutDecision {
  /** ISO time of the decision. */
  time: string;
  action: "start" | "advance" | "hold" | "rollback" | "promote" | "abort";
  /** Candidate weight (percent) in force after the decision. */
  weight: number;
  /** One line for people. */
  reason: string;
  /** Candidate requests, errors and SLO metric values over the step, when a check ran. */
  candidate?: { requests: number; errors: number; metrics: Record<string, number | null> };
}

/** The state of a rollout, as written to `result.yaml` after every decision. */
export interface RolloutResult {
  startTime: string;
  state: "running" | "promoted" | "rolled-back" | "aborted";
  baseline: string;
  candidate: string;
  route: string;
  /** Candidate weight in force. */
  weight: number;
  failedChecks: number;
  decisions: RolloutDecision[];
}

/** Options of `runRollout`. */
export interface RolloutOptions {
  /** Abort to stop between checks; the weights in force are left as they are. */
  signal?: AbortSignal;
  /**
   * Waits out a step's interval (ms); default a timer, ended early by `signal`. Tests replace it
   * to also wait for the step's traffic, so their checks never see a window a busy machine starved.
   */
  waitInterval?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
  /** Told of each decision as it is made (the CLI prints them live). */
  onDecision?: (decision: RolloutDecision, result: RolloutResult) => void;
  /** Write the result here (atomically) after every decision. */
  resultFile?: string;
  /** Called with the routing after every weight change (e.g. to render each step's objects). */
  onRouting?: (routing: Routing, weight: number) => Promise<void> | void;
  /** Base directory of relative provider templates and secret files (the rollout file's folder). */
  baseDir?: string;
  /** Environment provider secrets are read from; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** The proxy's admin token; default `ITER8_PROXY_TOKEN` from `env`. */
  adminToken?: string;
}

/** Values a rollout's provider templates see besides `values` and `versionValues[1]`. */
export interface RolloutTemplateBuiltIns {
  /** Whole seconds the step has run (at least 1), for PromQL ranges like `[{{ .elapsedTimeSeconds }}s]`. */
  elapsedTimeSeconds: number;
  /** The rollout's start time (ISO 8601). */
  startTime: string;
  /** The step's start time (ISO 8601). */
  startingTime: string;
  /** Always 1: provider metrics are read for the candidate. */
  versionIndex: number;
  /** The candidate's and the baseline's names. */
  version: string;
  baseline: string;
  /** The candidate's weight (percent) over the step. */
  weight: number;
}

/** The template values of the candidate at a check: built-ins, then `values`, then `versionValues[1]`. */
export function rolloutTemplateValues(
  metrics: RolloutCustomMetrics,
  builtIns: RolloutTemplateBuiltIns,
): Record<string, unknown> {
  return {
    ...builtIns,
    ...metrics.values,
    ...(metrics.versionValues[1] ?? {}),
    elapsedTimeSeconds: builtIns.elapsedTimeSeconds,
  };
}

interface ProviderSource {
  metrics: RolloutCustomMetrics;
  templates: Array<[string, string]>;
}

async function prepareProviders(
  spec: RolloutSpec,
  options: RolloutOptions,
  startTime: string,
): Promise<ProviderSource | undefined> {
  const metrics = spec.custommetrics;
  if (!metrics) return undefined;
  const baseDir = options.baseDir ?? process.cwd();
  const templates: Array<[string, string]> = [];
  try {
    for (const [provider, ref] of Object.entries(metrics.templates)) {
      const text = await readProviderTemplate(ref, {
        baseDir,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      // Render once now, so a missing variable fails before any weight changes.
      renderProviderSpec(
        provider,
        text,
        rolloutTemplateValues(metrics, {
          elapsedTimeSeconds: Math.max(1, Math.ceil(spec.intervalMs / 1000)),
          startTime,
          startingTime: startTime,
          versionIndex: 1,
          version: spec.candidate,
          baseline: spec.baseline,
          weight: spec.steps[0] ?? 100,
        }),
      );
      templates.push([provider, text]);
    }
  } catch (error) {
    // A template or value the rollout file names is invalid input; a download that failed is not.
    const invalid = error instanceof Iter8Error && error.kind === "invalid-input";
    throw new TrafficError(
      invalid ? TRAFFIC_ERROR_CODES.rolloutInvalid : TRAFFIC_ERROR_CODES.rollout,
      `custommetrics: ${error instanceof Error ? error.message : String(error)}`,
      "fix the provider template or its values in the rollout file",
      { cause: error },
    );
  }
  return { metrics, templates };
}

async function measureProviders(
  source: ProviderSource,
  builtIns: RolloutTemplateBuiltIns,
  options: RolloutOptions,
): Promise<ProviderMeasurement[]> {
  const values = rolloutTemplateValues(source.metrics, builtIns);
  const out: ProviderMeasurement[] = [];
  for (const [provider, text] of source.templates) {
    if (options.signal?.aborted) break;
    const rendered = renderProviderSpec(provider, text, values);
    out.push(
      ...(await collectProviderMetrics(provider, rendered, {
        env: options.env ?? process.env,
        baseDir: options.baseDir ?? process.cwd(),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(source.metrics.timeoutMs !== undefined ? { timeoutMs: source.metrics.timeoutMs } : {}),
        ...(source.metrics.retries !== undefined ? { retries: source.metrics.retries } : {}),
      })),
    );
  }
  return out;
}

/** Adds the candidate's (version 1) provider measurements to the proxy's insights. */
function addMeasurements(insights: Insights, measurements: ProviderMeasurement[]): void {
  const values = insights.metricValues[1] ?? {};
  const problems = insights.metricProblems ?? [{}, {}];
  while (problems.length < 2) problems.push({});
  const candidateProblems = problems[1] ?? {};
  for (const m of measurements) {
    insights.metricsInfo[m.name] = m.info;
    if (m.status === "ok" && m.value !== undefined) values[m.name] = [m.value];
    else
      candidateProblems[m.name] = {
        status: m.status === "ok" ? "no-data" : m.status,
        reason: m.reason ?? m.status,
      };
  }
  insights.metricValues[1] = values;
  problems[1] = candidateProblems;
  if (Object.keys(candidateProblems).length > 0) insights.metricProblems = problems;
}

/** A small client of a proxy's admin API. */
export interface ProxyAdminClient {
  getRouting(): Promise<Routing>;
  putRouting(routing: Routing): Promise<number>;
  takeWindow(): Promise<ProxyStats>;
}

/** Options of `createProxyAdminClient`. */
export interface ProxyAdminClientOptions {
  /** The proxy's admin token, sent as `Authorization: Bearer <token>`. */
  token?: string;
}

/** A client of the admin API at `adminUrl`; failures throw `TrafficError` `ITER8_TRAFFIC_ADMIN`. */
export function createProxyAdminClient(
  adminUrl: string,
  options: ProxyAdminClientOptions = {},
): ProxyAdminClient {
  const base = adminUrl.replace(/\/$/, "");
  const auth: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };
  const call = async (method: "GET" | "PUT" | "POST", path: string, body?: string) => {
    let response;
    try {
      response = await request(`${base}${path}`, {
        method,
        headers: body === undefined ? auth : { ...auth, "content-type": "application/json" },
        body: body ?? null,
      });
    } catch (error) {
      throw new TrafficError(
        "ITER8_TRAFFIC_ADMIN",
        `cannot reach the proxy's admin API at ${base}: ${error instanceof Error ? error.message : String(error)}`,
        "start the proxy with iter8 traffic proxy and set admin: to its --admin-port",
        { cause: error },
      );
    }
    const text = await response.body.text();
    if (response.statusCode !== 200) {
      throw new TrafficError(
        "ITER8_TRAFFIC_ADMIN",
        `${method} ${base}${path} answered ${response.statusCode}: ${text.trim().slice(0, 500)}`,
        response.statusCode === 401
          ? `set ${PROXY_TOKEN_ENV} (or --admin-token-file) to the token the proxy printed at start`
          : undefined,
      );
    }
    return JSON.parse(text) as unknown;
  };
  return {
    async getRouting() {
      const body = (await call("GET", "/routing")) as { routing: unknown };
      const parsed = parseRouting(JSON.stringify(body.routing));
      if (!parsed.ok) {
        throw new TrafficError("ITER8_TRAFFIC_ADMIN", `the proxy sent an invalid routing`);
      }
      return parsed.value;
    },
    async putRouting(routing) {
      const body = (await call("PUT", "/routing", JSON.stringify(routingToDocument(routing)))) as {
        generation: number;
      };
      return body.generation;
    },
    async takeWindow() {
      return (await call("POST", "/stats/window")) as ProxyStats;
    },
  };
}

/** The routing with the route's split set to `weight`% candidate, the rest baseline (others 0). */
export function withCandidateWeight(
  routing: Routing,
  routeIndex: number,
  baseline: string,
  candidate: string,
  weight: number,
): Routing {
  const routes = routing.routes.map((route, index) => {
    if (index !== routeIndex) return route;
    const names = route.split.map((w) => w.version);
    for (const name of [baseline, candidate]) if (!names.includes(name)) names.push(name);
    // Baseline first, so hash affinity's cumulative ranges move users only toward the candidate.
    const ordered = [
      baseline,
      candidate,
      ...names.filter((n) => n !== baseline && n !== candidate),
    ];
    const split = ordered.map((version) => ({
      version,
      weight: version === candidate ? weight : version === baseline ? 100 - weight : 0,
    }));
    return { ...route, split };
  });
  return { ...routing, routes };
}

function findRoute(routing: Routing, spec: RolloutSpec): number {
  const names = routing.routes.map((r, i) => r.name ?? `#${i}`);
  let index: number;
  if (spec.route === undefined) index = routing.routes.length - 1;
  else if (typeof spec.route === "number") index = spec.route;
  else index = routing.routes.findIndex((r) => r.name === spec.route);
  if (index < 0 || index >= routing.routes.length) {
    throw new TrafficError(
      "ITER8_TRAFFIC_ROLLOUT",
      `the proxy's routing has no route ${JSON.stringify(spec.route)}; routes are ${names.join(", ")}`,
    );
  }
  const versions = routing.versions.map((v) => v.name);
  for (const name of [spec.baseline, spec.candidate]) {
    if (!versions.includes(name)) {
      throw new TrafficError(
        "ITER8_TRAFFIC_ROLLOUT",
        `the proxy's routing has no version "${name}"; versions are ${versions.join(", ")}`,
      );
    }
  }
  return index;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function writeResult(file: string, result: RolloutResult): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, dump(result, { lineWidth: 120, noRefs: true }));
  await rename(tmp, file);
}

/**
 * Runs a gradual rollout against a running proxy: for each step it sets the candidate's weight,
 * waits the interval, and checks the SLOs for the candidate over that step, on the proxy's
 * counters (built-in metrics) and on `<provider>/<metric>` values read through `custommetrics`
 * templates (a metric without a value fails its SLO with the reason, unless `onNoData: skip`). A passed check advances (or promotes at the last step); a failed one holds, and after
 * `failureLimit` failed checks in total the route goes back to 100% baseline. Resolves with the
 * result (also the partial one when aborted). Throws `TrafficError` for an unreachable proxy, a
 * routing without the route or versions, or a provider template that cannot be read or rendered
 * (checked before any weight changes).
 */
export async function runRollout(
  spec: RolloutSpec,
  options: RolloutOptions = {},
): Promise<RolloutResult> {
  const token = options.adminToken ?? (options.env ?? process.env)[PROXY_TOKEN_ENV];
  const admin = createProxyAdminClient(spec.admin, token === undefined ? {} : { token });
  let routing = await admin.getRouting();
  const routeIndex = findRoute(routing, spec);
  const startTime = new Date().toISOString();
  const providers = await prepareProviders(spec, options, startTime);
  const result: RolloutResult = {
    startTime,
    state: "running",
    baseline: spec.baseline,
    candidate: spec.candidate,
    route: routing.routes[routeIndex]?.name ?? String(routeIndex),
    weight: 0,
    failedChecks: 0,
    decisions: [],
  };
  const decide = async (decision: Omit<RolloutDecision, "time">) => {
    const full: RolloutDecision = { time: new Date().toISOString(), ...decision };
    result.decisions.push(full);
    result.weight = full.weight;
    if (options.resultFile) await writeResult(options.resultFile, result);
    options.onDecision?.(full, result);
  };
  const setWeight = async (weight: number) => {
    routing = withCandidateWeight(routing, routeIndex, spec.baseline, spec.candidate, weight);
    await admin.putRouting(routing);
    await options.onRouting?.(routing, weight);
  };
  const percentiles = [
    ...new Set(
      spec.SLOs.map((s) => percentileOfMetric(s.metric)).filter(
        (p): p is number => p !== undefined,
      ),
    ),
  ];

  await decide({
    action: "start",
    weight: 0,
    reason: `rolling ${spec.candidate} out over ${spec.baseline} in steps ${spec.steps.join(", ")}% every ${spec.intervalMs} ms`,
  });
  let stepIndex = 0;
  while (stepIndex < spec.steps.length) {
    const weight = spec.steps[stepIndex] ?? 100;
    if (options.signal?.aborted) break;
    await setWeight(weight);
    await admin.takeWindow(); // start the step's window now
    const stepStart = new Date();
    await (options.waitInterval ?? sleep)(spec.intervalMs, options.signal);
    if (options.signal?.aborted) break;
    const stats = await admin.takeWindow();
    const insights = insightsFromProxyStats(stats, [spec.baseline, spec.candidate], percentiles);
    const providerFailures: string[] = [];
    if (providers) {
      const builtIns: RolloutTemplateBuiltIns = {
        elapsedTimeSeconds: Math.max(1, Math.ceil((Date.now() - stepStart.getTime()) / 1000)),
        startTime,
        startingTime: stepStart.toISOString(),
        versionIndex: 1,
        version: spec.candidate,
        baseline: spec.baseline,
        weight,
      };
      try {
        addMeasurements(insights, await measureProviders(providers, builtIns, options));
      } catch (error) {
        // A secret that cannot be read: no provider metric has a value, so the check fails.
        providerFailures.push(
          `custommetrics: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (options.signal?.aborted) break;
    }
    const evaluation = evaluateSlos(spec.SLOs, insights);
    const counters = stats.versions[spec.candidate]?.live;
    const requests = counters?.requests ?? 0;
    const metrics: Record<string, number | null> = {};
    for (const slo of spec.SLOs) {
      metrics[slo.metric] = insights.metricValues[1]?.[slo.metric]?.at(-1) ?? null;
    }
    const candidate = { requests, errors: counters?.errors ?? 0, metrics };
    const failures = evaluation.checks
      .map((row) => row[1])
      .filter((check) => check !== undefined && !check.satisfied)
      .map((check) => check?.message.replace(/^version 1 /, `${spec.candidate} `) ?? "");
    failures.push(...providerFailures);
    if (requests < spec.minRequests) {
      failures.unshift(
        `${spec.candidate} served ${requests} request${requests === 1 ? "" : "s"} at ${weight}% (fewer than minRequests ${spec.minRequests})`,
      );
    }
    if (failures.length === 0) {
      const last = stepIndex === spec.steps.length - 1;
      const met = `${spec.candidate} met every SLO at ${weight}% over ${requests} requests`;
      if (last) {
        result.state = "promoted";
        await decide({ action: "promote", weight, reason: `${met}; rollout complete`, candidate });
        return result;
      }
      await decide({
        action: "advance",
        weight: spec.steps[stepIndex + 1] ?? 100,
        reason: `${met}; advancing to ${spec.steps[stepIndex + 1]}%`,
        candidate,
      });
      stepIndex++;
      continue;
    }
    result.failedChecks++;
    if (result.failedChecks >= spec.failureLimit) {
      await setWeight(0);
      result.state = "rolled-back";
      await decide({
        action: "rollback",
        weight: 0,
        reason: `${failures.join("; ")}; failed check ${result.failedChecks} of ${spec.failureLimit}: all traffic back to ${spec.baseline}`,
        candidate,
      });
      return result;
    }
    await decide({
      action: "hold",
      weight,
      reason: `${failures.join("; ")}; failed check ${result.failedChecks} of ${spec.failureLimit}: holding at ${weight}%`,
      candidate,
    });
  }
  result.state = "aborted";
  await decide({
    action: "abort",
    weight: result.weight,
    reason: "interrupted; the proxy keeps the weights in force",
  });
  return result;
}
