import { z } from "zod";

/*
 * A minimal structural check of rendered objects, written by hand from the field names, types,
 * enums and required fields of the published CRD schemas (Istio networking.istio.io/v1
 * VirtualService and DestinationRule from istio/api kubernetes/customresourcedefinitions.gen.yaml;
 * Gateway API gateway.networking.k8s.io/v1 HTTPRoute from kubernetes-sigs/gateway-api
 * config/crd/standard). It covers only the fields the renderers emit, and rejects unknown ones
 * (strict objects), so a misspelt or misplaced field fails. It is not the full OpenAPI schema:
 * the real CRDs could not be fetched offline, and CEL rules (x-kubernetes-validations) are not run.
 */

const metadata = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/),
  namespace: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

// Istio StringMatch is a oneof: exact | prefix | regex.
const istioStringMatch = z.union([
  z.strictObject({ exact: z.string() }),
  z.strictObject({ prefix: z.string() }),
  z.strictObject({ regex: z.string() }),
]);

const istioDestination = z.strictObject({
  host: z.string().min(1),
  subset: z.string().optional(),
  port: z.strictObject({ number: z.int().min(0).max(4294967295) }).optional(),
});

const istioPercent = z.strictObject({ value: z.number().min(0).max(100) });

const istioHeaderOperations = z.strictObject({
  set: z.record(z.string(), z.string()).optional(),
  add: z.record(z.string(), z.string()).optional(),
  remove: z.array(z.string()).optional(),
});

const istioHttpRoute = z.strictObject({
  name: z.string().optional(),
  match: z
    .array(
      z.strictObject({
        name: z.string().optional(),
        uri: istioStringMatch.optional(),
        method: istioStringMatch.optional(),
        headers: z.record(z.string(), istioStringMatch).optional(),
        withoutHeaders: z.record(z.string(), istioStringMatch).optional(),
        queryParams: z.record(z.string(), istioStringMatch).optional(),
      }),
    )
    .optional(),
  route: z
    .array(
      z.strictObject({
        destination: istioDestination,
        weight: z.int().min(0).optional(),
        headers: z
          .strictObject({
            request: istioHeaderOperations.optional(),
            response: istioHeaderOperations.optional(),
          })
          .optional(),
      }),
    )
    .optional(),
  mirror: istioDestination.optional(),
  mirrorPercentage: istioPercent.optional(),
  mirrors: z
    .array(z.strictObject({ destination: istioDestination, percentage: istioPercent.optional() }))
    .optional(),
});

const virtualService = z.strictObject({
  apiVersion: z.literal("networking.istio.io/v1"),
  kind: z.literal("VirtualService"),
  metadata,
  spec: z.strictObject({
    hosts: z.array(z.string()).min(1),
    gateways: z.array(z.string()).optional(),
    http: z.array(istioHttpRoute),
  }),
});

const destinationRule = z.strictObject({
  apiVersion: z.literal("networking.istio.io/v1"),
  kind: z.literal("DestinationRule"),
  metadata,
  spec: z.strictObject({
    host: z.string().min(1),
    subsets: z
      .array(z.strictObject({ name: z.string().min(1), labels: z.record(z.string(), z.string()) }))
      .optional(),
  }),
});

const gatewayStringMatch = (max: number) =>
  z.strictObject({
    type: z.enum(["Exact", "RegularExpression"]).optional(),
    name: z.string().min(1).max(256),
    value: z.string().max(max),
  });

const backendRef = z.strictObject({
  group: z.string().optional(),
  kind: z.string().optional(),
  name: z.string().min(1).max(253),
  namespace: z.string().optional(),
  port: z.int().min(1).max(65535).optional(),
});

const headerModifier = z.strictObject({
  set: z
    .array(z.strictObject({ name: z.string(), value: z.string() }))
    .max(16)
    .optional(),
  add: z
    .array(z.strictObject({ name: z.string(), value: z.string() }))
    .max(16)
    .optional(),
  remove: z.array(z.string()).max(16).optional(),
});

const httpRouteFilter = z.union([
  z.strictObject({
    type: z.literal("RequestMirror"),
    requestMirror: z.strictObject({
      backendRef,
      percent: z.int().min(0).max(100).optional(),
    }),
  }),
  z.strictObject({
    type: z.literal("ResponseHeaderModifier"),
    responseHeaderModifier: headerModifier,
  }),
  z.strictObject({
    type: z.literal("RequestHeaderModifier"),
    requestHeaderModifier: headerModifier,
  }),
]);

const httpRoute = z.strictObject({
  apiVersion: z.literal("gateway.networking.k8s.io/v1"),
  kind: z.literal("HTTPRoute"),
  metadata,
  spec: z.strictObject({
    parentRefs: z
      .array(
        z.strictObject({
          group: z.string().optional(),
          kind: z.string().optional(),
          namespace: z.string().optional(),
          name: z.string().min(1),
          sectionName: z.string().optional(),
          port: z.int().optional(),
        }),
      )
      .max(32)
      .optional(),
    hostnames: z.array(z.string()).max(16).optional(),
    rules: z
      .array(
        z.strictObject({
          matches: z
            .array(
              z.strictObject({
                path: z
                  .strictObject({
                    type: z.enum(["Exact", "PathPrefix", "RegularExpression"]),
                    value: z.string().max(1024),
                  })
                  .optional(),
                headers: z.array(gatewayStringMatch(4096)).max(16).optional(),
                queryParams: z.array(gatewayStringMatch(1024)).max(16).optional(),
                method: z
                  .enum([
                    "GET",
                    "HEAD",
                    "POST",
                    "PUT",
                    "DELETE",
                    "CONNECT",
                    "OPTIONS",
                    "TRACE",
                    "PATCH",
                  ])
                  .optional(),
              }),
            )
            .max(64)
            .optional(),
          filters: z.array(httpRouteFilter).max(16).optional(),
          backendRefs: z
            .array(
              backendRef.extend({
                weight: z.int().min(0).max(1_000_000).optional(),
                filters: z.array(httpRouteFilter).optional(),
              }),
            )
            .max(16)
            .optional(),
        }),
      )
      .max(16),
  }),
});

const BY_KIND: Record<string, z.ZodType> = {
  VirtualService: virtualService,
  DestinationRule: destinationRule,
  HTTPRoute: httpRoute,
};

/**
 * Checks a rendered object against a minimal structural schema of its CRD (see the note at the top
 * of this file); returns the problems as `path: message` lines, empty when it passes.
 */
export function checkRenderedObject(object: Record<string, unknown>): string[] {
  const schema = BY_KIND[String(object.kind)];
  if (!schema) return [`kind ${String(object.kind)} is not one iter8 renders`];
  const result = schema.safeParse(object);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}
