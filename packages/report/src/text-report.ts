import type { Experiment, ExperimentResult } from "@iter8/spec";
import { formatMetricValue, UNAVAILABLE } from "./format-value.js";
import { buildReportModel } from "./report-model.js";
import type { ReportModel } from "./report-model.js";
import { renderComparisonText } from "./comparison-table.js";

/** Options of {@link renderTextReport}. */
export interface TextReportOptions {
  /** The experiment the result belongs to; its task count decides "Experiment completed". */
  experiment?: Experiment;
}

// The layout of the sample report in Iter8's README (v0.8): a right-aligned label column at least
// 29 wide, `|`, then the value; rows separated by dashed rules whose value part is 5 dashes.
const MIN_LABEL_WIDTH = 29;
const VALUE_RULE_WIDTH = 5;

interface TextSection {
  title: string;
  /** Cells of the title row after the `|`: empty, or the version names. */
  header: string[];
  rows: Array<{ label: string; cells: string[] }>;
  /** Widths of the value columns; every column but the last is padded to its width. */
  widths: number[];
}

/**
 * The seed's text report (`iter8 gen`): sections Experiment summary, SLOs and Metrics, laid out as
 * the sample in Iter8's README. With several versions the SLOs and Metrics sections get a column
 * per version, headed `version 0`, `version 1`, ... Sections with nothing to show (no SLOs, no
 * metrics) are left out. With A/B/n comparisons, a comparison table and the winner follow. Ends
 * with a newline.
 */
export function renderTextReport(
  result: ExperimentResult,
  options: TextReportOptions = {},
): string {
  const sections = layOutSections(textSections(buildReportModel(result, options.experiment)));
  return sections + renderComparisonText(result);
}

function textSections(model: ReportModel): TextSection[] {
  const { summary } = model;
  const summaryRows = [
    { label: "Experiment completed ", cells: [yesNo(summary.completed)] },
    { label: "Experiment failed ", cells: [yesNo(summary.failed)] },
    { label: "Number of completed tasks ", cells: [String(summary.numCompletedTasks)] },
  ];
  if (summary.aborted) summaryRows.push({ label: "Experiment interrupted ", cells: ["true"] });
  if (summary.failedTask) {
    const { index, task, message } = summary.failedTask;
    const oneLine = message.replace(/\s+/g, " ").trim();
    summaryRows.push({ label: "Failed task ", cells: [`task ${index + 1} (${task}): ${oneLine}`] });
  }
  const sections: TextSection[] = [
    { title: "Experiment summary", header: [], rows: summaryRows, widths: [VALUE_RULE_WIDTH] },
  ];

  const multiVersion = model.versions.length > 1;
  const numColumns = Math.max(1, model.versions.length);
  const header = multiVersion ? model.versions : [];
  const columns = (cells: string[]): string[] =>
    Array.from({ length: numColumns }, (_, v) => cells[v] ?? UNAVAILABLE);

  const versioned: TextSection[] = [];
  if (model.slos.length > 0) {
    versioned.push({
      title: "SLOs",
      header,
      rows: model.slos.map((slo) => ({
        label: slo.label,
        cells: columns(slo.satisfied.map(yesNo)),
      })),
      widths: [],
    });
  }
  if (model.metrics.length > 0) {
    versioned.push({
      title: "Metrics",
      header,
      rows: model.metrics.map((metric) => ({
        label: metric.name,
        cells: columns(metric.values.map((value) => formatMetricValue(value, metric.units))),
      })),
      widths: [],
    });
  }
  // One width per version column, shared by the SLOs and Metrics sections so columns line up
  // across them. A single version keeps the seed's fixed 5-dash rule.
  const widths = multiVersion
    ? Array.from({ length: numColumns }, (_, v) =>
        Math.max(
          VALUE_RULE_WIDTH,
          header[v]?.length ?? 0,
          ...versioned.flatMap((s) => s.rows.map((row) => row.cells[v]?.length ?? 0)),
        ),
      )
    : [VALUE_RULE_WIDTH];
  return [...sections, ...versioned.map((s) => ({ ...s, widths }))];
}

function layOutSections(sections: TextSection[]): string {
  const labelWidth = Math.max(
    MIN_LABEL_WIDTH,
    ...sections.flatMap((s) => [s.title.length, ...s.rows.map((row) => row.label.length)]),
  );
  const lines: string[] = [];
  sections.forEach((section, i) => {
    // As in the sample: three blank lines after the summary, two between later sections.
    if (i > 0) lines.push(...Array<string>(i === 1 ? 3 : 2).fill(""));
    const rule = `${"-".repeat(labelWidth)}|${section.widths.map((w) => "-".repeat(w)).join("|")}`;
    const row = (label: string, cells: string[]): string =>
      `${label.padStart(labelWidth)}|${cells
        .map((cell, c) => (c < cells.length - 1 ? cell.padEnd(section.widths[c] ?? 0) : cell))
        .join("|")}`;
    lines.push(rule, row(section.title, section.header), rule);
    for (const { label, cells } of section.rows) lines.push(row(label, cells), rule);
  });
  return `${lines.join("\n")}\n`;
}

function yesNo(value: boolean | undefined): string {
  return value === undefined ? UNAVAILABLE : String(value);
}
