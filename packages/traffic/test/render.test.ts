import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadAll } from "js-yaml";
import { parseRoutingOrThrow } from "@iter8/spec";
import { describe, expect, it } from "vitest";
import { formatManifests, renderRouting } from "../src/index.js";
import type { RenderTarget } from "../src/index.js";

// Validation against the CRDs' published schemas is in render-crd.test.ts.

function readRouting(fixture: string) {
  return parseRoutingOrThrow(readFileSync(join(import.meta.dirname, "fixtures", fixture), "utf8"));
}

const routing = readRouting("routing-k8s.yaml");
const variants = readRouting("routing-k8s-variants.yaml");

describe.each(["istio", "gateway-api"] as RenderTarget[])("renderRouting(%s)", (target) => {
  const rendered = renderRouting(routing, target);
  const text = formatManifests(rendered.objects);

  it("matches the snapshot", async () => {
    await expect(text).toMatchFileSnapshot(`fixtures/snapshots/${target}.yaml`);
  });

  it("matches the snapshot of the other branches (routing-k8s-variants.yaml)", async () => {
    await expect(formatManifests(renderRouting(variants, target).objects)).toMatchFileSnapshot(
      `fixtures/snapshots/${target}-variants.yaml`,
    );
  });

  it("reads back as the same objects from YAML", () => {
    expect(loadAll(text)).toEqual(rendered.objects);
  });

  it("renders the mirror with its percentage and cookie affinity as pinned rules plus Set-Cookie", () => {
    expect(text).toContain(target === "istio" ? "mirrorPercentage:\n" : "percent: 25");
    expect(text).toMatch(/Set-Cookie|set-cookie/);
    expect(text).toContain("iter8-reviews=v1; Path=/");
    expect(text).toContain("(^|.*;\\s*)iter8-reviews=v2(;.*)?$");
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
