// SLOs on a service's own metrics: the service measured two deployments of its checkout (latencies
// and failures), checks both against SLOs with @iter8/slo and compares their mean latency.
import type { ExperimentResult, Insights } from "@iter8/spec";
import {
  assessAppVersions,
  checkAssertConditions,
  compareMeans,
  formatSlo,
  parseAssertCondition,
} from "@iter8/slo";

/** Latencies (ms) of `count` checkouts around `center`, deterministic (no randomness). */
function checkoutLatencies(count: number, center: number, spread: number): number[] {
  return Array.from({ length: count }, (_, i) => center + spread * Math.sin(i * 1.7));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

const deployments = [
  { name: "stable", latencies: checkoutLatencies(500, 80, 30), failures: 1 },
  { name: "canary", latencies: checkoutLatencies(500, 130, 40), failures: 12 },
];

// One metrics map per version: metric name -> values (SLOs judge the last one).
const insights: Insights = {
  numVersions: deployments.length,
  metricsInfo: {
    "checkout/p95": {
      description: "95th percentile checkout latency",
      units: "msec",
      type: "Gauge",
    },
    "checkout/error-rate": { description: "failed checkouts / checkouts", type: "Gauge" },
  },
  metricValues: deployments.map((d) => ({
    "checkout/p95": [Math.round(percentile(d.latencies, 95) * 10) / 10],
    "checkout/error-rate": [d.failures / d.latencies.length],
  })),
};

const assessed = assessAppVersions(
  {
    SLOs: [
      { metric: "checkout/p95", upperLimit: 150 },
      { metric: "checkout/error-rate", upperLimit: 0.01 },
    ],
  },
  insights,
);
for (const [i, slo] of (assessed.SLOs ?? []).entries()) {
  const verdicts = deployments.map(
    (d, v) => `${d.name} ${assessed.SLOsSatisfied?.[i]?.[v] ? "pass" : "FAIL"}`,
  );
  console.log(`${formatSlo(slo)}: ${verdicts.join(", ")}`);
}

// The same checks `iter8 assert -c completed -c nofailure -c slosby=0` makes, on this result.
const result: ExperimentResult = {
  startTime: new Date().toISOString(),
  numCompletedTasks: 1,
  numTasks: 1,
  failure: false,
  insights: assessed,
};
const outcomes = checkAssertConditions(
  ["completed", "nofailure", "slosby=0", "slosby=1"].map(parseAssertCondition),
  result,
);
for (const outcome of outcomes) console.log(outcome.message);

// Is the canary slower? Welch's t-test on the sufficient statistics of each sample.
const summarise = (values: number[]) => ({
  count: values.length,
  sum: values.reduce((a, b) => a + b, 0),
  sumSquares: values.reduce((a, b) => a + b * b, 0),
});
const [stable, canary] = deployments.map((d) => summarise(d.latencies));
if (!stable || !canary) throw new Error("two deployments expected");
const comparison = compareMeans(stable, canary, { difference: "relative" });
console.log(
  `canary vs stable mean latency: ${(comparison.estimate * 100).toFixed(1)}% ` +
    `(95% CI ${comparison.ci.map((x) => (x * 100).toFixed(1)).join("..")}%, p ${comparison.pValue?.toExponential(1)})`,
);

const [stableOk, canaryOk] = assessed.SLOsSatisfiedBy ?? [];
if (stableOk !== true || canaryOk !== false || !(comparison.estimate > 0)) {
  console.error("unexpected: stable should pass, the canary fail and be slower");
  process.exitCode = 1;
}
