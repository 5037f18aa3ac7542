import { dump } from "js-yaml";
import { collectProviderMetrics, renderProviderSpec } from "@iter8/providers";
import type { ProviderMeasurement } from "@iter8/providers";
import { evaluateSlos, latestMetricValue } from "@iter8/slo";
import { Iter8Error, percentileOfMetric, PROXY_TOKEN_ENV, writeFileAtomic } from "@iter8/spec";
import type { RolloutCustomMetrics, RolloutSpec, Routing } from "@iter8/spec";
import {
  createProxyAdminClient,
  insightsFromProxyStats,
  TRAFFIC_ERROR_CODES,
  TrafficError,
  withCandidateWeight,
} from "@iter8/traffic";
import { InsightsRecorder } from "../insights-recorder.js";
import { readProviderTemplates, templateValuesFor } from "../tasks/custom-metrics.js";
import { decideStep } from "./decide-step.js";
import type { RolloutDecision, RolloutState, StepDecision } from "./decide-step.js";

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
  /** The clock decisions and template times are read from; default the system clock. */
  now?: () => Date;
  /** Waits `ms` or until `signal` aborts; default a timer. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** The candidate is version 1 of the rollout's two: `versionValues[1]` are its template values. */
const CANDIDATE = 1;

interface ProviderSource {
  metrics: RolloutCustomMetrics;
  templates: Map<string, string>;
}

/** The candidate's template values at a check (the `custommetrics` task's merge, plus rollout built-ins). */
function candidateValues(
  spec: RolloutSpec,
  metrics: RolloutCustomMetrics,
  startTime: string,
  stepStart: string,
  now: Date,
  weight: number,
): Record<string, unknown> {
  return templateValuesFor(
    { values: metrics.values, versionValues: metrics.versionValues, startingTime: stepStart },
    CANDIDATE,
    startTime,
    now,
    { version: spec.candidate, baseline: spec.baseline, weight },
  );
}

async function prepareProviders(
  spec: RolloutSpec,
  options: RolloutOptions,
  startTime: string,
): Promise<ProviderSource | undefined> {
  const metrics = spec.custommetrics;
  if (!metrics) return undefined;
  try {
    const templates = await readProviderTemplates(
      metrics.templates,
      options.baseDir ?? process.cwd(),
      options.signal,
    );
    // Render once now, as at the end of the first step, so a missing variable fails before any
    // weight changes.
    const firstCheck = new Date(Date.parse(startTime) + spec.intervalMs);
    const values = candidateValues(
      spec,
      metrics,
      startTime,
      startTime,
      firstCheck,
      spec.steps[0] ?? 100,
    );
    for (const [provider, text] of templates) renderProviderSpec(provider, text, values);
    return { metrics, templates };
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
}

async function measureProviders(
  source: ProviderSource,
  values: Record<string, unknown>,
  options: RolloutOptions,
): Promise<ProviderMeasurement[]> {
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

/** Waits `ms`, or less when `signal` aborts. */
function sleepFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
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

/**
 * Runs a gradual rollout against a running proxy: for each step it sets the candidate's weight,
 * waits the interval, and checks the SLOs for the candidate over that step, on the proxy's
 * counters (built-in metrics) and on `<provider>/<metric>` values read through `custommetrics`
 * templates (a metric without a value fails its SLO with the reason, unless `onNoData: skip`).
 * {@link decideStep} turns each check into a decision: a passed check advances (or promotes at the
 * last step); a failed one holds, and after `failureLimit` failed checks in total the route goes
 * back to 100% baseline. Resolves with the result (also the partial one when aborted). Throws
 * `TrafficError` for an unreachable proxy, a routing without the route or versions, or a provider
 * template that cannot be read or rendered (checked before any weight changes).
 */
export async function runRollout(
  spec: RolloutSpec,
  options: RolloutOptions = {},
): Promise<RolloutResult> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? sleepFor;
  const token = options.adminToken ?? (options.env ?? process.env)[PROXY_TOKEN_ENV];
  // No signal: a weight change that has started completes, so the proxy's weights are known.
  const admin = createProxyAdminClient(spec.admin, token === undefined ? {} : { token });
  let routing = await admin.getRouting();
  const routeIndex = findRoute(routing, spec);
  const startTime = now().toISOString();
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
    const full: RolloutDecision = { time: now().toISOString(), ...decision };
    result.decisions.push(full);
    result.weight = full.weight;
    if (options.resultFile) {
      await writeFileAtomic(options.resultFile, dump(result, { lineWidth: 120, noRefs: true }));
    }
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
  let state: RolloutState = { stepIndex: 0, failedChecks: 0 };
  while (state.stepIndex < spec.steps.length) {
    const weight = spec.steps[state.stepIndex] ?? 100;
    if (options.signal?.aborted) break;
    await setWeight(weight);
    await admin.takeWindow(); // start the step's window now
    const stepStart = now();
    await sleep(spec.intervalMs, options.signal);
    if (options.signal?.aborted) break;
    const stats = await admin.takeWindow();
    const recorder = new InsightsRecorder(
      insightsFromProxyStats(stats, [spec.baseline, spec.candidate], percentiles),
      2,
    );
    const providerFailures: string[] = [];
    if (providers) {
      const values = candidateValues(
        spec,
        providers.metrics,
        startTime,
        stepStart.toISOString(),
        now(),
        weight,
      );
      try {
        recorder.recordMeasurements(CANDIDATE, await measureProviders(providers, values, options));
      } catch (error) {
        // A secret that cannot be read: no provider metric has a value, so the check fails.
        providerFailures.push(
          `custommetrics: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (options.signal?.aborted) break;
    }
    const insights = recorder.finish();
    const counters = stats.versions[spec.candidate]?.live;
    const metrics: Record<string, number | null> = {};
    for (const slo of spec.SLOs) {
      metrics[slo.metric] = latestMetricValue(insights, CANDIDATE, slo.metric) ?? null;
    }
    const candidate = { requests: counters?.requests ?? 0, errors: counters?.errors ?? 0, metrics };
    const step: StepDecision = decideStep(
      state,
      { candidate, slos: evaluateSlos(spec.SLOs, insights), providerFailures },
      spec,
    );
    state = step.state;
    result.failedChecks = state.failedChecks;
    if (step.action === "rollback") await setWeight(0);
    if (step.action === "promote") result.state = "promoted";
    if (step.action === "rollback") result.state = "rolled-back";
    await decide({ action: step.action, weight: step.weight, reason: step.reason, candidate });
    if (step.action === "promote" || step.action === "rollback") return result;
  }
  result.state = "aborted";
  await decide({
    action: "abort",
    weight: result.weight,
    reason: "interrupted; the proxy keeps the weights in force",
  });
  return result;
}
