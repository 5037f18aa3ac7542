import { isMapping } from "./describe-value.js";

// Iter8 wrote its result in several shapes (v0.8.0 to v0.14). This module turns each into the
// shape of our `resultSchema`, before it is checked, so that nothing after @iter8/spec needs to
// know which release wrote a file. It only moves and renames fields; values stay the file's own.

type Plain = Record<string, unknown>;

/** The metric types whose values are plain numbers (others, e.g. `Histogram`, hold buckets). */
const SCALAR_METRIC_TYPES = new Set(["Counter", "Gauge"]);

// Iter8 v0.9+ names `http/latency-p50.0` the metric it records as `http/latency-p50`.
const WHOLE_PERCENTILE = /^((?:http|grpc)\/latency-p\d+)\.0$/;

/** Number of buckets of the latency histogram Iter8 v0.8.0 recorded (`base/collect.go`). */
export const V080_LATENCY_BUCKETS = 20;

/** The metric name of the latency histogram as Iter8 v0.8.0 recorded it. */
export const V080_LATENCY_HISTOGRAM = "built-in/latency";

/**
 * Turns the result of any Iter8 release (or of ours) into our result shape: a v0.11+ experiment
 * file `{spec, result}` gives its `result`; v0.9+ `nonHistMetricValues` become `metricValues`;
 * histogram metrics (v0.8 `built-in/latency`, v0.9+ `histMetricValues`) are set aside; v0.11+
 * `{upper, lower}` SLOs become one list; `SLOsSatisfiedBy` (version indices, or absent before
 * v0.8's writer and after v0.9) becomes one boolean per version.
 */
export function normaliseResultDocument(value: Plain): Plain {
  const embedded = isMapping(value.result) && "spec" in value;
  const source = embedded && isMapping(value.result) ? value.result : value;
  const out: Plain = { ...source };
  // Iter8 v0.11+ counted the tasks of the spec beside the result.
  if (embedded && out.numTasks === undefined && Array.isArray(value.spec)) {
    out.numTasks = value.spec.length;
  }
  // From v0.9 on, Iter8 wrote `iter8Version` and derived the verdicts when it read a result.
  const derives = "iter8Version" in out || embedded;
  if (isMapping(out.insights)) out.insights = normaliseInsights(out.insights, derives);
  return out;
}

function keyOf(record: Plain, name: string): string | undefined {
  // Go's JSON decoding matches keys regardless of case (`Upper` is `upper`).
  return Object.keys(record).find((k) => k.toLowerCase() === name);
}

function normaliseInsights(source: Plain, derives: boolean): Plain {
  const insights: Plain = { ...source };
  if (insights.metricValues === undefined && Array.isArray(insights.nonHistMetricValues)) {
    insights.metricValues = insights.nonHistMetricValues.map((v: unknown) => v ?? {});
  }
  delete insights.nonHistMetricValues;
  delete insights.histMetricValues;
  expandSummaryMetrics(insights);

  // Metrics whose values are not plain numbers are left out of metricsInfo and metricValues.
  if (isMapping(insights.metricsInfo)) {
    const info: Plain = {};
    const dropped = new Set<string>();
    for (const [name, meta] of Object.entries(insights.metricsInfo)) {
      if (isMapping(meta) && typeof meta.type === "string" && !SCALAR_METRIC_TYPES.has(meta.type)) {
        dropped.add(name);
      } else {
        info[name] = meta;
      }
    }
    insights.metricsInfo = info;
    if (Array.isArray(insights.metricValues) && dropped.size > 0) {
      insights.metricValues = insights.metricValues.map((values: unknown) =>
        isMapping(values)
          ? Object.fromEntries(Object.entries(values).filter(([name]) => !dropped.has(name)))
          : values,
      );
    }
  }

  const fromSides = slosFromSides(insights.SLOs, insights.SLOsSatisfied);
  if (fromSides) {
    insights.SLOs = fromSides.slos;
    insights.SLOsSatisfied = fromSides.satisfied;
  }
  if (Array.isArray(insights.SLOs)) {
    insights.SLOs = insights.SLOs.map((slo: unknown) =>
      isMapping(slo) && typeof slo.metric === "string"
        ? { ...slo, metric: slo.metric.replace(WHOLE_PERCENTILE, "$1") }
        : slo,
    );
  }

  const numVersions = typeof insights.numVersions === "number" ? insights.numVersions : 0;
  const by = insights.SLOsSatisfiedBy;
  if (Array.isArray(by) && by.every((v) => typeof v === "number")) {
    // Iter8 v0.8.0 (and our writer): the indices of the versions that satisfy every SLO.
    const indices = new Set(by);
    insights.SLOsSatisfiedBy = Array.from({ length: numVersions }, (_, v) => indices.has(v));
  } else if (by === undefined && Array.isArray(insights.SLOsSatisfied)) {
    // Iter8 v0.9+ wrote no SLOsSatisfiedBy: a version satisfies the SLOs when it satisfies each.
    const table = insights.SLOsSatisfied as unknown[];
    insights.SLOsSatisfiedBy = Array.from({ length: numVersions }, (_, v) =>
      table.every((row) => Array.isArray(row) && row[v] === true),
    );
  } else if (by === undefined && derives && insights.SLOs === undefined) {
    // Iter8 v0.9+ (getSLOsSatisfiedBy): without SLOs, every version satisfies them.
    insights.SLOsSatisfiedBy = Array.from({ length: numVersions }, () => true);
  }

  const rewards = insights.rewards;
  if (isMapping(rewards)) {
    // Iter8 v0.13+: `{max: [metric...], min: [metric...]}`.
    const list = (side: string, direction: "high" | "low") => {
      const key = keyOf(rewards, side);
      const names = key ? rewards[key] : undefined;
      return Array.isArray(names)
        ? names.map((metric: unknown) => ({ metric, preferredDirection: direction }))
        : [];
    };
    insights.rewards = [...list("max", "high"), ...list("min", "low")];
  }
  return insights;
}

// Iter8 v0.11+: `SLOs: {upper: [{metric, limit}], lower: [...]}` and
// `SLOsSatisfied: {upper: [[...]], lower: [[...]]}`: upper ones first, then lower ones.
function slosFromSides(
  slos: unknown,
  satisfied: unknown,
): { slos: unknown[]; satisfied: unknown } | undefined {
  if (!isMapping(slos)) return undefined;
  const side = (record: unknown, name: string): unknown[] => {
    if (!isMapping(record)) return [];
    const key = keyOf(record, name);
    const list = key ? record[key] : undefined;
    return Array.isArray(list) ? list : [];
  };
  const limitOf = (slo: unknown, field: "upperLimit" | "lowerLimit"): unknown => {
    if (!isMapping(slo)) return slo;
    const metricKey = keyOf(slo, "metric");
    const limitKey = keyOf(slo, "limit");
    return {
      metric: metricKey ? slo[metricKey] : undefined,
      [field]: limitKey ? slo[limitKey] : undefined,
    };
  };
  const list = [
    ...side(slos, "upper").map((s) => limitOf(s, "upperLimit")),
    ...side(slos, "lower").map((s) => limitOf(s, "lowerLimit")),
  ];
  const table =
    satisfied === undefined
      ? undefined
      : isMapping(satisfied)
        ? [...side(satisfied, "upper"), ...side(satisfied, "lower")]
        : satisfied;
  return { slos: list, satisfied: table };
}

// Iter8 v0.13+ summary metrics: per version, name → [count, sum, min, max, sumSquares] (Go
// `SummaryMetric`, written under the lower-cased key `summarymetricvalues`). Iter8 reads them
// through aggregations (`name/count`, `/mean`, `/stddev`, `/min`, `/max`, as in
// getSummaryAggregation); they become those plain metrics here.
function expandSummaryMetrics(insights: Plain): void {
  const key = keyOf(insights, "summarymetricvalues");
  const summaries = key ? insights[key] : undefined;
  if (key) delete insights[key];
  if (!Array.isArray(summaries)) return;
  const info = isMapping(insights.metricsInfo) ? { ...insights.metricsInfo } : {};
  const values = Array.isArray(insights.metricValues)
    ? [...(insights.metricValues as unknown[])]
    : [];
  summaries.forEach((perVersion: unknown, v) => {
    if (!isMapping(perVersion)) return;
    const target: Plain = isMapping(values[v]) ? { ...values[v] } : {};
    for (const [name, summary] of Object.entries(perVersion)) {
      if (!Array.isArray(summary) || summary.length < 5) continue;
      const [count, sum, min, max, squares] = summary.map(Number) as [
        number,
        number,
        number,
        number,
        number,
      ];
      const mean = sum / count;
      const stddev = Math.sqrt(squares / (count - 1) - (mean * mean * count) / (count - 1));
      const meta = isMapping(info[name]) ? info[name] : {};
      const description = typeof meta.description === "string" ? meta.description : name;
      const units = typeof meta.units === "string" ? { units: meta.units } : {};
      const aggregates: Array<[string, number, string]> = [
        ["count", count, "Counter"],
        ["mean", mean, "Gauge"],
        ["stddev", stddev, "Gauge"],
        ["min", min, "Gauge"],
        ["max", max, "Gauge"],
      ];
      for (const [aggregate, value, type] of aggregates) {
        target[`${name}/${aggregate}`] = [value];
        info[`${name}/${aggregate}`] = {
          description: `${aggregate} of ${description}`,
          type,
          ...(aggregate === "count" ? {} : units),
        };
      }
    }
    values[v] = target;
  });
  insights.metricsInfo = info;
  insights.metricValues = values;
}
