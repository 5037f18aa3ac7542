/** gRPC status codes by number, named as ghz (Go's `codes.Code.String()`) names them. */
export const GRPC_STATUS_NAMES: readonly string[] = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

/** Status codes the transport produces itself. */
export const GRPC_STATUS = {
  ok: 0,
  cancelled: 1,
  unknown: 2,
  deadlineExceeded: 4,
  unimplemented: 12,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
} as const;

/** The name of a status code as ghz prints it (`Code(17)` for codes gRPC does not define). */
export function grpcStatusName(code: number): string {
  return GRPC_STATUS_NAMES[code] ?? `Code(${code})`;
}

/**
 * The status of a response that carried no `grpc-status`, from its HTTP status, as the gRPC
 * spec maps them (doc/http-grpc-status-mapping.md).
 */
export function statusFromHttp(httpStatus: number): number {
  switch (httpStatus) {
    case 400:
      return GRPC_STATUS.internal;
    case 401:
      return GRPC_STATUS.unauthenticated;
    case 403:
      return 7;
    case 404:
      return GRPC_STATUS.unimplemented;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_STATUS.unavailable;
    default:
      return GRPC_STATUS.unknown;
  }
}
