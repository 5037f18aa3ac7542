import { parseRoutingOrThrow } from "@iter8/spec";
import { describe, expect, it } from "vitest";
import {
  compileRouteTable,
  compileStringMatch,
  parseCookies,
  routeRequest,
} from "./route-table.js";

describe("compileStringMatch", () => {
  it.each([
    [{ exact: "a" }, "a", true],
    [{ exact: "a" }, "ab", false],
    [{ prefix: "a" }, "ab", true],
    [{ prefix: "a" }, undefined, false],
    [{ regex: "^b.+" }, "bc", true],
    [{ regex: "^b.+" }, "cb", false],
    [{ present: true }, "", true],
    [{ present: true }, undefined, false],
    [{ present: false }, undefined, true],
  ] as const)("%j on %j is %s", (match, value, expected) => {
    expect(compileStringMatch(match)(value)).toBe(expected);
  });
});

describe("parseCookies", () => {
  it("splits a Cookie header, trimming and keeping the first of repeated names", () => {
    expect(parseCookies(" a=1; b = 2;a=3; junk").get("a")).toBe("1");
    expect(parseCookies("a=1; b = 2").get("b")).toBe("2");
  });
});

describe("routeRequest", () => {
  const table = compileRouteTable(
    parseRoutingOrThrow(`versions: [{name: v1, url: "http://a:1"}, {name: v2, url: "http://b:1"}]
routes:
  - match:
      - headers: {X-Group: {exact: beta}}
        method: {exact: GET}
    split: [{version: v2, weight: 1}]
  - split: [{version: v1, weight: 3}, {version: v2, weight: 1}]
`),
  );

  it("uses the first route whose entry matches in full (header names case-insensitive)", () => {
    const facts = { method: "GET", url: "/", headers: { "x-group": "beta" } };
    expect(routeRequest(table, facts)).toEqual({ routeIndex: 0, version: "v2" });
    expect(routeRequest(table, { ...facts, method: "POST" }, () => 0)).toEqual({
      routeIndex: 1,
      version: "v1",
    });
  });

  it("draws by cumulative weight", () => {
    const facts = { method: "GET", url: "/", headers: {} };
    expect(routeRequest(table, facts, () => 0.74)?.version).toBe("v1");
    expect(routeRequest(table, facts, () => 0.75)?.version).toBe("v2");
  });
});
