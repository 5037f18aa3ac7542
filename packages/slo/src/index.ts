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
