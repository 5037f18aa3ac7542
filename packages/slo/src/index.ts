// Public API of this package: what the engine, report, CLI and embedders use (see README.md).
export { evaluateSlos, checkSlo, formatSlo, latestMetricValue } from "./evaluate-slos.js";
/** @public The result of `evaluateSlos` and `checkSlo`, for embedders. */
export type { SloCheck, SloCheckReason, SloEvaluation } from "./evaluate-slos.js";
export { assessAppVersions } from "./assess.js";
export { evaluateCondition } from "./evaluate-condition.js";
export { checkAssertConditions, parseAssertCondition } from "./assert.js";
/** @public The input and result of `checkAssertConditions`, for embedders. */
export type { AssertCondition, AssertOutcome } from "./assert.js";
/** @public The error class and its code and kind tables, for embedders. */
export { SLO_ERROR_CODES, SLO_ERROR_KINDS, SloError } from "./errors.js";
/** @public The codes `SloError` carries. */
export type { SloErrorCode } from "./errors.js";
/** @public The A/B/n statistics, documented for library use in docs/ab-testing.md. */
export { compareMeans, compareProportions } from "./stats/compare.js";
/** @public The inputs, options and result of `compareMeans` and `compareProportions`. */
export type {
  Comparison,
  CompareOptions,
  MeanSummary,
  ProportionSummary,
} from "./stats/compare.js";
/** @public Sample-ratio-mismatch check, documented in docs/ab-testing.md. */
export { sampleRatioMismatch } from "./stats/srm.js";
/** @public The result of `sampleRatioMismatch`. */
export type { SampleRatioMismatch } from "./stats/srm.js";
/** @public Multiple-comparison corrections, documented in docs/ab-testing.md. */
export { adjustPValues } from "./stats/adjust.js";
/** @public The corrections `adjustPValues` offers. */
export type { PValueAdjustment } from "./stats/adjust.js";
