export {
  DEFAULT_DEMO_APP_HOST,
  DEFAULT_DEMO_APP_PORT,
  DEFAULT_MAX_BODY_BYTES,
  MAX_DELAY_MS,
  isValidVersionName,
  startDemoApp,
} from "./server.js";
export type { DemoApp, DemoAppOptions, DemoAppVersion, DemoAppVersionSpec } from "./server.js";
export {
  parseDurationFlag,
  parseErrorRate,
  parsePerVersion,
  parsePort,
  parseSeed,
  parseVersionNames,
  resolveDemoAppFlags,
} from "./flags.js";
export type { DemoAppFlags } from "./flags.js";
export { DURATION_BUCKETS_SECONDS, EXPOSITION_CONTENT_TYPE, escapeLabelValue } from "./metrics.js";
export { createRandomSource, createSeededRandom } from "./random.js";
export type { RandomSource } from "./random.js";
export {
  DEMO_APP_ERROR_CODES,
  DEMO_APP_ERROR_KINDS,
  DemoAppListenError,
  DemoAppOptionError,
} from "./errors.js";
export type { DemoAppErrorCode } from "./errors.js";
