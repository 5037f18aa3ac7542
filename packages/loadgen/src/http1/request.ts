import { Buffer } from "node:buffer";

/** One request as it goes on the wire, the same every time it is sent. */
export interface Http1RequestTemplate {
  method: string;
  /** The request target: path and query (`/a?b=1`). */
  path: string;
  /** The `host` header: `hostname[:port]` of the URL, unless `headers` name one. */
  host: string;
  /** Header names and values, flat: `[name, value, name, value, ...]`. */
  headers: readonly string[];
  body?: Uint8Array | undefined;
}

/** Header names this encoder leaves to a full client (they change the framing or the connection). */
const FRAMING_HEADERS = new Set([
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "expect",
  "te",
]);

/** An HTTP token (RFC 9110): method and header-name characters. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A header value without control characters other than tab (no CR, LF or NUL). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A request target without whitespace or control characters. */
const TARGET = /^[\x21-\x7e\x80-\xff]+$/;

/**
 * Why `template` cannot be sent as precomputed bytes (a header that changes framing, a character
 * that is not allowed), or undefined when `encodeRequest` can encode it.
 */
export function unsupportedReason(template: Http1RequestTemplate): string | undefined {
  if (!TOKEN.test(template.method)) return "method is not an HTTP token";
  if (!TARGET.test(template.path)) return "path has whitespace or control characters";
  if (!FIELD_VALUE.test(template.host)) return "host has control characters";
  const headers = template.headers;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    const value = headers[i + 1] as string;
    if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not an HTTP token`;
    if (FRAMING_HEADERS.has(name.toLowerCase())) return `header ${name} changes the framing`;
    if (!FIELD_VALUE.test(value)) return `header ${name} has control characters`;
  }
  return undefined;
}

/** Methods whose requests carry a `content-length: 0` without a body (as undici sends them). */
const PAYLOAD_METHODS = new Set(["POST", "PUT", "PATCH", "QUERY", "PROPFIND", "PROPPATCH"]);

/**
 * The bytes of `template` as one HTTP/1.1 request on a keep-alive connection: request line,
 * `host` (unless given), the headers, `content-length` when there is a body (or the method expects
 * one), then the body. Check `unsupportedReason` first; this throws on what it reports.
 */
export function encodeRequest(template: Http1RequestTemplate): Buffer {
  const reason = unsupportedReason(template);
  if (reason !== undefined) throw new TypeError(`cannot encode the request: ${reason}`);
  let head = `${template.method} ${template.path} HTTP/1.1\r\n`;
  const headers = template.headers;
  let hasHost = false;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if ((headers[i] as string).toLowerCase() === "host") hasHost = true;
  }
  if (!hasHost) head += `host: ${template.host}\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    head += `${headers[i] as string}: ${headers[i + 1] as string}\r\n`;
  }
  const body = template.body;
  if (body !== undefined && body.byteLength > 0) {
    head += `content-length: ${body.byteLength}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, "latin1"), body]);
  }
  if (body !== undefined || PAYLOAD_METHODS.has(template.method.toUpperCase())) {
    head += "content-length: 0\r\n";
  }
  return Buffer.from(`${head}\r\n`, "latin1");
}
