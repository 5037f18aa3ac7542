import type {
  AssessInputs,
  Insights,
  MetricSummary,
  Reward,
  RewardComparison,
  WinnerAssessment,
} from "@iter8/spec";
import { normaliseMetricName } from "@iter8/spec";
import { adjustPValues } from "./adjust.js";
import type { CompareOptions, Comparison } from "./compare.js";
import { compareMeans, compareProportions } from "./compare.js";
import { sampleRatioMismatch } from "./srm.js";

/** Default chance to win a Bayesian winner needs. */
export const DEFAULT_WINNER_THRESHOLD = 0.95;

/** What {@link selectWinner} adds to the insights. */
export interface WinnerSelection {
  rewards: Reward[];
  comparisons: RewardComparison[];
  winner: WinnerAssessment;
}

/**
 * Compares every candidate version with the baseline (version 0) on every reward and picks the
 * winner: the best version (by the first reward) that satisfies all SLOs, is significantly better
 * than the baseline on at least one reward and significantly worse on none. Frequentist p-values are
 * Holm-corrected across candidates per reward; in Bayesian mode "significantly better" means a
 * chance to win of at least `winnerThreshold`. Lifts are relative. Without a winner the reason says
 * why ("no winner yet: ..."). A sample-ratio mismatch of the versions' counts
 * (`insights.trafficCounts`, else the first reward's observations) against the configured weights
 * (`inputs.weights`, else `insights.trafficWeights`) adds a warning.
 */
export function selectWinner(
  inputs: AssessInputs,
  insights: Insights,
  slosSatisfiedBy: readonly boolean[] | undefined,
): WinnerSelection {
  const rewards = (inputs.rewards ?? []).map((r) => ({
    ...r,
    metric: normaliseMetricName(r.metric),
  }));
  const method = inputs.method ?? "welch";
  const alpha = inputs.alpha ?? 0.05;
  const threshold = inputs.winnerThreshold ?? DEFAULT_WINNER_THRESHOLD;
  const numVersions = insights.numVersions;
  const summaries = insights.metricSummaries ?? [];
  const comparisons: RewardComparison[] = [];

  for (const reward of rewards) {
    const options: CompareOptions = {
      alpha,
      method,
      difference: "relative",
      alternative:
        method === "bayesian" && reward.preferredDirection === "low" ? "less" : "two-sided",
      ...(inputs.sequentialTuning !== undefined
        ? { sequentialTuning: inputs.sequentialTuning }
        : {}),
    };
    const rows: RewardComparison[] = [];
    for (let v = 1; v < numVersions; v++) {
      const c = compareSummaries(
        summaries[0]?.[reward.metric],
        summaries[v]?.[reward.metric],
        v,
        options,
      );
      rows.push(toRow(reward, v, c));
    }
    if (method !== "bayesian" && rows.length > 0) {
      const adjusted = adjustPValues(
        rows.map((r) => r.pValue ?? 1),
        "holm",
      );
      rows.forEach((row, i) => (row.adjustedPValue = adjusted[i] ?? 1));
    }
    for (const row of rows) {
      const up = reward.preferredDirection === "high" ? row.estimate > 0 : row.estimate < 0;
      if (row.degenerate !== undefined) continue;
      if (method === "bayesian") {
        const win = row.chanceToWin ?? 0.5;
        row.better = win >= threshold;
        row.worse = win <= 1 - threshold;
      } else {
        const significant = (row.adjustedPValue ?? 1) < alpha;
        row.better = significant && up;
        row.worse = significant && !up && row.estimate !== 0;
      }
    }
    comparisons.push(...rows);
  }

  const winner = decide(rewards, comparisons, method, numVersions, slosSatisfiedBy, alpha);
  const warnings = checkSampleRatio(inputs, insights, rewards[0]?.metric);
  if (warnings.srm) winner.srm = warnings.srm;
  if (warnings.messages.length > 0) winner.warnings = warnings.messages;
  return { rewards, comparisons, winner };
}

function compareSummaries(
  control: MetricSummary | undefined,
  treatment: MetricSummary | undefined,
  version: number,
  options: CompareOptions,
): Comparison {
  const missing = !control ? 0 : !treatment ? version : undefined;
  if (missing !== undefined || !control || !treatment) {
    return unavailable(options, `no sufficient statistics for version ${missing ?? version}`);
  }
  if (control.type === "mean" && treatment.type === "mean") {
    return compareMeans(control, treatment, options);
  }
  if (control.type === "proportion" && treatment.type === "proportion") {
    return compareProportions(control, treatment, options);
  }
  return unavailable(options, "versions summarise the metric differently (mean vs proportion)");
}

function unavailable(options: CompareOptions, reason: string): Comparison {
  const base: Comparison = {
    estimate: 0,
    standardError: 0,
    ci: [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
    degenerate: reason,
  };
  return options.method === "bayesian" ? { ...base, chanceToWin: 0.5 } : { ...base, pValue: 1 };
}

function toRow(reward: Reward, version: number, c: Comparison): RewardComparison {
  const row: RewardComparison = {
    metric: reward.metric,
    version,
    preferredDirection: reward.preferredDirection,
    estimate: c.estimate,
    standardError: c.standardError,
    ci: c.ci,
    better: false,
    worse: false,
  };
  if (c.pValue !== undefined) row.pValue = c.pValue;
  if (c.degreesOfFreedom !== undefined) row.degreesOfFreedom = c.degreesOfFreedom;
  if (c.chanceToWin !== undefined) row.chanceToWin = c.chanceToWin;
  if (c.risk !== undefined) row.risk = c.risk;
  if (c.degenerate !== undefined) row.degenerate = c.degenerate;
  return row;
}

function decide(
  rewards: Reward[],
  comparisons: RewardComparison[],
  method: WinnerAssessment["method"],
  numVersions: number,
  slosSatisfiedBy: readonly boolean[] | undefined,
  alpha: number,
): WinnerAssessment {
  if (rewards.length === 0) return { method, reason: "no winner yet: no rewards to compare on" };
  if (numVersions < 2) {
    return {
      method,
      reason: "no winner yet: need a baseline (version 0) and at least one candidate",
    };
  }
  const primary = rewards[0] as Reward;
  const sign = primary.preferredDirection === "high" ? 1 : -1;
  const slosOk = (v: number) => slosSatisfiedBy?.[v] !== false;
  const rowsOf = (v: number) => comparisons.filter((c) => c.version === v);
  const beating: number[] = [];
  const failingSlos: number[] = [];
  for (let v = 1; v < numVersions; v++) {
    const rows = rowsOf(v);
    if (!rows.some((r) => r.better) || rows.some((r) => r.worse)) continue;
    if (slosOk(v)) beating.push(v);
    else failingSlos.push(v);
  }
  if (beating.length === 0) {
    if (failingSlos.length > 0) {
      return {
        method,
        reason: `no winner yet: ${listVersions(failingSlos)} beat${failingSlos.length === 1 ? "s" : ""} version 0 but fail${failingSlos.length === 1 ? "s" : ""} the SLOs`,
      };
    }
    const degenerate = comparisons.find((c) => c.degenerate !== undefined);
    if (degenerate && comparisons.every((c) => c.degenerate !== undefined)) {
      return { method, reason: `no winner yet: ${degenerate.metric}: ${degenerate.degenerate}` };
    }
    const bar =
      method === "bayesian"
        ? "a high enough chance to win"
        : `a Holm-adjusted p-value below ${alpha}`;
    return {
      method,
      reason: `no winner yet: no candidate beats version 0 with ${bar} on any reward without losing on another`,
    };
  }
  const score = (v: number) =>
    sign * (comparisons.find((c) => c.version === v && c.metric === primary.metric)?.estimate ?? 0);
  const best = beating.reduce((a, b) => (score(b) > score(a) ? b : a));
  const row = rowsOf(best).find((r) => r.better) as RewardComparison;
  return { method, version: best, reason: `version ${best} wins: ${describeRow(row, method)}` };
}

function describeRow(row: RewardComparison, method: WinnerAssessment["method"]): string {
  const pct = (x: number) => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(1)}%`;
  const evidence =
    method === "bayesian"
      ? `chance to win ${((row.chanceToWin ?? 0) * 100).toFixed(1)}%`
      : `adjusted p = ${formatP(row.adjustedPValue ?? row.pValue ?? 1)}`;
  return `${row.metric} ${pct(row.estimate)} vs version 0 (CI ${pct(row.ci[0])} to ${pct(row.ci[1])}, ${evidence})`;
}

function formatP(p: number): string {
  return p < 0.0001 ? p.toExponential(1) : p.toPrecision(2);
}

function listVersions(versions: number[]): string {
  return versions.length === 1 ? `version ${versions[0]}` : `versions ${versions.join(", ")}`;
}

function checkSampleRatio(
  inputs: AssessInputs,
  insights: Insights,
  metric: string | undefined,
): { srm?: WinnerAssessment["srm"]; messages: string[] } {
  const weights = inputs.weights ?? insights.trafficWeights;
  if (!weights || !metric || weights.length !== insights.numVersions) return { messages: [] };
  // Units assigned (users), when a task recorded them; else the first reward's observations.
  let counts: number[] = [];
  if (insights.trafficCounts?.length === insights.numVersions) {
    counts = insights.trafficCounts;
  } else {
    for (let v = 0; v < insights.numVersions; v++) {
      const summary = insights.metricSummaries?.[v]?.[metric];
      if (!summary) return { messages: [] };
      counts.push(summary.count);
    }
  }
  if (weights.every((w) => w === 0)) return { messages: [] };
  const srm = sampleRatioMismatch(counts, weights);
  const out = {
    counts,
    weights,
    chiSquare: srm.chiSquare,
    pValue: srm.pValue,
    mismatch: srm.mismatch,
  };
  if (!srm.mismatch) return { srm: out, messages: [] };
  return {
    srm: out,
    messages: [
      `sample ratio mismatch: counts ${counts.join("/")} do not fit weights ${weights.join("/")} (p = ${formatP(srm.pValue)}); check the assignment before trusting the comparison`,
    ],
  };
}
