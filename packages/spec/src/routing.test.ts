import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRollout } from "./routing-rollout.js";
import { parseRouting, ROUTING_LIMITS, routingJsonSchema, routingToDocument } from "./routing.js";

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, "..", "test", "fixtures", "routing", name), "utf8");

describe("parseRouting", () => {
  it("reads every feature with defaults applied", () => {
    const result = parseRouting(fixture("full.yaml"));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const routing = result.value;
    expect(routing.timeoutMs).toBe(10_000);
    expect(routing.routes[0]?.match).toEqual([
      { headers: { "x-user-group": { exact: "beta" } } },
      { cookies: { segment: { prefix: "beta" } }, method: { exact: "GET" } },
    ]);
    expect(routing.routes[1]?.mirror).toEqual([
      {
        version: "v2",
        percent: 25,
        maxBodyBytes: 65536,
        timeoutMs: 2000,
        maxConcurrent: 64,
        nonIdempotent: false,
      },
    ]);
    expect(routing.routes[1]?.affinity).toEqual({ key: "header", name: "x-user", mode: "hash" });
    expect(result.warnings).toEqual([]);
  });

  it("reads back its own document form unchanged", () => {
    const first = parseRouting(fixture("full.yaml"));
    if (!first.ok) throw new Error("fixture invalid");
    const again = parseRouting(JSON.stringify(routingToDocument(first.value)));
    expect(again.ok && again.value).toEqual(first.value);
  });

  // [fixture, path, line, message]
  it.each([
    [
      "unknown-version.yaml",
      "routes[0].split[1].version",
      10,
      'unknown version "v3"; did you mean "v1"?',
    ],
    [
      "misspelt-key.yaml",
      "routes[0].split[0].wieght",
      7,
      'unknown key "wieght"; did you mean "weight"?',
    ],
    [
      "two-predicates.yaml",
      "routes[0].match[0].path",
      6,
      "a predicate takes one of exact, prefix, regex or present, not exact and prefix",
    ],
    [
      "bad-regex.yaml",
      "routes[0].match[0].headers.x-user.regex",
      7,
      'invalid regular expression "a(b"',
    ],
    [
      "cookie-mode-header-key.yaml",
      "routes[0].affinity.key",
      8,
      "cookie mode pins users with a cookie: set key: cookie (name is the cookie set)",
    ],
    [
      "zero-weights.yaml",
      "routes[0].split",
      5,
      "every weight is 0; give at least one version a positive weight",
    ],
    ["fractional-weight.yaml", "routes[0].split[0].weight", 7, "expected a whole number, got 2.5"],
    ["mirror-percent.yaml", "routes[0].mirror[0].percent", 10, "must be at most 100, got 150"],
    ["bad-mode.yaml", "routes[0].affinity.mode", 8, 'did you mean "hash"?'],
  ])("%s: reports %s at line %i", (name, path, line, message) => {
    const result = parseRouting(fixture(name), { filename: name });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toHaveLength(1);
    const issue = result.issues[0];
    expect(issue?.path).toBe(path);
    expect(issue?.line).toBe(line);
    expect(issue?.file).toBe(name);
    expect(issue?.message).toContain(message);
  });

  it("warns about a route after a catch-all and about no catch-all", () => {
    const after = parseRouting(
      "versions: [{name: v1, url: 'http://a:1'}]\nroutes:\n  - split: [{version: v1, weight: 1}]\n  - split: [{version: v1, weight: 1}]\n",
    );
    expect(after.ok && after.warnings.map((w) => w.path)).toEqual(["routes[1]"]);
    const none = parseRouting(
      "versions: [{name: v1, url: 'http://a:1'}]\nroutes:\n  - match: [{path: {prefix: /a}}]\n    split: [{version: v1, weight: 1}]\n",
    );
    expect(none.ok && none.warnings[0]?.message).toContain("no route matches every request");
  });

  it("refuses more versions than ROUTING_LIMITS.maxVersions, naming the limit", () => {
    const versions = (n: number) =>
      Array.from({ length: n }, (_, i) => `  - {name: v${i}, url: "http://127.0.0.1:1/${i}"}`);
    const doc = (n: number) =>
      `versions:\n${versions(n).join("\n")}\nroutes:\n  - split: [{version: v0, weight: 1}]\n`;
    expect(parseRouting(doc(ROUTING_LIMITS.maxVersions)).ok).toBe(true);
    const result = parseRouting(doc(ROUTING_LIMITS.maxVersions + 1));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.path).toBe("versions");
    expect(result.issues[0]?.message).toBe(
      "65 versions; a routing has at most 64 (ROUTING_LIMITS.maxVersions)",
    );
  });

  // Routes match with RE2 (linear time): what it cannot run is refused at validation.
  it.each([
    ["(a)\\1", "invalid escape sequence"],
    ["(?=x)y", "invalid or unsupported Perl syntax"],
    ["(?<!x)y", "unsupported lookbehind `(?<!`"],
    ["a{1001}", "invalid repeat count"],
  ])("refuses the regex %s that RE2 cannot run, in one line", (regex, reason) => {
    const result = parseRouting(
      `versions: [{name: v1, url: 'http://a:1'}]\nroutes:\n  - match: [{headers: {x-user: {regex: '${regex}'}}}]\n    split: [{version: v1, weight: 1}]\n  - split: [{version: v1, weight: 1}]\n`,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const message = result.issues[0]?.message ?? "";
    expect(message).toContain(reason);
    expect(message).toContain("(RE2 syntax: no backreferences or lookaround)");
    expect(message).not.toContain("\n");
  });

  it("accepts the RE2 regexes routes use (classes, anchors, groups, Unicode classes)", () => {
    for (const regex of ["^(a+)+$", "^/api/v[0-9]+/", "\\d{3}-\\w+", "(?i)^beta", "\\p{L}+"]) {
      const result = parseRouting(
        `versions: [{name: v1, url: 'http://a:1'}]\nroutes:\n  - match: [{path: {regex: '${regex}'}}]\n    split: [{version: v1, weight: 1}]\n  - split: [{version: v1, weight: 1}]\n`,
      );
      expect(result.ok, regex).toBe(true);
    }
  });

  it("refuses a regex longer than ROUTING_LIMITS.maxRegexLength", () => {
    const regex = "a".repeat(ROUTING_LIMITS.maxRegexLength + 1);
    const result = parseRouting(
      `versions: [{name: v1, url: 'http://a:1'}]\nroutes:\n  - match: [{path: {regex: ${regex}}}]\n    split: [{version: v1, weight: 1}]\n  - split: [{version: v1, weight: 1}]\n`,
    );
    expect(!result.ok && result.issues[0]?.message).toContain(
      "is 1025 characters long; at most 1024 are allowed",
    );
  });

  it("refuses a document that is not a mapping", () => {
    const result = parseRouting("- a\n- b\n");
    expect(!result.ok && result.issues[0]?.message).toContain("expected a mapping with versions:");
  });
});

describe("parseRollout", () => {
  it("applies defaults and normalises SLO metric names", () => {
    const result = parseRollout(
      "admin: http://127.0.0.1:9901\nbaseline: v1\ncandidate: v2\nSLOs:\n  - metric: built-in/p95\n    upperLimit: 100\n",
    );
    expect(result.ok && result.value).toEqual({
      admin: "http://127.0.0.1:9901",
      baseline: "v1",
      candidate: "v2",
      steps: [5, 10, 25, 50, 100],
      intervalMs: 30_000,
      failureLimit: 2,
      minRequests: 1,
      SLOs: [{ metric: "built-in/p95.0", upperLimit: 100 }],
      result: "result.yaml",
    });
  });

  it.each([
    ["steps: [10, 5]", "steps[1]", "steps must rise: 5 comes after 10"],
    ["interval: 10", "interval", "missing a unit"],
    ["failurelimit: 2", "failurelimit", 'did you mean "failureLimit"?'],
  ])("reports %s", (extra, path, message) => {
    const result = parseRollout(
      `admin: http://127.0.0.1:9901\nbaseline: v1\ncandidate: v2\nSLOs: [{metric: built-in/error-rate, upperLimit: 0}]\n${extra}\n`,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.path).toBe(path);
    expect(result.issues[0]?.message).toContain(message);
  });

  it("refuses a provider metric without custommetrics, naming the fix", () => {
    const result = parseRollout(
      "admin: http://127.0.0.1:9901\nbaseline: v1\ncandidate: v2\nSLOs: [{metric: prom/latency, upperLimit: 1}]\n",
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.path).toBe("SLOs[0].metric");
    expect(result.issues[0]?.message).toContain("add custommetrics: {templates: {prom:");
  });

  it("reads provider metrics from custommetrics templates, with onNoData", () => {
    const result = parseRollout(`admin: http://127.0.0.1:9901
baseline: v1
candidate: v2
custommetrics:
  templates: {prom: prom.tpl}
  values: {url: "http://127.0.0.1:9090"}
  versionValues: [{app: v1}, {app: v2}]
  timeout: 2s
  retries: 0
SLOs:
  - {metric: prom/error-rate, upperLimit: 0.05, onNoData: skip}
  - {metric: other/latency, upperLimit: 1}
`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => [i.path, i.message])).toEqual([
      [
        "SLOs[1].metric",
        expect.stringContaining("nor a metric of a provider in custommetrics.templates (prom)"),
      ],
    ]);
    const ok = parseRollout(
      `admin: http://127.0.0.1:9901\nbaseline: v1\ncandidate: v2\ncustommetrics: {templates: {prom: prom.tpl}, timeout: 2s, retries: 0}\nSLOs: [{metric: prom/error-rate, upperLimit: 0.05, onNoData: skip}]\n`,
    );
    expect(ok.ok && ok.value.custommetrics).toEqual({
      templates: { prom: "prom.tpl" },
      values: {},
      versionValues: [],
      timeoutMs: 2000,
      retries: 0,
    });
    expect(ok.ok && ok.value.SLOs).toEqual([
      { metric: "prom/error-rate", upperLimit: 0.05, onNoData: "skip" },
    ]);
  });
});

describe("routingJsonSchema", () => {
  it("describes versions and routes for editors", () => {
    const schema = routingJsonSchema() as {
      required?: string[];
      properties?: Record<string, unknown>;
    };
    expect(schema.required).toEqual(expect.arrayContaining(["versions", "routes"]));
    expect(Object.keys(schema.properties ?? {})).toEqual(
      expect.arrayContaining(["versions", "routes", "timeout", "kubernetes"]),
    );
  });
});
