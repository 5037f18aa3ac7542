// A lean HTTP/1.1 client on `net` sockets: requests encoded once, one request at a time per
// keep-alive connection, responses parsed without decoding what the caller does not ask for.
// Self-contained (no import from the rest of loadgen) so other packages' upstream sides can use it.
export { encodeRequest, unsupportedReason } from "./request.js";
export type { Http1RequestTemplate } from "./request.js";
export { ConnectionClosedError, Http1Connection } from "./connection.js";
export type { Http1ExchangeHandler, Http1Target } from "./connection.js";
export {
  MAX_HEAD_BYTES,
  PARSE_COMPLETE,
  PARSE_MORE,
  ResponseParseError,
  ResponseParser,
} from "./response-parser.js";
export type { ResponseCallbacks } from "./response-parser.js";
