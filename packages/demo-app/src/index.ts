// Public API of this package: what the CLI, the test utilities and embedders use (see README.md).
export { startDemoApp } from "./server.js";
export type { DemoApp, DemoAppOptions, DemoAppVersion } from "./server.js";
/** @public One version's behaviour in `DemoAppOptions`, for embedders. */
export type { DemoAppVersionSpec } from "./versions.js";
/** @public The gRPC port of the first version, for embedders that print or probe it. */
export { DEFAULT_DEMO_APP_GRPC_PORT } from "./greeter.js";
export { GREETER_PROTO_PATH, GREETER_STREAM_REPLIES, startGreeterServer } from "./greeter.js";
export type { GreeterCall, GreeterServer, GreeterServerOptions } from "./greeter.js";
/** @public The method names a `GreeterCall` reports. */
export type { GreeterMethod } from "./greeter.js";
export { parseDurationFlag, resolveDemoAppFlags } from "./flags.js";
export type { DemoAppFlags } from "./flags.js";
export { EXPOSITION_CONTENT_TYPE, escapeLabelValue } from "./metrics.js";
export { createRandomSource, createSeededRandom } from "./random.js";
/** @public The random source `DemoAppOptions` accepts. */
export type { RandomSource } from "./random.js";
/** @public The error classes and their code and kind tables, for embedders. */
export {
  DEMO_APP_ERROR_CODES,
  DEMO_APP_ERROR_KINDS,
  DemoAppListenError,
  DemoAppOptionError,
} from "./errors.js";
/** @public The codes the demo app's errors carry. */
export type { DemoAppErrorCode } from "./errors.js";
