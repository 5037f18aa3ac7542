import type { LoadTask, VersionLoadDetails } from "@iter8/spec";
import { builtInMetricSummaries, deriveBuiltInMetrics } from "@iter8/metrics";
import { runVersions, summariseLoad } from "@iter8/loadgen";
import type { LoadResult } from "@iter8/loadgen";
import { InsightsRecorder } from "../insights-recorder.js";
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
  recordLoadResults(task, ctx, results);
}

/**
 * Records a load task's results (one per version; null: not loaded) into the result: the built-in
 * metrics, their sufficient statistics and the load details. The one path every load result takes,
 * from one process or merged from shards; returns the load details recorded.
 */
export function recordLoadResults(
  task: LoadTask,
  ctx: Pick<TaskContext, "result">,
  results: ReadonlyArray<LoadResult | null>,
): Array<VersionLoadDetails | null> {
  const numVersions = task.with.versionInfo.length;
  const recorder = new InsightsRecorder(ctx.result.insights, numVersions);
  const insights = recorder.insights;
  const details: Array<VersionLoadDetails | null> = insights.loadDetails ?? [];
  for (let v = 0; v < numVersions; v++) {
    const result = results[v];
    details[v] = result ? summariseLoad(result) : (details[v] ?? null);
    if (!result) continue;
    recorder.recordBuiltIns(v, deriveBuiltInMetrics(result, task.with.percentiles));
    recorder.recordSummaries(v, builtInMetricSummaries(result));
  }
  insights.loadDetails = details;
  ctx.result.insights = recorder.finish();
  return details;
}
