import type { AbnMetricsTask } from "@iter8/spec";
import { createAbnClient } from "@iter8/traffic";
import type { AbnAppSummary } from "@iter8/traffic";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";
import { InsightsRecorder } from "../insights-recorder.js";
import type { TaskContext } from "../registry.js";

/** Prefix of the metrics `abnmetrics` records: `abn/<metric>`. */
export const ABN_METRIC_PREFIX = "abn/";

/** Per-request timeout of the `/summaries` call when the task sets none. */
const ABN_METRICS_TIMEOUT_MS = 10_000;

/**
 * `abnmetrics`: reads the per-version metric summaries an `iter8 abn` service collected for an app
 * (`GET /summaries?app=`, through the service's client) into the experiment: `metricSummaries`
 * (`abn/<metric>`, type mean) for comparisons, the mean as `metricValues` (so SLOs can name it
 * too), and the app's weights as `trafficWeights`, with the users per version as `trafficCounts`,
 * for the sample-ratio-mismatch check.
 */
export async function abnMetricsTaskRunner(task: AbnMetricsTask, ctx: TaskContext): Promise<void> {
  const url = new URL("/summaries", task.with.url);
  url.searchParams.set("app", task.with.app);
  const client = createAbnClient(task.with.url, {
    timeoutMs: task.with.timeoutMs ?? ABN_METRICS_TIMEOUT_MS,
    signal: ctx.signal,
  });
  let answer: AbnAppSummary;
  try {
    answer = await client.summaries(task.with.app);
  } catch (error) {
    if (ctx.signal.aborted) return;
    throw new EngineError(
      ENGINE_ERROR_CODES.taskFailed,
      `abnmetrics: cannot read ${url.href}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const recorder = new InsightsRecorder(ctx.result.insights, answer.versions.length);
  const names = new Set(answer.versions.flatMap((v) => Object.keys(v.metrics)));
  for (const name of names) {
    recorder.recordInfo({
      [`${ABN_METRIC_PREFIX}${name}`]: {
        description: `mean of the ${name} values posted to iter8 abn`,
        type: "Gauge",
      },
    });
  }
  answer.versions.forEach((version, v) => {
    for (const name of names) {
      // Own properties only: a metric named "constructor" that one version lacks must read as
      // empty there, not as Object.prototype.constructor.
      const s = (Object.hasOwn(version.metrics, name) ? version.metrics[name] : undefined) ?? {
        count: 0,
        sum: 0,
        sumSquares: 0,
      };
      const metric = `${ABN_METRIC_PREFIX}${name}`;
      recorder.recordSummary(v, metric, {
        type: "mean",
        count: s.count,
        sum: s.sum,
        sumSquares: s.sumSquares,
      });
      if (s.count > 0) recorder.appendValues(v, metric, [s.sum / s.count]);
    }
  });
  const insights = recorder.finish();
  insights.trafficWeights = answer.weights;
  insights.trafficCounts = answer.versions.map((v) => v.users);
  ctx.result.insights = insights;
}
