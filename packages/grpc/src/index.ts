// Public API of this package (see README.md).
/** @public The options, control and result of `runGrpcLoad`. */
export type {
  GrpcCallKind,
  GrpcLoadControl,
  GrpcLoadOptions,
  GrpcLoadResult,
  GrpcStreamStats,
  GrpcTls,
} from "./types.js";
export { runGrpcLoad } from "./run-grpc-load.js";
/** @public The error class and its code and kind tables, for embedders. */
export { GrpcError, GRPC_ERROR_CODES, GRPC_ERROR_KINDS } from "./errors.js";
/** @public The codes `GrpcError` carries. */
export type { GrpcErrorCode } from "./errors.js";
/** @public gRPC status names as ghz prints them, by code. */
export { GRPC_STATUS_NAMES, grpcStatusName } from "./status.js";
