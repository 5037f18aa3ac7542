export { evaluateSlos, checkSlo, formatSlo, latestMetricValue } from "./evaluate-slos.js";
export type { SloCheck, SloCheckReason, SloEvaluation } from "./evaluate-slos.js";
export { assessAppVersions } from "./assess.js";
export { evaluateCondition } from "./evaluate-condition.js";
export { ASSERT_CONDITIONS, checkAssertConditions, parseAssertCondition } from "./assert.js";
export type { AssertCondition, AssertOutcome } from "./assert.js";
export { SLO_ERROR_CODES, SLO_ERROR_KINDS, SloError } from "./errors.js";
export type { SloErrorCode } from "./errors.js";
export { COMPARE_DEFAULTS, compareMeans, compareProportions } from "./stats/compare.js";
export type {
  Comparison,
  CompareOptions,
  MeanSummary,
  ProportionSummary,
} from "./stats/compare.js";
export { SRM_THRESHOLD, sampleRatioMismatch } from "./stats/srm.js";
export type { SampleRatioMismatch } from "./stats/srm.js";
export { adjustPValues } from "./stats/adjust.js";
export type { PValueAdjustment } from "./stats/adjust.js";
export { DEFAULT_WINNER_THRESHOLD, selectWinner } from "./stats/winner.js";
export type { WinnerSelection } from "./stats/winner.js";
