// Charts as inline SVG strings: no script, no external resource. Colours come from the page's CSS
// classes (`c0`..`c5` per version), so light and dark themes restyle them; each version's line
// series also has its own marker shape (and, past six versions, dash pattern) so that colour is
// never the only cue.

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** How many version colours the stylesheet defines; versions beyond reuse them with other dashes. */
export const NUM_SERIES_COLOURS = 6;

const WIDTH = 560;
/** Width of a chart that has a row of the page to itself (the responses' stacked bars). */
const WIDE_WIDTH = 1120;
const PLOT_HEIGHT = 200;
const MARGIN = { left: 64, right: 20, top: 40, bottom: 46 };
const LEGEND_ROW = 20;
const DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"];

/** One entry of a chart's legend. */
export interface LegendEntry {
  label: string;
  /** CSS class giving the swatch its colour, e.g. `c0`. */
  colourClass: string;
  /** `line` entries show the series' dash pattern. */
  shape: "box" | "line";
  dash?: string;
  /** `line` entries: the version whose marker the series uses. */
  marker?: number;
}

interface Tick {
  at: number;
  label: string;
}

interface Frame {
  title: string;
  xLabel: string;
  yLabel: string;
  xTicks: Tick[];
  yTicks: Tick[];
  legend: LegendEntry[];
  /** Extra attributes for the `<svg>` element, already escaped. */
  attributes?: string;
  className: string;
  /** Width of the view box; {@link WIDTH} unless the chart has a row of the page to itself. */
  width?: number;
}

const plotWidth = WIDTH - MARGIN.left - MARGIN.right;

/** Marker shapes, by version: circle, square, triangle, diamond, down-triangle, cross. */
const MARKERS = ["circle", "square", "triangle", "diamond", "down", "cross"] as const;

/** An SVG path (centred on x, y) of the marker of `version`. */
export function markerPath(version: number, x: number, y: number): string {
  const r = 3.2;
  const shape = MARKERS[version % MARKERS.length] ?? "circle";
  const at = (dx: number, dy: number) => `${round(x + dx)} ${round(y + dy)}`;
  switch (shape) {
    case "square":
      return `M${at(-r * 0.85, -r * 0.85)}H${round(x + r * 0.85)}V${round(y + r * 0.85)}H${round(x - r * 0.85)}Z`;
    case "triangle":
      return `M${at(0, -r * 1.15)}L${at(r, r * 0.75)}L${at(-r, r * 0.75)}Z`;
    case "diamond":
      return `M${at(0, -r * 1.2)}L${at(r * 1.2, 0)}L${at(0, r * 1.2)}L${at(-r * 1.2, 0)}Z`;
    case "down":
      return `M${at(0, r * 1.15)}L${at(r, -r * 0.75)}L${at(-r, -r * 0.75)}Z`;
    case "cross":
      return `M${at(-r, -r)}L${at(r, r)}M${at(r, -r)}L${at(-r, r)}`;
    default:
      return `M${at(-r, 0)}A${r} ${r} 0 1 0 ${at(r, 0)}A${r} ${r} 0 1 0 ${at(-r, 0)}Z`;
  }
}

/** Colour class of a version. */
export function colourClassOf(version: number): string {
  return `c${version % NUM_SERIES_COLOURS}`;
}

/** Dash pattern of a version's line (solid for the first six). */
export function dashOf(version: number, offset = 0): string {
  return DASHES[(Math.floor(version / NUM_SERIES_COLOURS) + offset) % DASHES.length] ?? "";
}

function round(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** Lays out the legend rows below the plot and returns their SVG and total height. */
function legendOf(
  entries: LegendEntry[],
  top: number,
  chartWidth: number,
): { svg: string; height: number } {
  let x = MARGIN.left;
  let row = 0;
  const parts: string[] = [];
  for (const entry of entries) {
    const width = 26 + entry.label.length * 7;
    if (x + width > chartWidth - MARGIN.right && x > MARGIN.left) {
      row += 1;
      x = MARGIN.left;
    }
    const y = top + row * LEGEND_ROW;
    const swatch =
      entry.shape === "box"
        ? `<path class="swatch ${entry.colourClass}" d="M${x} ${y - 9}h12v12h-12z"/>`
        : `<path class="legend-line ${entry.colourClass}" d="M${x} ${y - 3}h16"${
            entry.dash ? ` stroke-dasharray="${entry.dash}"` : ""
          }/>${
            entry.marker === undefined
              ? ""
              : `<path class="marker ${entry.colourClass}" d="${markerPath(entry.marker, x + 8, y - 3)}"/>`
          }`;
    parts.push(
      `<g class="legend-entry">${swatch}<text x="${x + (entry.shape === "box" ? 17 : 21)}" y="${y + 1}">${escapeXml(entry.label)}</text></g>`,
    );
    x += width;
  }
  return {
    svg: `<g class="legend">${parts.join("")}</g>`,
    height: entries.length > 0 ? (row + 1) * LEGEND_ROW + 4 : 0,
  };
}

function frameOf(frame: Frame, body: string): string {
  const width = frame.width ?? WIDTH;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotBottom = MARGIN.top + PLOT_HEIGHT;
  const legendTop = plotBottom + MARGIN.bottom + 10;
  const legend = legendOf(frame.legend, legendTop, width);
  const height = legendTop + legend.height - 6;
  const grid = frame.yTicks
    .map(
      (tick) =>
        `<path class="grid" d="M${MARGIN.left} ${round(tick.at)}h${plotWidth}"/><text class="tick" x="${MARGIN.left - 6}" y="${round(tick.at + 4)}" text-anchor="end">${escapeXml(tick.label)}</text>`,
    )
    .join("");
  const xTicks = frame.xTicks
    .map(
      (tick) =>
        `<path class="axis" d="M${round(tick.at)} ${plotBottom}v5"/><text class="tick" x="${round(tick.at)}" y="${plotBottom + 18}" text-anchor="middle">${escapeXml(tick.label)}</text>`,
    )
    .join("");
  const titleId = `t${Math.abs(hash(frame.title + frame.className)).toString(36)}`;
  return [
    `<svg class="chart ${frame.className}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${titleId}" xmlns="http://www.w3.org/2000/svg"${frame.attributes ?? ""}>`,
    `<title id="${titleId}">${escapeXml(frame.title)}</title>`,
    `<text class="chart-title" x="${MARGIN.left}" y="22">${escapeXml(frame.title)}</text>`,
    `<g class="grid-lines">${grid}</g>`,
    `<g class="plot">${body}</g>`,
    `<path class="axis" d="M${MARGIN.left} ${MARGIN.top}V${plotBottom}H${width - MARGIN.right}"/>`,
    `<g class="x-ticks">${xTicks}</g>`,
    `<text class="axis-label x-label" x="${MARGIN.left + plotWidth / 2}" y="${plotBottom + 38}" text-anchor="middle">${escapeXml(frame.xLabel)}</text>`,
    `<text class="axis-label y-label" transform="translate(16 ${MARGIN.top + PLOT_HEIGHT / 2}) rotate(-90)" text-anchor="middle">${escapeXml(frame.yLabel)}</text>`,
    legend.svg,
    `</svg>`,
  ].join("");
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return h;
}

/** Round tick values (1, 2, 5 × 10^k apart) covering [min, max]. */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    ticks.push(Number(t.toPrecision(12)));
  }
  return ticks;
}

function tickLabel(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 10_000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(4)));
}

/** Options of {@link histogramChart}. */
export interface HistogramChartOptions {
  version: number;
  versionName: string;
  /** Shared across versions so the charts compare. */
  xMinMs: number;
  xMaxMs: number;
  yMax: number;
  scale: "linear" | "log";
}

/** A latency histogram of one version: one `<rect class="bar">` per bucket, in bucket order. */
export function histogramChart(
  buckets: ReadonlyArray<readonly [number, number, number]>,
  options: HistogramChartOptions,
): string {
  const { version, versionName, xMinMs, xMaxMs, yMax, scale } = options;
  const span = xMaxMs > xMinMs ? xMaxMs - xMinMs : 1;
  const x = (ms: number) => MARGIN.left + ((ms - xMinMs) / span) * plotWidth;
  const plotBottom = MARGIN.top + PLOT_HEIGHT;
  const log = scale === "log";
  const top = Math.max(1, yMax);
  const logTop = Math.ceil(Math.log10(top + 1) * 1e6) / 1e6;
  const height = (count: number) =>
    count <= 0
      ? 0
      : log
        ? (Math.log10(count + 1) / logTop) * PLOT_HEIGHT
        : (count / top) * PLOT_HEIGHT;
  const total = buckets.reduce((sum, [, , count]) => sum + count, 0);
  const colour = colourClassOf(version);
  const bars = buckets
    .map(([lower, upper, count]) => {
      const left = x(lower);
      const width = Math.max(0.5, x(upper) - left - 0.5);
      const h = height(count);
      return `<rect class="bar ${colour}" x="${round(left)}" y="${round(plotBottom - h)}" width="${round(width)}" height="${round(h)}"><title>${escapeXml(`${tickLabel(lower)}–${tickLabel(upper)} ms: ${count} requests`)}</title></rect>`;
    })
    .join("");
  const yTicks = log
    ? Array.from({ length: Math.floor(Math.log10(top)) + 1 }, (_, k) => 10 ** k).map((value) => ({
        at: plotBottom - height(value),
        label: tickLabel(value),
      }))
    : niceTicks(0, top).map((value) => ({
        at: plotBottom - height(value),
        label: tickLabel(value),
      }));
  const xTicks = niceTicks(xMinMs, xMaxMs).map((value) => ({
    at: x(value),
    label: tickLabel(value),
  }));
  return frameOf(
    {
      title: `Latency histogram: ${versionName}`,
      xLabel: "latency (ms)",
      yLabel: log ? "requests (log scale)" : "requests",
      xTicks,
      yTicks,
      legend: [
        {
          label: `${versionName}: ${total} ${total === 1 ? "request" : "requests"}`,
          colourClass: colour,
          shape: "box",
        },
      ],
      className: "histogram",
      attributes: ` data-version="${version}" data-buckets="${buckets.length}" data-scale="${scale}"`,
    },
    bars,
  );
}

/** One line of a line chart. */
export interface LineSeries {
  label: string;
  colourClass: string;
  dash: string;
  /** The version whose marker shape the points use. */
  marker: number;
  points: Array<[number, number]>;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  className: string;
  /** Maps x values onto [0, 1] of the plot's width (default: linear over the data). */
  xScale?: { toUnit: (x: number) => number; ticks: Array<{ value: number; label: string }> };
}

/** A line chart with markers at every point; y starts at 0. */
export function lineChart(series: LineSeries[], options: LineChartOptions): string {
  const all = series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const xMin = Math.min(0, ...xs);
  const xMax = Math.max(xMin + 1, ...xs);
  const yTickValues = niceTicks(0, (Math.max(0, ...ys) || 1) * 1.05);
  const yMax = Math.max(...yTickValues, ...ys);
  const toUnit = options.xScale?.toUnit ?? ((x: number) => (x - xMin) / (xMax - xMin));
  const px = (x: number) => MARGIN.left + toUnit(x) * plotWidth;
  const plotBottom = MARGIN.top + PLOT_HEIGHT;
  const py = (y: number) => plotBottom - (yMax > 0 ? (y / yMax) * PLOT_HEIGHT : 0);
  const body = series
    .map((s) => {
      const d = s.points
        .map(([x, y], i) => `${i === 0 ? "M" : "L"}${round(px(x))} ${round(py(y))}`)
        .join("");
      const markers = s.points
        .map(
          ([x, y]) =>
            `<path class="marker ${s.colourClass}" d="${markerPath(s.marker, px(x), py(y))}"/>`,
        )
        .join("");
      return `<g class="series"><path class="line ${s.colourClass}" d="${d}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/>${markers}</g>`;
    })
    .join("");
  const xTicks = options.xScale
    ? options.xScale.ticks.map((tick) => ({ at: px(tick.value), label: tick.label }))
    : niceTicks(xMin, xMax).map((value) => ({ at: px(value), label: tickLabel(value) }));
  return frameOf(
    {
      title: options.title,
      xLabel: options.xLabel,
      yLabel: options.yLabel,
      xTicks,
      yTicks: yTickValues.map((value) => ({ at: py(value), label: tickLabel(value) })),
      legend: series.map((s) => ({
        label: s.label,
        colourClass: s.colourClass,
        shape: "line" as const,
        dash: s.dash,
        marker: s.marker,
      })),
      className: options.className,
    },
    body,
  );
}

/** A percentile on the "nines" axis: p0 → 0, p90 → 1, p99 → 2, p99.9 → 3. */
function nines(percentile: number): number {
  return -Math.log10(1 - Math.min(percentile, 99.9) / 100);
}

/** Latency by percentile, one line per version, on an axis that spreads out the tail. */
export function percentileChart(
  series: Array<{
    version: number;
    versionName: string;
    points: Array<{ percentile: number; latencyMs: number }>;
  }>,
): string {
  const ticks = [0, 50, 90, 99, 99.9].map((p) => ({ value: p, label: `p${p}` }));
  return lineChart(
    series.map((s) => ({
      label: s.versionName,
      colourClass: colourClassOf(s.version),
      dash: dashOf(s.version),
      marker: s.version,
      points: s.points.map((p): [number, number] => [p.percentile, p.latencyMs]),
    })),
    {
      title: "Latency by percentile (p0 to p99.9, tail stretched)",
      xLabel: "percentile of requests (%)",
      yLabel: "latency (ms)",
      className: "percentiles",
      xScale: { toUnit: (p) => nines(p) / 3, ticks },
    },
  );
}

/** One segment of a stacked bar. */
export interface BreakdownSegment {
  label: string;
  colourClass: string;
  count: number;
}

/** Horizontal 100% stacked bars: one per version, one segment per status code or error class. */
export function breakdownChart(
  rows: Array<{ versionName: string; segments: BreakdownSegment[] }>,
): string {
  const plotWidth = WIDE_WIDTH - MARGIN.left - MARGIN.right;
  const rowHeight = PLOT_HEIGHT / Math.max(rows.length, 1);
  const barHeight = Math.min(36, rowHeight * 0.6);
  const body = rows
    .map((row, r) => {
      const total = row.segments.reduce((sum, s) => sum + s.count, 0);
      let x = MARGIN.left;
      const y = MARGIN.top + r * rowHeight + (rowHeight - barHeight) / 2;
      const segments = row.segments
        .filter((s) => s.count > 0)
        .map((s) => {
          const width = total > 0 ? (s.count / total) * plotWidth : 0;
          const share = total > 0 ? (100 * s.count) / total : 0;
          const part = `<path class="segment ${s.colourClass}" d="M${round(x)} ${round(y)}h${round(width)}v${round(barHeight)}h${round(-width)}z"><title>${escapeXml(`${row.versionName}: ${s.label} ${s.count} (${share.toFixed(1)}%)`)}</title></path>`;
          x += width;
          return part;
        })
        .join("");
      return `<g class="breakdown-row">${segments}<text class="tick" x="${MARGIN.left + 4}" y="${round(y - 4)}">${escapeXml(`${row.versionName}: ${total} ${total === 1 ? "request" : "requests"}`)}</text></g>`;
    })
    .join("");
  const legend = new Map<string, LegendEntry>();
  for (const row of rows) {
    for (const s of row.segments) {
      if (s.count > 0)
        legend.set(s.label, { label: s.label, colourClass: s.colourClass, shape: "box" });
    }
  }
  return frameOf(
    {
      title: "Responses by status code and transport error",
      xLabel: "share of requests (%)",
      yLabel: "version",
      xTicks: [0, 25, 50, 75, 100].map((p) => ({
        at: MARGIN.left + (p / 100) * plotWidth,
        label: `${p}`,
      })),
      yTicks: [],
      legend: [...legend.values()],
      className: "breakdown",
      width: WIDE_WIDTH,
    },
    body,
  );
}
