import type { CustomMetricsTask, Insights } from "@iter8/spec";
import { collectProviderMetrics, readProviderTemplate, renderProviderSpec } from "@iter8/providers";
import type { ProviderSpec } from "@iter8/providers";
import type { TaskContext } from "../registry.js";

/** Variables iter8 sets for every provider template, besides `values` and `versionValues`. */
export interface CustomMetricsBuiltIns {
  /** Whole seconds since `startingTime` (at least 1), for PromQL ranges like `[{{ .elapsedTimeSeconds }}s]`. */
  elapsedTimeSeconds: number;
  /** The experiment's start time (ISO 8601). */
  startTime: string;
  /** The time `elapsedTimeSeconds` counts from (ISO 8601). */
  startingTime: string;
  /** The index of the version being measured (0, 1, ...). */
  versionIndex: number;
}

/**
 * The values a provider template sees for version `version`: iter8's built-ins, then `values`,
 * then `versionValues[version]` (later ones win; `elapsedTimeSeconds` follows the winning
 * `startingTime`).
 */
export function templateValuesFor(
  inputs: CustomMetricsTask["with"],
  version: number,
  experimentStart: string,
  now: Date,
): Record<string, unknown> {
  const merged: Record<string, unknown> = {
    ...inputs.values,
    ...(inputs.versionValues[version] ?? {}),
  };
  const startingTime =
    typeof merged.startingTime === "string"
      ? merged.startingTime
      : (inputs.startingTime ?? experimentStart);
  const started = Date.parse(startingTime);
  const elapsed = Number.isNaN(started) ? 1 : Math.ceil((now.getTime() - started) / 1000);
  const builtIns: CustomMetricsBuiltIns = {
    elapsedTimeSeconds: Math.max(1, elapsed),
    startTime: experimentStart,
    startingTime,
    versionIndex: version,
  };
  return { ...builtIns, ...merged, elapsedTimeSeconds: builtIns.elapsedTimeSeconds };
}

function ensureInsights(existing: Insights | undefined, numVersions: number): Insights {
  const insights: Insights = existing ?? { numVersions, metricsInfo: {}, metricValues: [] };
  insights.numVersions = Math.max(insights.numVersions, numVersions);
  while (insights.metricValues.length < insights.numVersions) insights.metricValues.push({});
  return insights;
}

/**
 * `custommetrics` (Iter8 v0.11): for every version and provider, renders the provider template
 * with the version's values, queries the backend, and records `<provider>/<metric>` values and
 * metadata. A `mean` or `proportion` metric also records its sufficient statistics in
 * `insights.metricSummaries` (its value is the mean or proportion). A metric without a value (no
 * data, NaN, a backend error, a missing summary part) is recorded in `insights.metricProblems`
 * with the reason, never as 0. The task fails only when a template
 * cannot be read or rendered (e.g. a variable is not set) or a secret cannot be read.
 */
export async function customMetricsTaskRunner(
  task: CustomMetricsTask,
  ctx: TaskContext,
): Promise<void> {
  const inputs = task.with;
  const numVersions = Math.max(1, inputs.versionValues.length);
  const templates = new Map<string, string>();
  for (const [provider, ref] of Object.entries(inputs.templates)) {
    templates.set(
      provider,
      await readProviderTemplate(ref, { baseDir: ctx.dir, signal: ctx.signal }),
    );
  }

  // Render everything first, so a missing variable fails the task before any backend is queried.
  const specs: Array<Array<[string, ProviderSpec]>> = [];
  const now = new Date();
  for (let v = 0; v < numVersions; v++) {
    const values = templateValuesFor(inputs, v, ctx.result.startTime, now);
    specs.push(
      [...templates].map(([provider, text]): [string, ProviderSpec] => {
        try {
          return [provider, renderProviderSpec(provider, text, values)];
        } catch (error) {
          if (error instanceof Error && numVersions > 1) {
            error.message = `version ${v}: ${error.message}`;
          }
          throw error;
        }
      }),
    );
  }

  const insights = ensureInsights(ctx.result.insights, numVersions);
  const problems = insights.metricProblems ?? [];
  while (problems.length < insights.numVersions) problems.push({});
  const summaries = insights.metricSummaries ?? [];
  while (summaries.length < insights.numVersions) summaries.push({});
  for (const [v, versionSpecs] of specs.entries()) {
    for (const [provider, spec] of versionSpecs) {
      if (ctx.signal.aborted) break;
      const measurements = await collectProviderMetrics(provider, spec, {
        env: ctx.env,
        baseDir: ctx.dir,
        signal: ctx.signal,
        ...(inputs.timeoutMs !== undefined ? { timeoutMs: inputs.timeoutMs } : {}),
        ...(inputs.retries !== undefined ? { retries: inputs.retries } : {}),
      });
      const values = insights.metricValues[v] ?? {};
      const versionProblems = problems[v] ?? {};
      const versionSummaries = summaries[v] ?? {};
      for (const m of measurements) {
        insights.metricsInfo[m.name] = m.info;
        // A mean or proportion metric: the latest complete summary, for comparing versions.
        if (m.summary !== undefined) versionSummaries[m.name] = m.summary;
        if (m.status === "ok" && m.value !== undefined) {
          // Iter8 keeps a list per metric: a later measurement of the same metric is appended.
          values[m.name] = [...(values[m.name] ?? []), m.value];
          delete versionProblems[m.name];
        } else if (m.status !== "ok") {
          versionProblems[m.name] = { status: m.status, reason: m.reason ?? m.status };
        }
      }
      insights.metricValues[v] = values;
      problems[v] = versionProblems;
      summaries[v] = versionSummaries;
    }
  }
  if (problems.some((p) => Object.keys(p).length > 0)) insights.metricProblems = problems;
  else delete insights.metricProblems;
  if (summaries.some((s) => Object.keys(s).length > 0)) insights.metricSummaries = summaries;
  ctx.result.insights = insights;
}
