import type { ExperimentResult, RewardComparison } from "@iter8/spec";

/** One row of the comparison table: a candidate vs version 0 on one reward, formatted. */
export interface ComparisonTableRow {
  metric: string;
  version: number;
  /** Relative lift, e.g. `+12.3%`. */
  lift: string;
  /** Interval of the lift, e.g. `+1.0% .. +23.6%`. */
  ci: string;
  /** Holm-adjusted p-value (frequentist) or chance to win (Bayesian). */
  evidence: string;
  /** `better`, `worse`, `-` or the reason the data cannot tell. */
  verdict: string;
}

/** The rows of the comparison table of a result; empty when no rewards were assessed. */
export function comparisonTableRows(result: ExperimentResult): ComparisonTableRow[] {
  const method = result.insights?.winner?.method;
  return (result.insights?.comparisons ?? []).map((c) => ({
    metric: c.metric,
    version: c.version,
    lift: percent(c.estimate),
    ci: `${percent(c.ci[0])} .. ${percent(c.ci[1])}`,
    evidence: method === "bayesian" ? chance(c) : pValue(c),
    verdict: c.degenerate ?? (c.better ? "better" : c.worse ? "worse" : "-"),
  }));
}

/**
 * The comparison section of the text report: candidates vs version 0 (lift, interval, adjusted
 * p-value or chance to win, verdict), the winner line and any warning. Empty without comparisons.
 */
export function renderComparisonText(result: ExperimentResult): string {
  const winner = result.insights?.winner;
  const rows = comparisonTableRows(result);
  if (!winner || rows.length === 0) return "";
  const evidenceHeader = winner.method === "bayesian" ? "chance to win" : "p (Holm)";
  const table = [
    ["metric", "version", "lift vs v0", "interval", evidenceHeader, "verdict"],
    ...rows.map((r) => [r.metric, String(r.version), r.lift, r.ci, r.evidence, r.verdict]),
  ];
  const widths =
    table[0]?.map((_, c) => Math.max(...table.map((row) => row[c]?.length ?? 0))) ?? [];
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c < row.length - 1 ? cell.padEnd(widths[c] ?? 0) : cell))
      .join(" | ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("-|-");
  const title = `Comparisons with version 0 (${winner.method})`;
  const out = [title, "", line(table[0] ?? []), rule, ...table.slice(1).map(line), ""];
  out.push(
    winner.version === undefined ? `Winner: none. ${winner.reason}` : `Winner: ${winner.reason}`,
  );
  for (const warning of winner.warnings ?? []) out.push(`Warning: ${warning}`);
  return `\n\n${out.join("\n")}\n`;
}

function percent(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return "+inf";
  if (x === Number.NEGATIVE_INFINITY) return "-inf";
  return `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
}

function pValue(c: RewardComparison): string {
  const p = c.adjustedPValue ?? c.pValue;
  if (p === undefined) return "-";
  return p < 0.0001 ? p.toExponential(1) : p.toFixed(4);
}

function chance(c: RewardComparison): string {
  return c.chanceToWin === undefined ? "-" : `${(c.chanceToWin * 100).toFixed(1)}%`;
}
