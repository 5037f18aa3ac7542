export {
  MAX_HEAD_BYTES,
  PARSE_COMPLETE,
  PARSE_MORE,
  ResponseParseError,
  ResponseParser,
} from "./response-parser.js";
export type { ResponseCallbacks, ResponseHeadText } from "./response-parser.js";
export {
  MAX_REQUEST_HEAD_BYTES,
  REQUEST_COMPLETE,
  REQUEST_MORE,
  RequestParseError,
  RequestParser,
} from "./request-parser.js";
export type { RequestCallbacks, RequestHead } from "./request-parser.js";
