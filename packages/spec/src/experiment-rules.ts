import { isMapping } from "./describe-value.js";
import type { DocumentRule, RuleFinding } from "./document.js";
import { percentileOfMetric } from "./metric-names.js";
import type { Condition, LoadTask, ProxyMetricsTask, Task } from "./model.js";
import { TASK_NAMES } from "./model.js";
import { formatPath } from "./path.js";
import type { PathSegment } from "./path.js";

/** An experiment whose every task its schema accepted, as the meaning rules see it. */
export interface ExperimentRuleContext {
  /** The normalised tasks, in order. */
  tasks: Task[];
  /** The tasks as written (same order), for paths into what the user wrote. */
  items: unknown[];
  /** Path of the task list in the document: `[]` (v0.8) or `["spec"]` (v0.11). */
  base: PathSegment[];
}

/** The SLO metrics as written, in the order the normalised SLO list has them. */
export function writtenSloMetrics(
  inputs: Record<string, unknown>,
  withPath: PathSegment[],
): Array<{ path: PathSegment[]; metric: string }> {
  const slos = inputs.SLOs;
  const out: Array<{ path: PathSegment[]; metric: string }> = [];
  const collect = (list: unknown, at: PathSegment[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((entry, index) => {
      if (isMapping(entry) && typeof entry.metric === "string") {
        out.push({ path: [...at, index, "metric"], metric: entry.metric });
      }
    });
  };
  if (Array.isArray(slos)) collect(slos, [...withPath, "SLOs"]);
  else if (isMapping(slos)) {
    collect(slos.upper, [...withPath, "SLOs", "upper"]);
    collect(slos.lower, [...withPath, "SLOs", "lower"]);
  }
  return out;
}

function conditionRefs(condition: Condition, out: Array<Condition> = []): Condition[] {
  out.push(condition);
  if (condition.kind === "not") conditionRefs(condition.operand, out);
  if (condition.kind === "and" || condition.kind === "or") {
    conditionRefs(condition.left, out);
    conditionRefs(condition.right, out);
  }
  return out;
}

// Tasks that produce built-in metrics: load tasks, and proxymetrics (the proxy's counters).
function builtInSources(
  tasks: Task[],
): Array<{ task: LoadTask | ProxyMetricsTask; index: number }> {
  return tasks
    .map((task, index) => ({ task, index }))
    .filter(
      (entry): entry is { task: LoadTask | ProxyMetricsTask; index: number } =>
        entry.task.task === TASK_NAMES.load || entry.task.task === TASK_NAMES.proxyMetrics,
    );
}

// The built-in SLO metrics of each assess task, with where each was written.
function builtInSlos(
  context: ExperimentRuleContext,
): Array<{ index: number; metric: string; at: PathSegment[] }> {
  const out: Array<{ index: number; metric: string; at: PathSegment[] }> = [];
  context.tasks.forEach((task, index) => {
    const raw = context.items[index];
    if (task.task !== TASK_NAMES.assess || !isMapping(raw)) return;
    const path = [...context.base, index];
    const written = writtenSloMetrics(isMapping(raw.with) ? raw.with : {}, [...path, "with"]);
    task.with.SLOs.forEach((slo, sloIndex) => {
      if (!slo.metric.startsWith("built-in/")) return;
      out.push({
        index,
        metric: slo.metric,
        at: written[sloIndex]?.path ?? [...path, "with", "SLOs"],
      });
    });
  });
  return out;
}

/**
 * `SLOsBy(i)` and `Winner(i)` in an `if:` name a version the experiment has. Checked when the
 * versions are known before the run: a load task's versionInfo, or proxymetrics' versions
 * (without them, the proxy's routing says at run time).
 */
export const versionIndexInRange: DocumentRule<ExperimentRuleContext> = ({ tasks, base }) => {
  const loads = tasks.filter((t): t is LoadTask => t.task === TASK_NAMES.load);
  const grpcVersions = tasks.map((t) =>
    t.task === TASK_NAMES.grpc ? (t.with.endpoints ? 1 : t.with.versionInfo.length) : 0,
  );
  const proxies = tasks.filter((t): t is ProxyMetricsTask => t.task === TASK_NAMES.proxyMetrics);
  const versionsKnown =
    (loads.length > 0 || proxies.length > 0 || grpcVersions.some((n) => n > 0)) &&
    proxies.every((p) => p.with.versions !== undefined);
  if (!versionsKnown) return [];
  const numVersions = Math.max(
    0,
    ...loads.map((l) => l.with.versionInfo.length),
    ...grpcVersions,
    ...tasks.map((t) => (t.task === TASK_NAMES.customMetrics ? t.with.versionValues.length : 0)),
    ...proxies.map((p) => p.with.versions?.length ?? 0),
  );
  const findings: RuleFinding[] = [];
  tasks.forEach((task, index) => {
    if (!task.if) return;
    for (const ref of conditionRefs(task.if)) {
      const indexed =
        ref.kind === "slosBy"
          ? { name: "SLOsBy", version: ref.version }
          : ref.kind === "winner" && ref.version !== undefined
            ? { name: "Winner", version: ref.version }
            : undefined;
      if (indexed && indexed.version >= numVersions) {
        const versions = numVersions === 1 ? "index 0" : `indexes 0 to ${numVersions - 1}`;
        findings.push({
          severity: "issue",
          path: [...base, index, "if"],
          message: `${indexed.name}(${indexed.version}) refers to version ${indexed.version}, but the experiment has ${numVersions} version${numVersions === 1 ? "" : "s"} (${versions})`,
        });
      }
    }
  });
  return findings;
};

/** An `if:` that checks SLOs (`SLOs()`, `SLOsBy(i)`) comes after an assess task (a warning). */
export const sloConditionFollowsAssess: DocumentRule<ExperimentRuleContext> = ({ tasks, base }) => {
  const findings: RuleFinding[] = [];
  tasks.forEach((task, index) => {
    if (!task.if) return;
    const assessed = tasks.slice(0, index).some((t) => t.task === TASK_NAMES.assess);
    const usesSlos = conditionRefs(task.if).some((r) => r.kind === "slos" || r.kind === "slosBy");
    if (usesSlos && !assessed) {
      findings.push({
        severity: "warning",
        path: [...base, index, "if"],
        message:
          "no assess-app-versions task runs before this one, so its SLO conditions have no SLOs to check",
      });
    }
  });
  return findings;
};

/**
 * An SLO on a built-in metric comes after a task that produces built-in metrics (a load task or
 * proxymetrics); otherwise the metric has no value (a warning).
 */
export const sloNamesAProducedMetric: DocumentRule<ExperimentRuleContext> = (context) => {
  const sources = builtInSources(context.tasks);
  return builtInSlos(context)
    .filter((slo) => !sources.some((s) => s.index < slo.index))
    .map((slo) => ({
      severity: "warning",
      path: slo.at,
      message: `no gen-load-and-collect-metrics or proxymetrics task runs before this one, so ${slo.metric} will have no value`,
    }));
};

/** An SLO on a `grpc/...` (or `grpc-<endpoint>/...`) metric comes after a grpc task (a warning). */
export const grpcSloFollowsGrpcTask: DocumentRule<ExperimentRuleContext> = (context) => {
  const findings: RuleFinding[] = [];
  context.tasks.forEach((task, index) => {
    const raw = context.items[index];
    if (task.task !== TASK_NAMES.assess || !isMapping(raw)) return;
    const path = [...context.base, index];
    const written = writtenSloMetrics(isMapping(raw.with) ? raw.with : {}, [...path, "with"]);
    const earlier = context.tasks.slice(0, index).filter((t) => t.task === TASK_NAMES.grpc);
    task.with.SLOs.forEach((slo, sloIndex) => {
      const endpoint = /^grpc-([^/]+)\//u.exec(slo.metric)?.[1];
      if (!slo.metric.startsWith("grpc/") && endpoint === undefined) return;
      const produced =
        endpoint === undefined
          ? earlier.some((t) => t.task === TASK_NAMES.grpc && t.with.endpoints === undefined)
          : earlier.some(
              (t) => t.task === TASK_NAMES.grpc && t.with.endpoints?.[endpoint] !== undefined,
            );
      if (produced) return;
      findings.push({
        severity: "warning",
        path: written[sloIndex]?.path ?? [...path, "with", "SLOs"],
        message:
          endpoint === undefined
            ? `no grpc task without endpoints runs before this one, so ${slo.metric} will have no value`
            : `no grpc task with endpoint ${endpoint} runs before this one, so ${slo.metric} will have no value`,
      });
    });
  });
  return findings;
};

/**
 * An SLO on a built-in percentile (`built-in/p95.0`) names a percentile that an earlier load or
 * proxymetrics task collects.
 */
export const percentileIsCollected: DocumentRule<ExperimentRuleContext> = (context) => {
  const sources = builtInSources(context.tasks);
  const findings: RuleFinding[] = [];
  for (const slo of builtInSlos(context)) {
    const earlier = sources.filter((s) => s.index < slo.index);
    const p = percentileOfMetric(slo.metric);
    if (earlier.length === 0 || p === undefined) continue;
    if (earlier.some((s) => s.task.with.percentiles.includes(p))) continue;
    findings.push({
      severity: "issue",
      path: slo.at,
      message: `${slo.metric} is not collected: add ${p} to the percentiles of task ${formatPath([...context.base, earlier[0]?.index ?? 0])}`,
    });
  }
  return findings;
};

/** The meaning rules of an experiment, checked in this order once every task is valid. */
export const EXPERIMENT_RULES: readonly DocumentRule<ExperimentRuleContext>[] = [
  versionIndexInRange,
  sloConditionFollowsAssess,
  sloNamesAProducedMetric,
  grpcSloFollowsGrpcTask,
  percentileIsCollected,
];
