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
