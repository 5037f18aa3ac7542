export {
  MAX_HEAD_BYTES,
  PARSE_COMPLETE,
  PARSE_MORE,
  ResponseParseError,
  ResponseParser,
} from "./response-parser.js";
export type { ResponseCallbacks } from "./response-parser.js";
