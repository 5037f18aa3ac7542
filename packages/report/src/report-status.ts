import type { ReportModel, ReportSummary, SloStatus } from "./report-model.js";

/** The one-word state of a run, most important first: failed, interrupted, incomplete, completed. */
export type RunState = "failed" | "interrupted" | "incomplete" | "completed" | "unknown";

/** The state a report's header shows. */
export function runStateOf(summary: ReportSummary): RunState {
  if (summary.failed) return "failed";
  if (summary.aborted) return "interrupted";
  if (summary.completed === true) return "completed";
  if (summary.completed === false) return "incomplete";
  return "unknown";
}

/** Marks that do not rely on colour: a symbol and a word. */
export const RUN_STATE_LABELS: Record<RunState, string> = {
  failed: "✗ failed",
  interrupted: "■ interrupted",
  incomplete: "… incomplete",
  completed: "✓ completed",
  unknown: "? unknown",
};

/** Symbol and word of an SLO status: ✓ pass, ✗ fail, — no data. */
export const SLO_STATUS_LABELS: Record<SloStatus, { mark: string; text: string }> = {
  pass: { mark: "✓", text: "pass" },
  fail: { mark: "✗", text: "fail" },
  "no-data": { mark: "—", text: "no data" },
};

/** `2 of 3`, or `2` when the total is unknown. */
export function tasksDone(summary: ReportSummary): string {
  return summary.numTasks === undefined
    ? String(summary.numCompletedTasks)
    : `${summary.numCompletedTasks} of ${summary.numTasks}`;
}

/** `version 0, version 2`, `none`, or `undefined` when SLOs were not assessed. */
export function versionsSatisfyingSlos(model: ReportModel): string | undefined {
  if (model.slos.length === 0 || model.slosSatisfiedBy.every((ok) => ok === undefined)) {
    return undefined;
  }
  const names = model.versions.filter((_, v) => model.slosSatisfiedBy[v] === true);
  return names.length > 0 ? names.join(", ") : "none";
}

/**
 * A number for Markdown and HTML: integers as they are, others with two decimals, or three
 * significant digits below 1 (`0.001`, `0.03`, `17.02`, `1234.57`).
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) < 1) return String(Number(value.toPrecision(3)));
  return value.toFixed(2);
}
