import { DemoAppOptionError } from "./errors.js";

/** The gRPC status codes by name (grpc/grpc doc/statuscodes.md), without OK: the codes an error can carry. */
const GRPC_ERROR_CODES = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** The status an injected gRPC error carries unless a version says otherwise: 14, UNAVAILABLE. */
export const DEFAULT_GRPC_ERROR_CODE = GRPC_ERROR_CODES.UNAVAILABLE;

/** Whether `code` is a gRPC error status code (1..16). */
export function isGrpcErrorCode(code: number): boolean {
  return Number.isInteger(code) && code >= 1 && code <= 16;
}

/**
 * Parses a gRPC error status for `--grpc-error-code`: a number 1..16 or a name, any case
 * (`UNAVAILABLE`, `resource_exhausted`). Throws `DemoAppOptionError`.
 */
export function parseGrpcErrorCode(text: string): number {
  const upper = text.trim().toUpperCase();
  const code = /^\d+$/.test(upper)
    ? Number(upper)
    : (GRPC_ERROR_CODES as Record<string, number | undefined>)[upper];
  if (code === undefined || !isGrpcErrorCode(code)) {
    throw new DemoAppOptionError(
      `invalid --grpc-error-code value "${text}": expected a gRPC status code 1..16 or its name, such as 14 or UNAVAILABLE`,
    );
  }
  return code;
}

/** The name of a gRPC status code, e.g. `UNAVAILABLE` for 14. */
export function grpcStatusName(code: number): string {
  if (code === 0) return "OK";
  const entry = Object.entries(GRPC_ERROR_CODES).find(([, value]) => value === code);
  return entry ? entry[0] : String(code);
}
