import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load, loadAll } from "js-yaml";
import { parseRoutingOrThrow } from "@iter8/spec";
import { describe, expect, it } from "vitest";
import { checkRenderedObject, formatManifests, renderRouting } from "../src/index.js";
import type { RenderTarget } from "../src/index.js";

const routing = parseRoutingOrThrow(
  readFileSync(join(import.meta.dirname, "fixtures", "routing-k8s.yaml"), "utf8"),
);

describe.each(["istio", "gateway-api"] as RenderTarget[])("renderRouting(%s)", (target) => {
  const rendered = renderRouting(routing, target);
  const text = formatManifests(rendered.objects);

  it("matches the snapshot", async () => {
    await expect(text).toMatchFileSnapshot(`fixtures/snapshots/${target}.yaml`);
  });

  it("passes the structural check of the CRDs' published fields, and reads back as YAML", () => {
    expect(rendered.objects.map(checkRenderedObject)).toEqual(rendered.objects.map(() => []));
    expect(loadAll(text)).toEqual(rendered.objects);
  });

  it("renders the mirror with its percentage and cookie affinity as pinned rules plus Set-Cookie", () => {
    expect(text).toContain(target === "istio" ? "mirrorPercentage:\n" : "percent: 25");
    expect(text).toMatch(/Set-Cookie|set-cookie/);
    expect(text).toContain("iter8-reviews=v1; Path=/");
    expect(text).toContain("(^|.*;\\s*)iter8-reviews=v2(;.*)?$");
  });
});

describe("checkRenderedObject", () => {
  it("rejects a misspelt field and a weight of the wrong type", () => {
    const [vs] = renderRouting(routing, "istio").objects;
    const broken = load(
      formatManifests([vs ?? {}])
        .replace("mirrorPercentage", "mirrorPercent")
        .replace("weight: 90", "weight: '90'"),
    ) as Record<string, unknown>;
    const problems = checkRenderedObject(broken);
    expect(problems.some((p) => p.includes("mirrorPercent"))).toBe(true);
    expect(problems.some((p) => p.includes("weight"))).toBe(true);
  });
});

describe("renderRouting warnings", () => {
  it("says hash affinity cannot be sticky across versions in a mesh", () => {
    const hashed = parseRoutingOrThrow(`kubernetes: {host: app}
versions: [{name: v1, url: "http://a:80"}, {name: v2, url: "http://b:80"}]
routes:
  - split: [{version: v1, weight: 50}, {version: v2, weight: 50}]
    affinity: {key: header, name: x-user, mode: hash}
`);
    expect(renderRouting(hashed, "istio").warnings[0]).toContain(
      "hash affinity has no mesh equivalent",
    );
  });

  it("refuses a routing without kubernetes.host", () => {
    const bare = parseRoutingOrThrow(`versions: [{name: v1, url: "http://a:80"}]
routes: [{split: [{version: v1, weight: 1}]}]
`);
    expect(() => renderRouting(bare, "gateway-api")).toThrow(/kubernetes.host/);
  });
});
