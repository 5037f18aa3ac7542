import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import type { DocumentRule, RuleFinding } from "./document.js";
import {
  candidateDiffersFromBaseline,
  lastStepTakesAllTraffic,
  ROLLOUT_RULES,
  rolloutSchema,
  sloMetricHasSource,
} from "./routing-rollout.js";
import type { RawRollout } from "./routing-rollout.js";
import {
  cookieAffinityUsesCookieKey,
  routeNamesUnique,
  routesReachable,
  routeVersionsKnown,
  ROUTING_RULES,
  routingSchema,
  splitHasPositiveWeight,
  splitVersionsDistinct,
  versionNamesUnique,
} from "./routing.js";
import type { RawRouting } from "./routing.js";

type Case = [name: string, document: string, expected: RuleFinding[]];

// A rule's input: a document its schema accepts, as parseRouting hands it to the rules.
const routing = (text: string): RawRouting => routingSchema.parse(load(text));
const rollout = (text: string): RawRollout => rolloutSchema.parse(load(text));

const versions =
  "versions: [{name: v1, url: 'http://127.0.0.1:1'}, {name: v2, url: 'http://127.0.0.1:2'}]";
const catchAll = "{split: [{version: v1, weight: 1}]}";

function routingCase(rule: DocumentRule<RawRouting>, routes: string, more = versions) {
  return rule(routing(`${more}\nroutes: ${routes}`));
}

describe("routing rules", () => {
  it.each<Case>([
    ["distinct names", versions, []],
    [
      "a name listed twice",
      "versions: [{name: v1, url: 'http://127.0.0.1:1'}, {name: v1, url: 'http://127.0.0.1:2'}]",
      [
        {
          severity: "issue",
          path: ["versions", 1, "name"],
          message: 'version "v1" is listed twice',
        },
      ],
    ],
  ])("versionNamesUnique: %s", (_name, more, expected) => {
    expect(routingCase(versionNamesUnique, `[${catchAll}]`, more)).toEqual(expected);
  });

  it.each<Case>([
    [
      "distinct route names",
      `[{name: a, ${catchAll.slice(1)}, {name: b, ${catchAll.slice(1)}]`,
      [],
    ],
    [
      "a route name used twice",
      `[{name: a, ${catchAll.slice(1)}, {name: a, ${catchAll.slice(1)}]`,
      [{ severity: "issue", path: ["routes", 1, "name"], message: 'route name "a" is used twice' }],
    ],
  ])("routeNamesUnique: %s", (_name, routes, expected) => {
    expect(routingCase(routeNamesUnique, routes)).toEqual(expected);
  });

  it.each<Case>([
    [
      "known versions",
      "[{split: [{version: v1, weight: 1}], mirror: [{version: v2, percent: 10}]}]",
      [],
    ],
    [
      "a split naming a near miss, a mirror naming nothing like a version",
      "[{split: [{version: v3, weight: 1}], mirror: [{version: other, percent: 10}]}]",
      [
        {
          severity: "issue",
          path: ["routes", 0, "split", 0, "version"],
          message: 'unknown version "v3"; did you mean "v1"?',
        },
        {
          severity: "issue",
          path: ["routes", 0, "mirror", 0, "version"],
          message: 'unknown version "other"; versions are v1, v2',
        },
      ],
    ],
  ])("routeVersionsKnown: %s", (_name, routes, expected) => {
    expect(routingCase(routeVersionsKnown, routes)).toEqual(expected);
  });

  it.each<Case>([
    ["each version once", "[{split: [{version: v1, weight: 1}, {version: v2, weight: 1}]}]", []],
    [
      "a version twice",
      "[{split: [{version: v1, weight: 1}, {version: v1, weight: 2}]}]",
      [
        {
          severity: "issue",
          path: ["routes", 0, "split", 1, "version"],
          message: 'version "v1" appears twice in this split',
        },
      ],
    ],
  ])("splitVersionsDistinct: %s", (_name, routes, expected) => {
    expect(routingCase(splitVersionsDistinct, routes)).toEqual(expected);
  });

  it.each<Case>([
    ["one positive weight", "[{split: [{version: v1, weight: 0}, {version: v2, weight: 1}]}]", []],
    [
      "every weight 0",
      "[{split: [{version: v1, weight: 0}, {version: v2, weight: 0}]}]",
      [
        {
          severity: "issue",
          path: ["routes", 0, "split"],
          message: "every weight is 0; give at least one version a positive weight",
        },
      ],
    ],
  ])("splitHasPositiveWeight: %s", (_name, routes, expected) => {
    expect(routingCase(splitHasPositiveWeight, routes)).toEqual(expected);
  });

  it.each<Case>([
    [
      "cookie mode with key cookie",
      "[{split: [{version: v1, weight: 1}], affinity: {key: cookie, name: c, mode: cookie}}]",
      [],
    ],
    [
      "cookie mode with a header key",
      "[{split: [{version: v1, weight: 1}], affinity: {key: header, name: x-user, mode: cookie}}]",
      [
        {
          severity: "issue",
          path: ["routes", 0, "affinity", "key"],
          message: "cookie mode pins users with a cookie: set key: cookie (name is the cookie set)",
        },
      ],
    ],
  ])("cookieAffinityUsesCookieKey: %s", (_name, routes, expected) => {
    expect(routingCase(cookieAffinityUsesCookieKey, routes)).toEqual(expected);
  });

  it.each<Case>([
    [
      "a matching route, then a catch-all",
      `[{match: [{method: {exact: GET}}], split: [{version: v2, weight: 1}]}, ${catchAll}]`,
      [],
    ],
    [
      "a route after a catch-all",
      `[${catchAll}, {match: [{method: {exact: GET}}], split: [{version: v2, weight: 1}]}]`,
      [
        {
          severity: "warning",
          path: ["routes", 1],
          message: "route routes[0] matches every request, so this route is never used",
        },
      ],
    ],
    [
      "no catch-all",
      "[{match: [{method: {exact: GET}}], split: [{version: v2, weight: 1}]}]",
      [
        {
          severity: "warning",
          path: ["routes"],
          message: "no route matches every request; requests no route matches get 404",
        },
      ],
    ],
  ])("routesReachable: %s", (_name, routes, expected) => {
    expect(routingCase(routesReachable, routes)).toEqual(expected);
  });

  it("ROUTING_RULES lists every routing rule once", () => {
    expect(ROUTING_RULES).toEqual([
      versionNamesUnique,
      routeNamesUnique,
      routeVersionsKnown,
      splitVersionsDistinct,
      splitHasPositiveWeight,
      cookieAffinityUsesCookieKey,
      routesReachable,
    ]);
  });
});

const rolloutBase = "admin: 'http://127.0.0.1:9901'\nbaseline: v1";

describe("rollout rules", () => {
  it.each<Case>([
    [
      "different versions",
      `${rolloutBase}\ncandidate: v2\nSLOs: [{metric: built-in/error-rate, upperLimit: 0}]`,
      [],
    ],
    [
      "the same version",
      `${rolloutBase}\ncandidate: v1\nSLOs: [{metric: built-in/error-rate, upperLimit: 0}]`,
      [
        {
          severity: "issue",
          path: ["candidate"],
          message: "candidate and baseline must be different versions",
        },
      ],
    ],
  ])("candidateDiffersFromBaseline: %s", (_name, text, expected) => {
    expect(candidateDiffersFromBaseline(rollout(text))).toEqual(expected);
  });

  it.each<Case>([
    [
      "a built-in metric",
      `${rolloutBase}\ncandidate: v2\nSLOs: [{metric: built-in/p95.0, upperLimit: 1}]`,
      [],
    ],
    [
      "a provider metric with its provider",
      `${rolloutBase}\ncandidate: v2\nSLOs: [{metric: prom/x, upperLimit: 1}]\ncustommetrics: {templates: {prom: p.tpl}}`,
      [],
    ],
    [
      "a provider metric without custommetrics",
      `${rolloutBase}\ncandidate: v2\nSLOs: [{metric: prom/x, upperLimit: 1}]`,
      [
        {
          severity: "issue",
          path: ["SLOs", 0, "metric"],
          message:
            '"prom/x" is neither a built-in metric of the proxy (e.g. built-in/error-rate, built-in/p95.0) nor a provider metric; add custommetrics: {templates: {prom: <template>}} to read it from a provider',
        },
      ],
    ],
    [
      "a provider metric of an unlisted provider",
      `${rolloutBase}\ncandidate: v2\nSLOs: [{metric: other/x, upperLimit: 1}]\ncustommetrics: {templates: {prom: p.tpl}}`,
      [
        {
          severity: "issue",
          path: ["SLOs", 0, "metric"],
          message:
            '"other/x" is neither a built-in metric nor a metric of a provider in custommetrics.templates (prom)',
        },
      ],
    ],
  ])("sloMetricHasSource: %s", (_name, text, expected) => {
    expect(sloMetricHasSource(rollout(text))).toEqual(expected);
  });

  it.each<Case>([
    [
      "default steps end at 100",
      `${rolloutBase}\ncandidate: v2\nSLOs: [{metric: built-in/error-rate, upperLimit: 0}]`,
      [],
    ],
    [
      "steps that stop at 50",
      `${rolloutBase}\ncandidate: v2\nsteps: [10, 50]\nSLOs: [{metric: built-in/error-rate, upperLimit: 0}]`,
      [
        {
          severity: "warning",
          path: ["steps"],
          message: "the last step is 50%, so the candidate never takes all the traffic",
        },
      ],
    ],
  ])("lastStepTakesAllTraffic: %s", (_name, text, expected) => {
    expect(lastStepTakesAllTraffic(rollout(text))).toEqual(expected);
  });

  it("ROLLOUT_RULES lists every rollout rule once", () => {
    expect(ROLLOUT_RULES).toEqual([
      candidateDiffersFromBaseline,
      sloMetricHasSource,
      lastStepTakesAllTraffic,
    ]);
  });
});
