import { Buffer } from "node:buffer";
import type { HttpTls } from "./types.js";

/** What every request of one HTTP load looks like. */
export interface HttpRequestSpec {
  url: URL;
  method: string;
  /** Header names and values, flat: `[name, value, name, value, ...]`. */
  headers: string[];
  body: Buffer | undefined;
  timeoutMs: number;
  /** Lanes (requests in flight) per connection: the HTTP/1.1 pipelining depth. */
  pipelining: number;
  /** TLS of `https:` URLs; Node's defaults when undefined. */
  tls: HttpTls | undefined;
}

/** Thrown into a request that outlived its timeout; classified as a `timeout` transport error. */
export class RequestTimeoutError extends Error {
  override readonly name = "RequestTimeoutError";
  readonly code = "LOADGEN_EXCHANGE_TIMEOUT";

  /** An error saying the whole exchange took longer than `timeoutMs`. */
  constructor(timeoutMs: number) {
    super(`no complete response within ${timeoutMs} ms`);
  }
}

/** Flattens headers (and the content type) into undici's `[name, value, ...]` form. */
export function flattenHeaders(
  headers: Record<string, string> | undefined,
  contentType: string | undefined,
): string[] {
  const flat: string[] = [];
  let hasContentType = false;
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (name.toLowerCase() === "content-type") {
      if (contentType !== undefined) continue;
      hasContentType = true;
    }
    flat.push(name, value);
  }
  if (contentType !== undefined && !hasContentType) flat.push("content-type", contentType);
  return flat;
}

/** The body as bytes (encoded once, reused by every request). */
export function toBodyBuffer(body: string | Uint8Array | undefined): Buffer | undefined {
  if (body === undefined) return undefined;
  return typeof body === "string"
    ? Buffer.from(body, "utf8")
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}
