// Public API of this package: what the engine, the CLI, the bench and embedders use (see README.md).
export { runLoad } from "./run-load.js";
export { runVersions, loadOptionsForVersion } from "./run-versions.js";
/** @public The stop/abort handle of `runVersions`, for embedders. */
export type { RunVersionsControl } from "./run-versions.js";
export { summariseLoad } from "./summarise.js";
export { mergeLoadResults } from "./merge-results.js";
/** @public One run of a split load, for `mergeLoadResults`. */
export type { LoadResultPart } from "./merge-results.js";
export { resolvePayload } from "./payload.js";
/** @public The options and result of `resolvePayload`, for embedders. */
export type { PayloadOptions, PayloadSource } from "./payload.js";
/** @public The error class and its code and kind tables, for embedders. */
export { LoadgenError, LOADGEN_ERROR_CODES, LOADGEN_ERROR_KINDS } from "./errors.js";
/** @public The codes `LoadgenError` carries. */
export type { LoadgenErrorCode } from "./errors.js";
/** @public The transport interface `runLoad` drives (HTTP/1.1 built in; gRPC in `@iter8/grpc`), for protocols that bring their own. */
export type {
  CreateTransport,
  OutcomeSink,
  Transport,
  TransportFactory,
  TransportModule,
  TransportStats,
} from "./transport.js";
export { classifyTransportError } from "./outcome.js";
/** @public The options, progress, control and result of `runLoad`, for embedders. */
export type {
  DispatchLag,
  HttpClient,
  HttpTls,
  Pacing,
  LoadControl,
  LoadOptions,
  LoadProgress,
  LoadResult,
  LoadSchedule,
  TransportErrorClass,
} from "./types.js";
