import type { AssessTask } from "@iter8/spec";
import { assessAppVersions } from "@iter8/slo";
import type { TaskContext } from "../registry.js";

/** `assess-app-versions`: evaluates the SLOs against the metrics collected so far. */
export function assessTaskRunner(task: AssessTask, ctx: TaskContext): Promise<void> {
  const insights = ctx.result.insights ?? { numVersions: 0, metricsInfo: {}, metricValues: [] };
  ctx.result.insights = assessAppVersions(task.with, insights);
  return Promise.resolve();
}
