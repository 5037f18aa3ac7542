import type { AbnMetricsTask, Insights } from "@iter8/spec";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";
import type { TaskContext } from "../registry.js";

/** Prefix of the metrics `abnmetrics` records: `abn/<metric>`. */
export const ABN_METRIC_PREFIX = "abn/";

interface AbnSummaryAnswer {
  weights: number[];
  versions: Array<{
    users: number;
    metrics: Record<string, { count: number; sum: number; sumSquares: number }>;
  }>;
}

/**
 * `abnmetrics`: reads the per-version metric summaries an `iter8 abn` service collected for an app
 * (`GET /summaries?app=`) into the experiment: `metricSummaries` (`abn/<metric>`, type mean) for
 * comparisons, the mean as `metricValues` (so SLOs can name it too), and the app's weights as
 * `trafficWeights`, with the users per version as `trafficCounts`, for the sample-ratio-mismatch
 * check.
 */
export async function abnMetricsTaskRunner(task: AbnMetricsTask, ctx: TaskContext): Promise<void> {
  const url = new URL("/summaries", task.with.url);
  url.searchParams.set("app", task.with.app);
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(task.with.timeoutMs ?? 10_000)]);
  let answer: AbnSummaryAnswer;
  try {
    const res = await fetch(url, { signal });
    const text = await res.text();
    if (!res.ok) throw new Error(`${res.status} ${text}`);
    answer = JSON.parse(text) as AbnSummaryAnswer;
  } catch (error) {
    if (ctx.signal.aborted) return;
    throw new EngineError(
      ENGINE_ERROR_CODES.taskFailed,
      `abnmetrics: cannot read ${url.href}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  ctx.result.insights = mergeAbnSummaries(ctx.result.insights, answer);
}

function mergeAbnSummaries(existing: Insights | undefined, answer: AbnSummaryAnswer): Insights {
  const numVersions = answer.versions.length;
  const insights: Insights = existing ?? { numVersions, metricsInfo: {}, metricValues: [] };
  insights.numVersions = Math.max(insights.numVersions, numVersions);
  while (insights.metricValues.length < insights.numVersions) insights.metricValues.push({});
  const summaries = insights.metricSummaries ?? [];
  while (summaries.length < insights.numVersions) summaries.push({});
  const names = new Set(answer.versions.flatMap((v) => Object.keys(v.metrics)));
  for (const name of names) {
    insights.metricsInfo[`${ABN_METRIC_PREFIX}${name}`] = {
      description: `mean of the ${name} values posted to iter8 abn`,
      type: "Gauge",
    };
  }
  answer.versions.forEach((version, v) => {
    const own = summaries[v] ?? {};
    const values = insights.metricValues[v] ?? {};
    for (const name of names) {
      // Own properties only: a metric named "constructor" that one version lacks must read as
      // empty there, not as Object.prototype.constructor.
      const s = (Object.hasOwn(version.metrics, name) ? version.metrics[name] : undefined) ?? {
        count: 0,
        sum: 0,
        sumSquares: 0,
      };
      const metric = `${ABN_METRIC_PREFIX}${name}`;
      own[metric] = { type: "mean", count: s.count, sum: s.sum, sumSquares: s.sumSquares };
      if (s.count > 0) values[metric] = [...(values[metric] ?? []), s.sum / s.count];
    }
    summaries[v] = own;
    insights.metricValues[v] = values;
  });
  insights.metricSummaries = summaries;
  insights.trafficWeights = answer.weights;
  insights.trafficCounts = answer.versions.map((v) => v.users);
  return insights;
}
