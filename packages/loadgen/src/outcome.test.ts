import { describe, expect, it } from "vitest";
import { classifyTransportError, createErrorStatusTable, isErrorStatus } from "./outcome.js";

function errorWith(code: string, nested = false): Error {
  const inner = Object.assign(new Error("inner"), { code });
  return nested ? new Error("outer", { cause: inner }) : inner;
}

describe("classifyTransportError", () => {
  it.each([
    ["ECONNREFUSED", "refused"],
    ["ECONNRESET", "reset"],
    ["UND_ERR_SOCKET", "reset"],
    ["EPIPE", "reset"],
    ["UND_ERR_HEADERS_TIMEOUT", "timeout"],
    ["UND_ERR_BODY_TIMEOUT", "timeout"],
    ["UND_ERR_CONNECT_TIMEOUT", "timeout"],
    ["ENOTFOUND", "dns"],
    ["EAI_AGAIN", "dns"],
    ["ERR_TLS_CERT_ALTNAME_INVALID", "tls"],
    ["ERR_SSL_WRONG_VERSION_NUMBER", "tls"],
    ["DEPTH_ZERO_SELF_SIGNED_CERT", "tls"],
    ["EWHATEVER", "other"],
  ])("classifies %s as %s", (code, expected) => {
    expect(classifyTransportError(errorWith(code))).toBe(expected);
    expect(classifyTransportError(errorWith(code, true))).toBe(expected);
  });

  it("classifies errors without a code as other", () => {
    expect(classifyTransportError(new Error("x"))).toBe("other");
    expect(classifyTransportError("x")).toBe("other");
  });
});

describe("error ranges", () => {
  it("are inclusive at both ends, and a missing bound is open", () => {
    const ranges = [{ lower: 400, upper: 404 }, { lower: 500 }];
    expect([399, 400, 404, 405, 499, 500, 599].map((s) => isErrorStatus(s, ranges))).toEqual([
      false,
      true,
      true,
      false,
      false,
      true,
      true,
    ]);
    expect(isErrorStatus(100, [{ upper: 100 }])).toBe(true);
    expect(isErrorStatus(101, [{ upper: 100 }])).toBe(false);
  });

  it("become a lookup table that agrees with isErrorStatus", () => {
    const ranges = [
      { lower: 300, upper: 302 },
      { lower: 429, upper: 429 },
    ];
    const table = createErrorStatusTable(ranges);
    for (let status = 0; status < 1000; status++) {
      expect(table[status] === 1).toBe(isErrorStatus(status, ranges));
    }
  });
});
