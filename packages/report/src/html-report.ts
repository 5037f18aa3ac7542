import { UNAVAILABLE } from "./format-value.js";
import type { ReportModel, ReportSloCheck, ReportVersionLoad } from "./report-model.js";
import {
  formatNumber,
  RUN_STATE_LABELS,
  runStateOf,
  SLO_STATUS_LABELS,
  tasksDone,
  versionsSatisfyingSlos,
} from "./report-status.js";
import {
  breakdownChart,
  colourClassOf,
  dashOf,
  escapeXml,
  histogramChart,
  lineChart,
  percentileChart,
} from "./svg-charts.js";
import type { BreakdownSegment, LineSeries } from "./svg-charts.js";

/** Options of {@link renderHtmlReport}. */
export interface HtmlReportOptions {
  /** Scale of the histograms' count axis; `log` shows rare slow requests (default `linear`). */
  histogramScale?: "linear" | "log";
}

const STYLE = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--border:#d1d9e0;--panel:#f6f8fa;
--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--grid:#e3e8ee;
--c0:#0969da;--c1:#bc4c00;--c2:#1a7f37;--c3:#8250df;--c4:#bf3989;--c5:#1b7c83;
--s2:#2da44e;--s3:#0969da;--s4:#d4a72c;--s5:#cf222e;--sx:#8250df}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--border:#3d444d;
--panel:#151b23;--pass:#3fb950;--fail:#f85149;--warn:#d29922;--grid:#262c36;
--c0:#4493f8;--c1:#f0883e;--c2:#3fb950;--c3:#a371f7;--c4:#db61a2;--c5:#39c5cf;
--s2:#3fb950;--s3:#4493f8;--s4:#d29922;--s5:#f85149;--sx:#a371f7}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1600px;margin:0 auto;padding:16px 24px}
h1{font-size:1.5rem;margin:0 0 8px}h2{font-size:1.2rem;margin:28px 0 8px;border-bottom:1px solid var(--border);padding-bottom:4px}
.muted,.note{color:var(--muted)}.note{font-size:.85rem}
.status{border:1px solid var(--border);border-left:6px solid var(--muted);border-radius:8px;padding:12px 16px;background:var(--panel)}
.status.state-completed{border-left-color:var(--pass)}.status.state-failed,.status.state-slos-failed{border-left-color:var(--fail)}
.status.state-interrupted,.status.state-incomplete{border-left-color:var(--warn)}
.state{font-size:1.25rem;font-weight:700;margin:0 0 8px}
.state-completed .state{color:var(--pass)}.state-failed .state,.state-slos-failed .state{color:var(--fail)}
.state-interrupted .state,.state-incomplete .state{color:var(--warn)}
.facts{display:flex;flex-wrap:wrap;gap:4px 28px;margin:0}.facts div{min-width:8rem}
.facts dt{font-size:.8rem;color:var(--muted)}.facts dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.failure{margin-top:12px;padding:8px 12px;border:1px solid var(--fail);border-radius:6px}
.failure p{margin:0 0 4px}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid var(--border);padding:6px 10px;text-align:left;vertical-align:top}
thead th{background:var(--panel)}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th[title]{text-decoration:underline dotted;text-decoration-thickness:1px;cursor:help}
th code{white-space:nowrap;overflow-wrap:normal}
tbody th[scope=row]{position:sticky;left:0;background:var(--bg);z-index:1}
.comparison-table tr.winner>*{font-weight:600}
.mark{white-space:nowrap;font-weight:600}.mark.pass{color:var(--pass)}.mark.fail{color:var(--fail)}.mark.no-data{color:var(--muted)}
.mark .value{font-weight:400;color:var(--fg)}
td.best{font-weight:700}.best-mark{color:var(--pass);font-weight:600;font-size:.85em}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,460px),1fr));gap:16px}
figure{margin:0;border:1px solid var(--border);border-radius:8px;padding:8px;background:var(--bg);break-inside:avoid}
svg.chart{display:block;width:100%;height:auto;font:13px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif}
svg text{fill:var(--fg)}svg .tick{fill:var(--muted);font-size:11px}svg .chart-title{font-weight:700;font-size:14px}
svg .axis{stroke:var(--muted);fill:none}svg .grid{stroke:var(--grid);fill:none}
svg .bar{stroke:none}svg .line,svg .legend-line{fill:none;stroke-width:2}svg .marker{stroke-width:1.2}
.c0{fill:var(--c0);stroke:var(--c0)}.c1{fill:var(--c1);stroke:var(--c1)}.c2{fill:var(--c2);stroke:var(--c2)}
.c3{fill:var(--c3);stroke:var(--c3)}.c4{fill:var(--c4);stroke:var(--c4)}.c5{fill:var(--c5);stroke:var(--c5)}
svg .line.c0,svg .line.c1,svg .line.c2,svg .line.c3,svg .line.c4,svg .line.c5,svg .legend-line{fill:none}
.s2{fill:var(--s2)}.s3{fill:var(--s3)}.s4{fill:var(--s4)}.s5{fill:var(--s5)}.sx{fill:var(--sx)}
footer{margin:32px 0 8px;color:var(--muted);font-size:.8rem}
@media (max-width:600px){main{padding:10px}body{font-size:14px}th,td{padding:4px 6px}}
@media print{:root{--bg:#fff;--fg:#000;--panel:#fff;--muted:#444;color-scheme:light}
main{max-width:none;padding:0}.charts{grid-template-columns:1fr 1fr}h2{break-after:avoid}
table,figure,.status{break-inside:avoid}.table-wrap{overflow:visible}}
`
  .trim()
  .replace(/\n/g, "");

/**
 * The HTML report: one self-contained page (inline CSS and SVG, no script, no external resource)
 * with a status header, the SLO table, the metrics table, latency histograms and percentile
 * curves, the responses breakdown and, when the run kept a timeline, throughput and latency over
 * time. Light and dark follow `prefers-color-scheme`; it reads on a phone and prints.
 */
export function renderHtmlReport(model: ReportModel, options: HtmlReportOptions = {}): string {
  const sections = [
    statusHeader(model),
    sloSection(model),
    metricsSection(model),
    comparisonsSection(model),
    latencySection(model, options.histogramScale ?? "linear"),
    responsesSection(model),
    timelineSection(model),
  ].filter((section) => section !== "");
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    "<title>Iter8 experiment report</title>",
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    "<main>",
    ...sections,
    `<footer>Generated by iter8 from the result of a run started ${escapeXml(model.summary.startTime)}. Self-contained: no network requests.</footer>`,
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function statusHeader(model: ReportModel): string {
  const { summary } = model;
  const runState = runStateOf(summary);
  // A run that completed while a version fails its SLOs is the news of the page: the headline
  // says so in the failure colour, and the run's own state moves to the facts.
  const failing =
    model.slos.length > 0
      ? model.versions.filter((_, v) => model.slosSatisfiedBy[v] === false)
      : [];
  const slosFailed = runState === "completed" && failing.length > 0;
  const state = slosFailed ? "slos-failed" : runState;
  const headline = slosFailed
    ? `✗ SLOs not satisfied by ${failing.join(", ")}`
    : RUN_STATE_LABELS[runState];
  const facts: Array<[string, string]> = [
    ...(slosFailed ? [["Run", RUN_STATE_LABELS[runState]] as [string, string]] : []),
    ["Tasks done", tasksDone(summary)],
    ["Failed", summary.failed ? "yes" : "no"],
    ["Started", summary.startTime],
  ];
  if (model.versions.length > 0) facts.push(["Versions", String(model.versions.length)]);
  const satisfying = versionsSatisfyingSlos(model);
  if (satisfying !== undefined) facts.push(["SLOs satisfied by", satisfying]);
  const failure = summary.failedTask
    ? `<div class="failure" role="alert"><p>Task <strong>${summary.failedTask.index + 1}</strong> (<code>${escapeXml(summary.failedTask.task)}</code>) failed:</p><pre class="failure-message">${escapeXml(summary.failedTask.message)}</pre></div>`
    : "";
  const aborted = summary.aborted
    ? '<p class="note">The run was interrupted; the values cover only part of it.</p>'
    : "";
  return [
    `<header class="status state-${state}" id="status">`,
    "<h1>Iter8 experiment report</h1>",
    `<p class="state" data-state="${state}">${escapeXml(headline)}</p>`,
    `<dl class="facts">${facts.map(([term, value]) => `<div><dt>${escapeXml(term)}</dt><dd>${escapeXml(value)}</dd></div>`).join("")}</dl>`,
    failure,
    aborted,
    "</header>",
  ]
    .filter((line) => line !== "")
    .join("\n");
}

function versionHeaders(model: ReportModel): string {
  return model.versions.map((name) => `<th scope="col">${escapeXml(name)}</th>`).join("");
}

function sloSection(model: ReportModel): string {
  if (model.slos.length === 0) return "";
  const rows = model.slos.map((slo, i) => {
    const limits = [
      slo.lowerLimit !== undefined ? `≥ ${formatNumber(slo.lowerLimit)}` : "",
      slo.upperLimit !== undefined ? `≤ ${formatNumber(slo.upperLimit)}` : "",
    ]
      .filter((part) => part !== "")
      .join(" and ");
    const cells = slo.checks.map((check, v) => sloCell(check, i, v)).join("");
    return `<tr><th scope="row"><code>${escapeXml(slo.metric)}</code></th><td>${escapeXml(limits)}</td><td>${escapeXml(slo.units ?? "")}</td>${cells}</tr>`;
  });
  return [
    '<section id="slos">',
    "<h2>SLOs</h2>",
    '<div class="table-wrap"><table class="slo-table">',
    `<thead><tr><th scope="col">Metric</th><th scope="col">Limits (inclusive)</th><th scope="col">Units</th>${versionHeaders(model)}</tr></thead>`,
    `<tbody>${rows.join("")}</tbody>`,
    "</table></div>",
    '<p class="note">✓ pass · ✗ fail · — no data (the metric has no value, or the SLO was not assessed). The value in parentheses is what the SLO was judged on.</p>',
    "</section>",
  ].join("\n");
}

function sloCell(check: ReportSloCheck, slo: number, version: number): string {
  const { mark, text } = SLO_STATUS_LABELS[check.status];
  const value =
    check.value !== undefined
      ? ` <span class="value">(${escapeXml(formatNumber(check.value))})</span>`
      : "";
  const note =
    check.reason === "not-assessed"
      ? ' <span class="value">(not assessed)</span>'
      : check.detail
        ? ` <span class="value detail">(${escapeXml(check.detail)})</span>`
        : "";
  const title = {
    ok: "satisfied",
    "no-data": check.detail
      ? `no value for the metric: ${check.detail}`
      : "no value for the metric",
    "above-upper": "above the upper limit",
    "below-lower": "below the lower limit",
    "not-assessed": "not assessed",
  }[check.reason];
  return `<td class="mark ${check.status}" data-slo="${slo}" data-version="${version}" data-status="${check.status}" title="${escapeXml(title)}"><span aria-hidden="true">${mark}</span> ${text}${value}${note}</td>`;
}

function comparisonsSection(model: ReportModel): string {
  const comparisons = model.comparisons;
  if (!comparisons) return "";
  const rows = comparisons.rows.map(
    (row) =>
      `<tr${comparisons.winner === row.version ? ' class="winner"' : ""}><th scope="row"><code>${escapeXml(row.metric)}</code></th><td class="num">${row.version}</td><td class="num">${escapeXml(row.lift)}</td><td class="num">${escapeXml(row.ci)}</td><td class="num">${escapeXml(row.evidence)}</td><td>${escapeXml(row.verdict)}</td></tr>`,
  );
  const verdict =
    comparisons.winner === undefined
      ? `<p class="verdict"><strong>No winner yet.</strong> ${escapeXml(comparisons.reason)}</p>`
      : `<p class="verdict"><strong>Winner: version ${comparisons.winner}.</strong> ${escapeXml(comparisons.reason)}</p>`;
  return [
    '<section id="comparisons">',
    `<h2>Comparisons with version 0 (${escapeXml(comparisons.method)})</h2>`,
    '<div class="table-wrap"><table class="comparison-table">',
    `<thead><tr><th scope="col">Reward</th><th scope="col">Version</th><th scope="col">Lift vs v0</th><th scope="col">Interval</th><th scope="col">${escapeXml(comparisons.evidenceLabel)}</th><th scope="col">Verdict</th></tr></thead>`,
    `<tbody>${rows.join("")}</tbody>`,
    "</table></div>",
    verdict,
    ...comparisons.warnings.map((w) => `<p class="note">Warning: ${escapeXml(w)}</p>`),
    "</section>",
  ].join("\n");
}

function metricsSection(model: ReportModel): string {
  if (model.metrics.length === 0) return "";
  const rows = model.metrics.map((metric) => {
    const title = [
      metric.description,
      metric.units ? `units: ${metric.units}` : "",
      metric.better ? `${metric.better} is better` : "",
    ]
      .filter((part) => part)
      .join(" · ");
    const cells = metric.values
      .map((value, v) => {
        if (value === undefined) return `<td class="num missing">${UNAVAILABLE}</td>`;
        const best = metric.best.includes(v);
        return `<td class="num${best ? " best" : ""}"${best ? ' data-best="true"' : ""}>${escapeXml(formatNumber(value))}${best ? ' <span class="best-mark">★ best</span>' : ""}</td>`;
      })
      .join("");
    return `<tr data-metric="${escapeXml(metric.name)}" data-better="${metric.better ?? "unranked"}"><th scope="row"${title ? ` title="${escapeXml(title)}"` : ""}><code>${escapeXml(metric.name)}</code></th><td>${escapeXml(metric.units ?? "")}</td>${cells}</tr>`;
  });
  return [
    '<section id="metrics">',
    "<h2>Metrics</h2>",
    '<div class="table-wrap"><table class="metrics-table">',
    `<thead><tr><th scope="col">Metric</th><th scope="col">Units</th>${versionHeaders(model)}</tr></thead>`,
    `<tbody>${rows.join("")}</tbody>`,
    "</table></div>",
    '<p class="note">Hover a metric for its description. ★ best marks the best value of a row: lower latency and errors, higher throughput, the preferred direction of a reward; request counts and standard deviations are not ranked.</p>',
    "</section>",
  ].join("\n");
}

function loadedVersions(
  model: ReportModel,
): Array<{ version: number; name: string; load: ReportVersionLoad }> {
  return model.loads.flatMap((load, version) =>
    load ? [{ version, name: model.versions[version] ?? `version ${version}`, load }] : [],
  );
}

function latencySection(model: ReportModel, scale: "linear" | "log"): string {
  const loaded = loadedVersions(model).filter(({ load }) => load.histogram.length > 0);
  if (loaded.length === 0) return "";
  const buckets = loaded.flatMap(({ load }) => load.histogram);
  const xMinMs = Math.min(...buckets.map(([lower]) => lower));
  const xMaxMs = Math.max(...buckets.map(([, upper]) => upper));
  const yMax = Math.max(1, ...buckets.map(([, , count]) => count));
  const histograms = loaded.map(
    ({ version, name, load }) =>
      `<figure>${histogramChart(load.histogram, { version, versionName: name, xMinMs, xMaxMs, yMax, scale })}</figure>`,
  );
  const curves = loaded.filter(({ load }) => load.percentiles.length > 0);
  const percentiles =
    curves.length > 0
      ? `<figure>${percentileChart(curves.map(({ version, name, load }) => ({ version, versionName: name, points: load.percentiles })))}</figure>`
      : "";
  return [
    '<section id="latency">',
    "<h2>Latency</h2>",
    `<div class="charts">${[...histograms, percentiles].join("")}</div>`,
    `<p class="note">Histograms share their axes so versions compare; the count axis is ${scale === "log" ? "logarithmic (rare slow requests stay visible)" : "linear"}. Percentiles come from the percentile metrics where present, otherwise from the histogram buckets.</p>`,
    "</section>",
  ].join("\n");
}

function statusClassOf(code: string): string {
  const first = code.charAt(0);
  return ["2", "3", "4", "5"].includes(first) ? `s${first}` : "sx";
}

function responsesSection(model: ReportModel): string {
  const loaded = loadedVersions(model);
  if (loaded.length === 0) return "";
  const codes = [...new Set(loaded.flatMap(({ load }) => Object.keys(load.statusCodes)))].sort();
  const classes = [...new Set(loaded.flatMap(({ load }) => Object.keys(load.errorClasses)))].sort();
  if (codes.length === 0 && classes.length === 0) return "";
  const keys = [
    ...codes.map((code) => ({
      label: `HTTP ${code}`,
      of: (l: ReportVersionLoad) => l.statusCodes[code] ?? 0,
      colourClass: statusClassOf(code),
    })),
    ...classes.map((name) => ({
      label: `transport: ${name}`,
      of: (l: ReportVersionLoad) => l.errorClasses[name] ?? 0,
      colourClass: "sx",
    })),
  ];
  const totals = loaded.map(({ load }) => keys.reduce((sum, key) => sum + key.of(load), 0));
  const rows = keys.map((key) => {
    const cells = loaded
      .map(({ load }, i) => {
        const count = key.of(load);
        const total = totals[i] ?? 0;
        const share =
          total > 0 ? ` <span class="muted">(${((100 * count) / total).toFixed(1)}%)</span>` : "";
        return `<td class="num">${count}${share}</td>`;
      })
      .join("");
    return `<tr><th scope="row">${escapeXml(key.label)}</th>${cells}</tr>`;
  });
  const lag = loaded.some(({ load }) => load.dispatchLagMs)
    ? `<tr><th scope="row" title="actual minus intended send time (paced runs)">dispatch lag p50 / p99 / max (ms)</th>${loaded
        .map(({ load }) => {
          const lagMs = load.dispatchLagMs;
          return `<td class="num">${lagMs ? [lagMs.p50, lagMs.p99, lagMs.max].map(formatNumber).join(" / ") : UNAVAILABLE}</td>`;
        })
        .join("")}</tr>`
    : "";
  const shards = loaded.some(({ load }) => load.shards)
    ? `<tr><th scope="row" title="requests each shard measured (— : it did not report), and how far apart the shards started">shards: requests each; start skew</th>${loaded
        .map(({ load }) => {
          const s = load.shards;
          const each = s?.requests.map((n) => (n === null ? "—" : String(n))).join(" + ");
          return `<td class="num">${s ? `${escapeXml(each ?? "")}; ${formatNumber(s.startSkewMs)} ms` : UNAVAILABLE}</td>`;
        })
        .join("")}</tr>`
    : "";
  const partial = loaded.some(({ load }) => load.partial)
    ? `<p class="note">Partial (run cut short): ${escapeXml(
        loaded
          .filter(({ load }) => load.partial)
          .map(({ name }) => name)
          .join(", "),
      )}.</p>`
    : "";
  const segmentsOf = (load: ReportVersionLoad): BreakdownSegment[] =>
    keys.map((key) => ({ label: key.label, colourClass: key.colourClass, count: key.of(load) }));
  return [
    '<section id="responses">',
    "<h2>Responses</h2>",
    '<div class="table-wrap"><table class="responses-table">',
    `<thead><tr><th scope="col">Outcome</th>${loaded.map(({ name }) => `<th scope="col">${escapeXml(name)}</th>`).join("")}</tr></thead>`,
    `<tbody>${rows.join("")}<tr><th scope="row">total</th>${totals.map((total) => `<td class="num">${total}</td>`).join("")}</tr>${lag}${shards}</tbody>`,
    "</table></div>",
    partial,
    `<div class="charts"><figure>${breakdownChart(loaded.map(({ name, load }) => ({ versionName: name, segments: segmentsOf(load) })))}</figure></div>`,
    "</section>",
  ]
    .filter((line) => line !== "")
    .join("\n");
}

type TimelineSample = ReportVersionLoad["timeline"][number];

/**
 * The samples worth drawing: a sample covering less than half the usual interval (the short tail
 * end of a run) has a rate and percentiles from a handful of requests, so it is left out of the
 * charts (the JSON report keeps it).
 */
export function drawableSamples(timeline: readonly TimelineSample[]): TimelineSample[] {
  const intervals = timeline.map((s, i) => s.elapsedMs - (timeline[i - 1]?.elapsedMs ?? 0));
  const sorted = [...intervals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  return timeline.filter((_, i) => (intervals[i] ?? 0) >= median / 2);
}

function timelineSection(model: ReportModel): string {
  const loaded = loadedVersions(model)
    .map((entry) => ({ ...entry, samples: drawableSamples(entry.load.timeline) }))
    .filter(({ samples }) => samples.length > 0);
  if (loaded.length === 0) return "";
  const seconds = (ms: number) => ms / 1000;
  const throughput: LineSeries[] = loaded.map(({ version, name, samples }) => ({
    label: name,
    colourClass: colourClassOf(version),
    dash: dashOf(version),
    marker: version,
    points: samples.map((s): [number, number] => [seconds(s.elapsedMs), s.rate]),
  }));
  const latency: LineSeries[] = loaded.flatMap(({ version, name, samples }) => {
    const series: LineSeries[] = [];
    const p99 = samples.flatMap((s): Array<[number, number]> =>
      s.p99Ms === undefined ? [] : [[seconds(s.elapsedMs), s.p99Ms]],
    );
    const p50 = samples.flatMap((s): Array<[number, number]> =>
      s.p50Ms === undefined ? [] : [[seconds(s.elapsedMs), s.p50Ms]],
    );
    if (p99.length > 0)
      series.push({
        label: `${name} p99`,
        colourClass: colourClassOf(version),
        dash: dashOf(version),
        marker: version,
        points: p99,
      });
    if (p50.length > 0)
      series.push({
        label: `${name} p50`,
        colourClass: colourClassOf(version),
        dash: "6 3",
        marker: version,
        points: p50,
      });
    return series;
  });
  const charts = [
    lineChart(throughput, {
      title: "Throughput over time",
      xLabel: "time since measuring started (s)",
      yLabel: "throughput (req/s)",
      className: "throughput",
    }),
  ];
  if (latency.length > 0) {
    charts.push(
      lineChart(latency, {
        title: "Latency over time (p50 dashed, p99 solid)",
        xLabel: "time since measuring started (s)",
        yLabel: "latency (ms)",
        className: "latency-over-time",
      }),
    );
  }
  return [
    '<section id="timeline">',
    "<h2>Over time</h2>",
    `<div class="charts">${charts.map((chart) => `<figure>${chart}</figure>`).join("")}</div>`,
    '<p class="note">Points are the load generator&#39;s progress samples; a sample covering less than half the usual interval (the short end of a run) is left out of these charts; the JSON report keeps every sample.</p>',
    "</section>",
  ].join("\n");
}
