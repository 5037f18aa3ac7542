import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import { DestinationRule } from "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1/VirtualService";
import { parseRoutingOrThrow } from "@iter8/spec";
import { load, loadAll } from "js-yaml";
import { describe, expect, it } from "vitest";
import { formatManifests, renderRouting } from "../src/index.js";
import type { RenderTarget } from "../src/index.js";

/*
 * The authority here is the CRDs' published OpenAPI schemas, compiled to ajv validators by
 * kubernetes-models: @kubernetes-models/istio 3.0.1 from Istio 1.29.2's crd-all.gen.yaml
 * (networking.istio.io/v1), @kubernetes-models/gateway-api 2.0.0 from the Gateway API v1.5 Go
 * types (gateway.networking.k8s.io/v1, the OpenAPI the CRDs are generated from). Those validators
 * check types, enums, required fields, bounds and patterns but, like the CRD schemas themselves,
 * do not say `additionalProperties: false` (the API server prunes or, with kubectl's default
 * strict field validation, rejects unknown fields). So unknown fields are found by probing the
 * same schemas: a field the schema declares fails validation at its own path when its value is
 * replaced by one of no JSON type; a field the schema does not know passes.
 */

interface SchemaError {
  instancePath: string;
  message?: string;
}

type CrdModel = new (data: never) => { validate(): void };

const MODELS: Record<string, CrdModel> = {
  "networking.istio.io/v1 VirtualService": VirtualService,
  "networking.istio.io/v1 DestinationRule": DestinationRule,
  "gateway.networking.k8s.io/v1 HTTPRoute": HTTPRoute,
};

function modelOf(object: Record<string, unknown>): CrdModel | undefined {
  return MODELS[`${String(object.apiVersion)} ${String(object.kind)}`];
}

function schemaErrors(model: CrdModel, object: unknown): SchemaError[] {
  try {
    new model(object as never).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) throw error;
    return errors as SchemaError[];
  }
}

function pointer(path: ReadonlyArray<string | number>): string {
  return path.map((key) => `/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

/** Every object-property path in `value` (array items are walked, their indices kept). */
function propertyPaths(
  value: unknown,
  prefix: Array<string | number> = [],
): Array<Array<string | number>> {
  if (Array.isArray(value))
    return value.flatMap((item, index) => propertyPaths(item, [...prefix, index]));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, child]) => [
    [...prefix, key],
    ...propertyPaths(child, [...prefix, key]),
  ]);
}

/** A deep copy of `object` with `value` at `path` (every step but the last must exist). */
function withValueAt(
  object: unknown,
  path: ReadonlyArray<string | number>,
  value: unknown,
): Record<string, unknown> {
  const copy = structuredClone(object) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1] as string | number] = value;
  return copy;
}

/** Paths in `object` its schema declares no field for. */
function unknownFields(model: CrdModel, object: Record<string, unknown>): string[] {
  return propertyPaths(object)
    .filter((path) => {
      const at = pointer(path);
      const errors = schemaErrors(model, withValueAt(object, path, Symbol("no JSON type")));
      return !errors.some((e) => e.instancePath === at || e.instancePath.startsWith(`${at}/`));
    })
    .map(pointer);
}

/** Every problem the published schema finds in a rendered object, as `path message` lines. */
function crdProblems(object: Record<string, unknown>): string[] {
  const model = modelOf(object);
  if (!model)
    return [`no published schema for ${String(object.apiVersion)} ${String(object.kind)}`];
  const invalid = schemaErrors(model, object).map((e) => `${e.instancePath || "/"} ${e.message}`);
  return [
    ...invalid,
    ...unknownFields(model, object).map((path) => `${path} is not a field of the CRD`),
  ];
}

const FIXTURES = ["routing-k8s.yaml", "routing-k8s-variants.yaml"];
const TARGETS: RenderTarget[] = ["istio", "gateway-api"];

function routingOf(fixture: string) {
  return parseRoutingOrThrow(readFileSync(join(import.meta.dirname, "fixtures", fixture), "utf8"));
}

describe.each(FIXTURES)("rendered %s against the published CRD schemas", (fixture) => {
  it.each(TARGETS)(
    "every %s object validates, with no field the CRD does not declare",
    (target) => {
      const { objects } = renderRouting(routingOf(fixture), target);
      // What kubectl applies is the YAML text: validate the documents read back from it.
      const documents = loadAll(formatManifests(objects)) as Array<Record<string, unknown>>;
      expect(documents.map((d) => d.kind)).toEqual(
        target === "istio" ? ["VirtualService", "DestinationRule"] : ["HTTPRoute"],
      );
      for (const document of documents) {
        expect({ kind: document.kind, problems: crdProblems(document) }).toEqual({
          kind: document.kind,
          problems: [],
        });
      }
    },
  );
});

describe("weights beyond a target's bound", () => {
  const big = parseRoutingOrThrow(`kubernetes: {host: app}
versions: [{name: v1, url: "http://a:80"}, {name: v2, url: "http://b:80"}, {name: v3, url: "http://c:80"}]
routes:
  - name: exact
    match: [{headers: {x-exact: {present: true}}}]
    split: [{version: v1, weight: 9000000000}, {version: v2, weight: 1000000000}]
  - name: rounded
    split: [{version: v1, weight: 3000000001}, {version: v2, weight: 1}, {version: v3, weight: 0}]
`);

  it.each(TARGETS)(
    "are reduced to fit %s, keeping the shares, and the objects validate",
    (target) => {
      const { objects, warnings } = renderRouting(big, target);
      for (const object of objects) expect(crdProblems(object)).toEqual([]);
      const weightsOf = (rule: Record<string, unknown>): unknown[] =>
        ((rule.route ?? rule.backendRefs) as Array<{ weight?: number }>).map((r) => r.weight);
      const spec = objects[0]?.spec as Record<string, Array<Record<string, unknown>>>;
      const rules = spec.http ?? spec.rules ?? [];
      // A common divisor is exact; beyond it the shares are rounded, a non-zero weight stays >= 1.
      expect(rules.map(weightsOf)).toEqual(
        target === "istio"
          ? [
              [9, 1],
              [2147483647, 1, 0],
            ]
          : [
              [9, 1],
              [1000000, 1, 0],
            ],
      );
      expect(warnings).toContainEqual(expect.stringMatching(/^route rounded: weights above/));
      expect(warnings.filter((w) => w.startsWith("route exact"))).toEqual([]);
    },
  );
});

describe("the published CRD schemas", () => {
  const [virtualService, destinationRule] = renderRouting(
    routingOf("routing-k8s.yaml"),
    "istio",
  ).objects;
  const [httpRoute] = renderRouting(routingOf("routing-k8s.yaml"), "gateway-api").objects;

  it("reject a weight of the wrong type, an unknown enum value and a mirror percent over 100", () => {
    const vs = withValueAt(virtualService, ["spec", "http", 3, "route", 0, "weight"], "90");
    expect(crdProblems(vs)).toEqual(["/spec/http/3/route/0/weight must be integer"]);
    const route = withValueAt(
      withValueAt(httpRoute, ["spec", "rules", 1, "filters", 0, "requestMirror", "percent"], 125),
      ["spec", "rules", 3, "filters", 0, "type"],
      "RequestMirrors",
    );
    const problems = crdProblems(route);
    expect(problems).toContain("/spec/rules/1/filters/0/requestMirror/percent must be <= 100");
    expect(problems).toContainEqual(
      expect.stringMatching(
        /^\/spec\/rules\/3\/filters\/0\/type must be equal to one of the allowed/,
      ),
    );
  });

  it("find a misspelt field and a field at the wrong level, and nothing else", () => {
    const vs = load(
      formatManifests([virtualService ?? {}]).replace("mirrorPercentage:", "mirrorPercentages:"),
    ) as Record<string, unknown>;
    expect(crdProblems(vs)).toEqual([
      "/spec/http/1/mirrorPercentages is not a field of the CRD",
      "/spec/http/1/mirrorPercentages/value is not a field of the CRD",
    ]);
    const dr = withValueAt(destinationRule, ["spec", "labels"], { version: "v1" });
    expect(crdProblems(dr)).toEqual([
      "/spec/labels is not a field of the CRD",
      "/spec/labels/version is not a field of the CRD",
    ]);
  });
});
