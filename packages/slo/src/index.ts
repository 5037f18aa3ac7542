export { evaluateSlos, checkSlo, formatSlo, latestMetricValue } from "./evaluate-slos.js";
export type { SloCheck, SloCheckReason, SloEvaluation } from "./evaluate-slos.js";
export { assessAppVersions } from "./assess.js";
export { evaluateCondition } from "./evaluate-condition.js";
export { ASSERT_CONDITIONS, checkAssertConditions, parseAssertCondition } from "./assert.js";
export type { AssertCondition, AssertOutcome } from "./assert.js";
export { SLO_ERROR_CODES, SloError } from "./errors.js";
export type { SloErrorCode } from "./errors.js";
