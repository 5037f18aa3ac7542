import type { CustomMetricsTask } from "@iter8/spec";
import { collectProviderMetrics, readProviderTemplate, renderProviderSpec } from "@iter8/providers";
import type { ProviderSpec } from "@iter8/providers";
import { InsightsRecorder } from "../insights-recorder.js";
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
 * `startingTime`). `extraBuiltIns` are further built-ins a caller sets (the rollout's `version`,
 * `baseline` and `weight`), overridden by the values like the others.
 */
export function templateValuesFor(
  inputs: Pick<CustomMetricsTask["with"], "values" | "versionValues" | "startingTime">,
  version: number,
  experimentStart: string,
  now: Date,
  extraBuiltIns: Record<string, unknown> = {},
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
  const builtIns: CustomMetricsBuiltIns & Record<string, unknown> = {
    ...extraBuiltIns,
    elapsedTimeSeconds: Math.max(1, elapsed),
    startTime: experimentStart,
    startingTime,
    versionIndex: version,
  };
  return { ...builtIns, ...merged, elapsedTimeSeconds: builtIns.elapsedTimeSeconds };
}

/** Reads every provider's template (a path relative to `baseDir`, or an http(s) URL). */
export async function readProviderTemplates(
  refs: Record<string, string>,
  baseDir: string,
  signal?: AbortSignal,
): Promise<Map<string, string>> {
  const templates = new Map<string, string>();
  for (const [provider, ref] of Object.entries(refs)) {
    templates.set(
      provider,
      await readProviderTemplate(ref, { baseDir, ...(signal ? { signal } : {}) }),
    );
  }
  return templates;
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
  const templates = await readProviderTemplates(inputs.templates, ctx.dir, ctx.signal);

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

  const recorder = new InsightsRecorder(ctx.result.insights, numVersions);
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
      recorder.recordMeasurements(v, measurements);
    }
  }
  ctx.result.insights = recorder.finish();
}
