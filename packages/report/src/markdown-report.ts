import { UNAVAILABLE } from "./format-value.js";
import type { ReportModel, ReportSloCheck } from "./report-model.js";
import {
  formatNumber,
  RUN_STATE_LABELS,
  runStateOf,
  SLO_STATUS_LABELS,
  tasksDone,
  versionsSatisfyingSlos,
} from "./report-status.js";

/**
 * The Markdown report: GitHub-flavoured tables (summary, SLOs, metrics per version) for a PR
 * comment or a CI job summary. Ends with a newline.
 */
export function renderMarkdownReport(model: ReportModel): string {
  const { summary } = model;
  const lines: string[] = ["# Iter8 experiment report", ""];

  const rows: Array<[string, string]> = [
    ["Status", RUN_STATE_LABELS[runStateOf(summary)]],
    ["Tasks done", tasksDone(summary)],
  ];
  if (summary.failedTask) {
    const { index, task, message } = summary.failedTask;
    rows.push(["Failed task", `task ${index + 1} (${task}): ${message}`]);
  }
  rows.push(["Started", summary.startTime]);
  if (model.versions.length > 0) rows.push(["Versions", String(model.versions.length)]);
  const satisfying = versionsSatisfyingSlos(model);
  if (satisfying !== undefined) rows.push(["SLOs satisfied by", satisfying]);
  lines.push(...table(["Summary", ""], ["left", "left"], rows), "");

  if (model.slos.length > 0) {
    lines.push("## SLOs", "");
    lines.push(
      ...table(
        ["SLO", "Units", ...model.versions],
        ["left", "left", ...model.versions.map(() => "left" as const)],
        model.slos.map((slo) => [
          code(slo.label),
          slo.units ?? "",
          ...slo.checks.map((check) => sloCell(check)),
        ]),
      ),
      "",
    );
  }

  if (model.metrics.length > 0) {
    lines.push("## Metrics", "");
    lines.push(
      ...table(
        ["Metric", "Units", ...model.versions],
        ["left", "left", ...model.versions.map(() => "right" as const)],
        model.metrics.map((metric) => [
          code(metric.name),
          metric.units ?? "",
          ...metric.values.map((value, v) => {
            if (value === undefined) return UNAVAILABLE;
            return metric.best.includes(v)
              ? { markdown: `**${escapeMarkdown(formatNumber(value))}** ★` }
              : formatNumber(value);
          }),
        ]),
      ),
      "",
    );
    if (model.metrics.some((metric) => metric.best.length > 0)) {
      lines.push(
        "★ best value of the row (lower latency and errors, higher throughput; counts and standard deviations not ranked).",
        "",
      );
    }
  }

  if (model.loads.some((load) => load?.shards)) {
    lines.push("## Shards", "");
    lines.push(
      ...table(
        ["Version", "Shards", "Requests each", "Start skew"],
        ["left", "right", "right", "right"],
        model.loads.flatMap((load, v) => {
          const shards = load?.shards;
          if (!shards) return [];
          const each = shards.requests.map((n) => (n === null ? NOT_REPORTED : String(n)));
          return [
            [
              model.versions[v] ?? `version ${v}`,
              String(shards.count),
              each.join(" + "),
              `${formatNumber(shards.startSkewMs)} ms`,
            ],
          ];
        }),
      ),
      "",
    );
    if (model.loads.some((load) => load?.shards?.requests.includes(null))) {
      lines.push(`${NOT_REPORTED}: the shard did not report.`, "");
    }
  }

  const comparisons = model.comparisons;
  if (comparisons) {
    lines.push(`## Comparisons with version 0 (${comparisons.method})`, "");
    lines.push(
      ...table(
        ["Reward", "Version", "Lift vs v0", "Interval", comparisons.evidenceLabel, "Verdict"],
        ["left", "right", "right", "right", "right", "left"],
        comparisons.rows.map((row) => [
          code(row.metric),
          String(row.version),
          row.lift,
          row.ci,
          row.evidence,
          row.verdict,
        ]),
      ),
      "",
    );
    const verdict = comparisons.winner === undefined ? "none. " : "";
    lines.push(`**Winner:** ${escapeMarkdown(`${verdict}${comparisons.reason}`)}`, "");
    for (const warning of comparisons.warnings)
      lines.push(`> Warning: ${escapeMarkdown(warning)}`, "");
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

type Cell = string | { markdown: string };

/** A shard that did not report, as the HTML report shows it. */
const NOT_REPORTED = "—";

function sloCell(check: ReportSloCheck): string {
  const { mark, text } = SLO_STATUS_LABELS[check.status];
  const value = check.value === undefined ? "" : ` (${formatNumber(check.value)})`;
  const note =
    check.reason === "not-assessed" ? " (not assessed)" : check.detail ? `: ${check.detail}` : "";
  return `${mark} ${text}${value}${note}`;
}

/** A code span: `<` and `_` stay literal; only the cell separator needs escaping inside it. */
function code(text: string): Cell {
  const oneLine = text.replace(/\s+/g, " ").trim().replace(/`/g, "'").replace(/\|/g, "\\|");
  return { markdown: `\`${oneLine}\`` };
}

/** A GFM table with every column padded to its widest cell, so it also reads as plain text. */
function table(header: string[], align: Array<"left" | "right">, rows: Cell[][]): string[] {
  const text = (cell: Cell) => (typeof cell === "string" ? escapeMarkdown(cell) : cell.markdown);
  const cells = [header, ...rows].map((row) => row.map(text));
  const widths = header.map((_, c) => Math.max(3, ...cells.map((row) => (row[c] ?? "").length)));
  const line = (row: string[]) =>
    `| ${row.map((cell, c) => (align[c] === "right" ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0))).join(" | ")} |`;
  const rule = `| ${widths.map((w, c) => (align[c] === "right" ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  const [head = [], ...body] = cells;
  return [line(head), rule, ...body.map(line)];
}

/**
 * Text safe inside a GFM table cell: one line, with Markdown's inline syntax, HTML and the cell
 * separator escaped.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\s+/g, " ")
    .trim()
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_[\]|~#!]/g, "\\$&");
}
