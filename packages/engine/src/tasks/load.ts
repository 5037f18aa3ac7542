import type { Insights, LoadTask, VersionLoadDetails } from "@iter8/spec";
import { deriveBuiltInMetrics } from "@iter8/metrics";
import type { LoadSummary } from "@iter8/metrics";
import { runVersions, summariseLoad } from "@iter8/loadgen";
import type { TaskContext } from "../registry.js";

/**
 * `gen-load-and-collect-metrics`: sends load to every version and records the built-in metrics.
 * When aborted, what was measured is still recorded (marked partial) before the task returns.
 */
export async function loadTaskRunner(task: LoadTask, ctx: TaskContext): Promise<void> {
  const numVersions = task.with.versionInfo.length;
  const results = await runVersions(task.with, {
    signal: ctx.signal,
    baseDir: ctx.dir,
    onProgress: (version, progress) =>
      ctx.emit({ type: "load-progress", index: ctx.index, version, numVersions, progress }),
  });

  const insights = ensureInsights(ctx.result.insights, numVersions);
  const details: Array<VersionLoadDetails | null> = insights.loadDetails ?? [];
  for (let v = 0; v < numVersions; v++) {
    const result = results[v];
    details[v] = result ? summariseLoad(result) : (details[v] ?? null);
    if (!result) continue;
    const derived = deriveBuiltInMetrics(result, task.with.percentiles);
    Object.assign(insights.metricsInfo, derived.metricsInfo);
    const values = insights.metricValues[v] ?? {};
    for (const [name, observed] of Object.entries(derived.values)) {
      // Iter8 keeps a list per metric: a later measurement of the same metric is appended.
      values[name] = [...(values[name] ?? []), ...observed];
    }
    insights.metricValues[v] = values;
    recordSummaries(insights, v, result);
  }
  insights.loadDetails = details;
  ctx.result.insights = insights;
}

/**
 * Sufficient statistics for comparing versions (additive `metricSummaries`): mean latency in msec
 * from the histogram's count, mean and population stddev (Σx² = n·(σ² + mean²)), and the error
 * rate as a proportion of requests. Shared with `proxymetrics`.
 */
export function recordSummaries(insights: Insights, v: number, load: LoadSummary): void {
  const summaries = insights.metricSummaries ?? [];
  while (summaries.length < insights.numVersions) summaries.push({});
  const own = summaries[v] ?? {};
  own["built-in/error-rate"] = { type: "proportion", count: load.requests, successes: load.errors };
  const n = load.latency.count;
  if (n > 0) {
    const mean = load.latency.mean / 1000;
    const sd = load.latency.stddev / 1000;
    own["built-in/mean-latency"] = {
      type: "mean",
      count: n,
      sum: n * mean,
      sumSquares: n * (sd * sd + mean * mean),
    };
  }
  summaries[v] = own;
  insights.metricSummaries = summaries;
}

/** The insights to add to: the existing ones, widened to `numVersions` versions if needed. */
function ensureInsights(existing: Insights | undefined, numVersions: number): Insights {
  const insights: Insights = existing ?? { numVersions, metricsInfo: {}, metricValues: [] };
  insights.numVersions = Math.max(insights.numVersions, numVersions);
  while (insights.metricValues.length < insights.numVersions) insights.metricValues.push({});
  return insights;
}
