import { parseRoutingOrThrow } from "@iter8/spec";
import { describe, expect, it } from "vitest";
import {
  compileRouteTable,
  compileStringMatch,
  MAX_REGEX_INPUT,
  normalizeRequestTarget,
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

describe("compileStringMatch with a regex", () => {
  // With a backtracking engine, ^(a+)+$ on 64 "a"s and a "!" takes about 2^64 steps: this test
  // could not end. RE2 answers in time linear in the input.
  it("matches a catastrophic-backtracking pattern in linear time", () => {
    const test = compileStringMatch({ regex: "^(a+)+$" });
    expect(test(`${"a".repeat(64)}!`)).toBe(false);
    expect(test("a".repeat(64))).toBe(true);
  }, 10_000);

  it("never matches a value longer than MAX_REGEX_INPUT", () => {
    const test = compileStringMatch({ regex: "^a+$" });
    expect(test("a".repeat(MAX_REGEX_INPUT))).toBe(true);
    expect(test("a".repeat(MAX_REGEX_INPUT + 1))).toBe(false);
  });
});

describe("normalizeRequestTarget", () => {
  it.each([
    ["/beta", "/beta"],
    ["/beta?a=//b/../c", "/beta?a=//b/../c"],
    ["/x/../beta", "/beta"],
    ["//beta", "/beta"],
    ["/a//b///c/", "/a/b/c/"],
    ["/./beta", "/beta"],
    ["/a/b/../../beta/./c", "/beta/c"],
    ["/../../beta", "/beta"],
    ["/beta/..", "/"],
    ["/beta/.", "/beta/"],
    ["/%2e%2E/beta", "/beta"],
    ["/x/%2e%2e/beta?q=1", "/beta?q=1"],
    ["/a/.hidden/..b", "/a/.hidden/..b"],
    ["http://example.com/beta", "/beta"],
    ["http://example.com//x/../beta?q", "/beta?q"],
    ["HTTP://example.com", "/"],
    ["http://example.com?q=1", "/?q=1"],
    ["*", "*"],
  ])("%s → %s", (target, normal) => {
    expect(normalizeRequestTarget(target)).toBe(normal);
  });

  it("returns the target itself when it is already normal", () => {
    const target = "/api/v1/items?x=1";
    expect(Object.is(normalizeRequestTarget(target), target)).toBe(true);
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
  it("routes by a route without match without reading the request or drawing for one version", () => {
    const single = compileRouteTable(
      parseRoutingOrThrow(`versions: [{name: v1, url: "http://a:1"}]
routes:
  - split: [{version: v1, weight: 1}]
`),
    );
    const untouchable = {
      method: "GET",
      url: "/",
      get headers(): Record<string, string> {
        throw new Error("headers read");
      },
    };
    const noDraw = (): number => {
      throw new Error("random drawn");
    };
    expect(routeRequest(single, untouchable, noDraw)).toEqual({ routeIndex: 0, version: "v1" });
  });
});
