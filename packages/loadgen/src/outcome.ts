import type { ErrorRange } from "@iter8/spec";
import type { TransportErrorClass } from "./types.js";

/** The classes of transport failure, in report order. */
export const TRANSPORT_ERROR_CLASSES: readonly TransportErrorClass[] = [
  "refused",
  "reset",
  "timeout",
  "dns",
  "tls",
  "other",
];

const BY_CODE: Record<string, TransportErrorClass> = {
  ECONNREFUSED: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  ECONNABORTED: "reset",
  UND_ERR_SOCKET: "reset",
  UND_ERR_CLOSED: "reset",
  LOADGEN_SOCKET_CLOSED: "reset",
  ETIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  UND_ERR_BODY_TIMEOUT: "timeout",
  LOADGEN_EXCHANGE_TIMEOUT: "timeout",
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_NONAME: "dns",
  EAI_FAIL: "dns",
  EPROTO: "tls",
  CERT_HAS_EXPIRED: "tls",
  DEPTH_ZERO_SELF_SIGNED_CERT: "tls",
  SELF_SIGNED_CERT_IN_CHAIN: "tls",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "tls",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "tls",
};

/**
 * The transport failure class of an error thrown by undici, the lean HTTP/1.1 client or Node's
 * sockets (looks at `cause` too). A malformed response is `other` from both clients.
 */
export function classifyTransportError(error: unknown): TransportErrorClass {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      const known = BY_CODE[code];
      if (known) return known;
      if (code.startsWith("ERR_TLS_") || code.startsWith("ERR_SSL_") || code.includes("CERT")) {
        return "tls";
      }
    }
    current = (current as { cause?: unknown }).cause;
  }
  return "other";
}

/** A lookup table: `table[status] === 1` when the status is in one of the (inclusive) ranges. */
export function createErrorStatusTable(ranges: readonly ErrorRange[]): Uint8Array {
  const table = new Uint8Array(1000);
  for (let status = 0; status < table.length; status++) {
    if (isErrorStatus(status, ranges)) table[status] = 1;
  }
  return table;
}

/** True when `status` is in one of the inclusive `ranges` (a missing bound is open). */
export function isErrorStatus(status: number, ranges: readonly ErrorRange[]): boolean {
  for (const range of ranges) {
    if ((range.lower ?? -Infinity) <= status && status <= (range.upper ?? Infinity)) return true;
  }
  return false;
}
