import { Iter8Error } from "@iter8/spec/light";
import type { ErrorKindTable } from "@iter8/spec/light";

/** Stable codes of `GrpcError`. */
export const GRPC_ERROR_CODES = {
  /** The load options are invalid (a value out of range, an option that cannot be combined). */
  options: "ITER8_GRPC_OPTIONS",
  /** The service definition could not be read (proto, protoURL, protoset) or does not parse. */
  proto: "ITER8_GRPC_PROTO",
  /** The call names a service or method the definition does not have. */
  method: "ITER8_GRPC_METHOD",
  /** The messages or metadata (`data`, `dataURL`, `binaryData`, `metadata`, ...) are invalid. */
  data: "ITER8_GRPC_DATA",
  /** Server reflection failed (no proto was given and the server did not describe the service). */
  reflection: "ITER8_GRPC_REFLECTION",
} as const;

/** A `GrpcError` code string. */
export type GrpcErrorCode = (typeof GRPC_ERROR_CODES)[keyof typeof GRPC_ERROR_CODES];

/** The kind of every {@link GrpcErrorCode}: reflection talks to a server (a failure); the rest is input. */
export const GRPC_ERROR_KINDS: ErrorKindTable<GrpcErrorCode> = {
  ITER8_GRPC_OPTIONS: "invalid-input",
  ITER8_GRPC_PROTO: "invalid-input",
  ITER8_GRPC_METHOD: "invalid-input",
  ITER8_GRPC_DATA: "invalid-input",
  ITER8_GRPC_REFLECTION: "failure",
};

/** An error of gRPC load generation with a stable `code` (see `GRPC_ERROR_CODES`). */
export class GrpcError extends Iter8Error<GrpcErrorCode> {
  override readonly name = "GrpcError";
  protected override get kinds(): ErrorKindTable<GrpcErrorCode> {
    return GRPC_ERROR_KINDS;
  }

  /** Creates an error with a code, a one-line message a person can act on and an optional cause. */
  constructor(code: GrpcErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, undefined, options);
  }
}
