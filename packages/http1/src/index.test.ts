import { describe, expect, it } from "vitest";
import * as index from "./index.js";
import * as responses from "./response-parser.js";

describe("the @iter8/http1 entry", () => {
  it("exports the response and request parsers, their errors and constants", () => {
    expect(Object.keys(index).sort()).toEqual([
      "MAX_HEAD_BYTES",
      "MAX_REQUEST_HEAD_BYTES",
      "PARSE_COMPLETE",
      "PARSE_MORE",
      "REQUEST_COMPLETE",
      "REQUEST_MORE",
      "RequestParseError",
      "RequestParser",
      "ResponseParseError",
      "ResponseParser",
    ]);
    expect(index.ResponseParser).toBe(responses.ResponseParser);
    expect(new index.ResponseParseError("x").code).toBe("HTTP1_PARSE");
  });
});
