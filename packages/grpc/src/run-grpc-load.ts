import type { GrpcLoadControl, GrpcLoadOptions, GrpcLoadResult } from "./types.js";

/**
 * Runs gRPC load against one target on the shared load engine of `@iter8/loadgen`.
 * PLACEHOLDER (contract only): the implementation lands with issue #17's transport work.
 */
export function runGrpcLoad(
  options: GrpcLoadOptions,
  control: GrpcLoadControl = {},
): Promise<GrpcLoadResult> {
  void options;
  void control;
  return Promise.reject(new Error("runGrpcLoad is not implemented yet"));
}
