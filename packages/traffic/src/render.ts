import { dump } from "js-yaml";
import type { Route, RouteMatch, Routing, RoutingVersion, StringMatch } from "@iter8/spec";
import { TrafficError } from "./errors.js";

/** Where rendered routing objects are applied. */
export type RenderTarget = "istio" | "gateway-api";

/** The Kubernetes objects for a routing, and what could not be expressed faithfully. */
export interface RenderResult {
  objects: Array<Record<string, unknown>>;
  /** One line each: a feature of the routing the target cannot express, and what was done. */
  warnings: string[];
}

const PIN_MAX_AGE = 2_592_000;
/** Bounds of a destination's weight in the CRD schemas (Istio: int32; Gateway API: maximum). */
const ISTIO_MAX_WEIGHT = 2_147_483_647;
const GATEWAY_MAX_WEIGHT = 1_000_000;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Mesh regexes (RE2 in Envoy) match the whole value; iter8's match anywhere, like RegExp.test.
function wholeValueRegex(regex: string): string {
  return `${regex.startsWith("^") ? "" : ".*"}(?:${regex.replace(/^\^/, "").replace(/\$$/, "")})${regex.endsWith("$") ? "" : ".*"}`;
}

/** A regex on the whole `Cookie` header for one cookie's predicate (undefined for "absent"). */
function cookieRegex(name: string, match: StringMatch): string | undefined {
  const head = `(^|.*;\\s*)${escapeRegex(name)}=`;
  if ("exact" in match) return `${head}${escapeRegex(match.exact)}(;.*)?$`;
  if ("prefix" in match) return `${head}${escapeRegex(match.prefix)}.*`;
  if ("regex" in match) return `${head}[^;]*(?:${match.regex})[^;]*(;.*)?$`;
  return match.present ? `${head}.*` : undefined;
}

function hostOf(routing: Routing): string {
  const host = routing.kubernetes?.host;
  if (!host) {
    throw new TrafficError(
      "ITER8_TRAFFIC_RENDER",
      "the routing has no kubernetes.host, the Service name clients call",
      "add kubernetes: {host: my-app} to routing.yaml",
    );
  }
  return host;
}

function portOf(version: RoutingVersion): number {
  const url = new URL(version.url);
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

function metadata(routing: Routing, name: string): Record<string, unknown> {
  const meta: Record<string, unknown> = { name };
  if (routing.kubernetes?.namespace) meta.namespace = routing.kubernetes.namespace;
  meta.labels = { "app.kubernetes.io/managed-by": "iter8" };
  return meta;
}

function routeLabel(route: Route, index: number): string {
  return route.name ?? `route-${index}`;
}

function greatestCommonDivisor(a: number, b: number): number {
  return b === 0 ? a : greatestCommonDivisor(b, a % b);
}

/**
 * The split's weights within the target's bound (Istio: int32; Gateway API: 1 000 000): divided
 * by their common divisor, and if still too large scaled down (a non-zero weight stays at least 1)
 * with a warning that the shares were rounded. Weights within the bound are kept as written.
 */
function fitWeights(
  weights: readonly number[],
  max: number,
  where: string,
  warnings: string[],
): number[] {
  if (Math.max(...weights) <= max) return [...weights];
  const divisor = weights.reduce(greatestCommonDivisor);
  const reduced = weights.map((w) => w / divisor);
  const largest = Math.max(...reduced);
  if (largest <= max) return reduced;
  warnings.push(
    `${where}: weights above ${max} were scaled down to fit the target; the shares are rounded`,
  );
  return reduced.map((w) => (w === 0 ? 0 : Math.max(1, Math.round((w * max) / largest))));
}

// --- Istio ------------------------------------------------------------------------------------

function istioString(match: StringMatch): Record<string, string> | undefined {
  if ("exact" in match) return { exact: match.exact };
  if ("prefix" in match) return { prefix: match.prefix };
  if ("regex" in match) return { regex: wholeValueRegex(match.regex) };
  return match.present ? { regex: ".*" } : undefined;
}

function istioMatch(entry: RouteMatch, where: string, warnings: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const headers: Record<string, unknown> = {};
  const without: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(entry.headers ?? {})) {
    const rendered = istioString(m);
    if (rendered) headers[name.toLowerCase()] = rendered;
    else without[name.toLowerCase()] = { regex: ".*" };
  }
  const cookies = Object.entries(entry.cookies ?? {});
  if (cookies.length > 0) {
    const parts = cookies.map(([name, m]) => cookieRegex(name, m));
    if (cookies.length > 1 || parts[0] === undefined) {
      warnings.push(
        `${where}: only one cookie predicate that is not "present: false" fits Istio's single cookie header match; the cookie predicates were left out`,
      );
    } else headers.cookie = { regex: parts[0] };
  }
  if (Object.keys(headers).length > 0) out.headers = headers;
  if (Object.keys(without).length > 0) out.withoutHeaders = without;
  const query: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(entry.query ?? {})) {
    const rendered = istioString(m);
    if (rendered) query[name] = rendered;
    else
      warnings.push(`${where}: Istio cannot match an absent query parameter "${name}"; left out`);
  }
  if (Object.keys(query).length > 0) out.queryParams = query;
  if (entry.path) {
    const rendered = istioString(entry.path);
    if (rendered) out.uri = rendered;
  }
  if (entry.method) {
    const rendered = istioString(entry.method);
    if (rendered) out.method = rendered;
  }
  return out;
}

function renderIstio(routing: Routing): RenderResult {
  const host = hostOf(routing);
  const warnings: string[] = [];
  const destination = (version: string) => ({ host, subset: version });
  const http: Array<Record<string, unknown>> = [];
  routing.routes.forEach((route, index) => {
    const label = routeLabel(route, index);
    const where = `route ${label}`;
    const matches = route.match.map((entry) => istioMatch(entry, where, warnings));
    const affinity = route.affinity;
    const pin = affinity?.mode === "cookie" ? affinity.name : undefined;
    if (affinity?.mode === "hash") {
      warnings.push(
        `${where}: hash affinity has no mesh equivalent across versions (Istio's consistent hash keeps a user on a pod, not on a version through a weighted split); rendered as a plain weighted split, use mode: cookie for sticky sessions`,
      );
    }
    const mirror: Record<string, unknown> = {};
    if (route.mirror.length === 1 && route.mirror[0]) {
      mirror.mirror = destination(route.mirror[0].version);
      mirror.mirrorPercentage = { value: route.mirror[0].percent };
    } else if (route.mirror.length > 1) {
      mirror.mirrors = route.mirror.map((m) => ({
        destination: destination(m.version),
        percentage: { value: m.percent },
      }));
    }
    if (pin) {
      // Users who already hold a pin go to their version, whatever the weights.
      for (const w of route.split.filter((s) => s.weight > 0)) {
        const pinned = { regex: `(^|.*;\\s*)${escapeRegex(pin)}=${escapeRegex(w.version)}(;.*)?$` };
        const base = matches.length > 0 ? matches : [{}];
        http.push({
          name: `${label}-pinned-${w.version}`,
          match: base.map((m) => ({
            ...m,
            headers: {
              ...((m.headers as Record<string, unknown> | undefined) ?? {}),
              cookie: pinned,
            },
          })),
          route: [{ destination: destination(w.version) }],
          ...mirror,
        });
      }
    }
    const entry: Record<string, unknown> = { name: label };
    if (matches.length > 0) entry.match = matches;
    const weights = fitWeights(
      route.split.map((w) => w.weight),
      ISTIO_MAX_WEIGHT,
      where,
      warnings,
    );
    entry.route = route.split.map((w, i) => {
      const out: Record<string, unknown> = {
        destination: destination(w.version),
        weight: weights[i],
      };
      if (pin) {
        out.headers = {
          response: {
            add: { "set-cookie": `${pin}=${w.version}; Path=/; Max-Age=${PIN_MAX_AGE}; HttpOnly` },
          },
        };
      }
      return out;
    });
    Object.assign(entry, mirror);
    http.push(entry);
  });
  const virtualService: Record<string, unknown> = {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: metadata(routing, host),
    spec: {
      hosts: [host],
      ...(routing.kubernetes?.gateways ? { gateways: routing.kubernetes.gateways } : {}),
      http,
    },
  };
  const destinationRule: Record<string, unknown> = {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: metadata(routing, host),
    spec: {
      host,
      subsets: routing.versions.map((v) => ({
        name: v.name,
        labels: v.labels ?? { version: v.name },
      })),
    },
  };
  return { objects: [virtualService, destinationRule], warnings };
}

// --- Gateway API ------------------------------------------------------------------------------

function gatewayString(
  match: StringMatch,
): { type: "Exact" | "RegularExpression"; value: string } | undefined {
  if ("exact" in match) return { type: "Exact", value: match.exact };
  if ("prefix" in match)
    return { type: "RegularExpression", value: `^${escapeRegex(match.prefix)}.*` };
  if ("regex" in match) return { type: "RegularExpression", value: match.regex };
  return match.present ? { type: "RegularExpression", value: ".*" } : undefined;
}

const GATEWAY_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
];

function gatewayMatch(
  entry: RouteMatch,
  where: string,
  warnings: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const headers: Array<Record<string, unknown>> = [];
  for (const [name, m] of Object.entries(entry.headers ?? {})) {
    const rendered = gatewayString(m);
    if (rendered) headers.push({ name, ...rendered });
    else warnings.push(`${where}: Gateway API cannot match an absent header "${name}"; left out`);
  }
  const cookies = Object.entries(entry.cookies ?? {});
  if (cookies.length > 0) {
    const parts = cookies.map(([name, m]) => cookieRegex(name, m));
    if (cookies.length > 1 || parts[0] === undefined) {
      warnings.push(
        `${where}: only one cookie predicate that is not "present: false" fits a single Cookie header match; the cookie predicates were left out`,
      );
    } else headers.push({ type: "RegularExpression", name: "Cookie", value: parts[0] });
  }
  if (headers.length > 0) out.headers = headers;
  const query: Array<Record<string, unknown>> = [];
  for (const [name, m] of Object.entries(entry.query ?? {})) {
    const rendered = gatewayString(m);
    if (rendered) query.push({ name, ...rendered });
    else
      warnings.push(
        `${where}: Gateway API cannot match an absent query parameter "${name}"; left out`,
      );
  }
  if (query.length > 0) out.queryParams = query;
  if (entry.path) {
    const p = entry.path;
    if ("exact" in p) out.path = { type: "Exact", value: p.exact };
    else if ("prefix" in p) out.path = { type: "PathPrefix", value: p.prefix };
    else if ("regex" in p) out.path = { type: "RegularExpression", value: p.regex };
  }
  if (entry.method) {
    const m = entry.method;
    if ("exact" in m && GATEWAY_METHODS.includes(m.exact)) out.method = m.exact;
    else
      warnings.push(
        `${where}: Gateway API matches one exact method only; the method predicate was left out`,
      );
  }
  return out;
}

/**
 * `requestMirror.percent` is an integer; a fractional percent becomes `fraction` (numerator over a
 * denominator of 100 × 10^k, k ≤ 6: exact to a millionth of a percent).
 */
function mirrorShare(
  percent: number,
): { percent: number } | { fraction: { numerator: number; denominator: number } } {
  if (Number.isInteger(percent)) return { percent };
  let scale = 10;
  while (scale < 1_000_000 && !Number.isInteger(Number((percent * scale).toFixed(9)))) scale *= 10;
  return { fraction: { numerator: Math.round(percent * scale), denominator: 100 * scale } };
}

function renderGatewayApi(routing: Routing): RenderResult {
  const host = hostOf(routing);
  const warnings: string[] = [];
  const byName = new Map(routing.versions.map((v) => [v.name, v]));
  const backend = (version: string) => {
    const v = byName.get(version);
    return { name: v?.service ?? `${host}-${version}`, port: v ? portOf(v) : 80 };
  };
  const rules: Array<Record<string, unknown>> = [];
  routing.routes.forEach((route, index) => {
    const label = routeLabel(route, index);
    const where = `route ${label}`;
    const matches = route.match.map((entry) => gatewayMatch(entry, where, warnings));
    const filters = route.mirror.map((m) => ({
      type: "RequestMirror",
      requestMirror: { backendRef: backend(m.version), ...mirrorShare(m.percent) },
    }));
    const affinity = route.affinity;
    const pin = affinity?.mode === "cookie" ? affinity.name : undefined;
    if (affinity?.mode === "hash") {
      warnings.push(
        `${where}: hash affinity has no Gateway API equivalent across versions; rendered as a plain weighted split, use mode: cookie for sticky sessions`,
      );
    }
    if (pin) {
      for (const w of route.split.filter((s) => s.weight > 0)) {
        const pinned = {
          type: "RegularExpression",
          name: "Cookie",
          value: `(^|.*;\\s*)${escapeRegex(pin)}=${escapeRegex(w.version)}(;.*)?$`,
        };
        const base = matches.length > 0 ? matches : [{}];
        rules.push({
          matches: base.map((m) => ({
            ...m,
            headers: [...((m.headers as unknown[] | undefined) ?? []), pinned],
          })),
          ...(filters.length > 0 ? { filters } : {}),
          backendRefs: [backend(w.version)],
        });
      }
    }
    const rule: Record<string, unknown> = {};
    if (matches.length > 0) rule.matches = matches;
    if (filters.length > 0) rule.filters = filters;
    const weights = fitWeights(
      route.split.map((w) => w.weight),
      GATEWAY_MAX_WEIGHT,
      where,
      warnings,
    );
    rule.backendRefs = route.split.map((w, i) => {
      const ref: Record<string, unknown> = { ...backend(w.version), weight: weights[i] };
      if (pin) {
        ref.filters = [
          {
            type: "ResponseHeaderModifier",
            responseHeaderModifier: {
              add: [
                {
                  name: "Set-Cookie",
                  value: `${pin}=${w.version}; Path=/; Max-Age=${PIN_MAX_AGE}; HttpOnly`,
                },
              ],
            },
          },
        ];
      }
      return ref;
    });
    rules.push(rule);
  });
  if (routing.routes.length > 1) {
    warnings.push(
      "Gateway API orders rules by match specificity, not by position; check that the rules' precedence matches the routing's first-match order",
    );
  }
  const gateway = routing.kubernetes?.gateway;
  const spec: Record<string, unknown> = {
    parentRefs: gateway ? [{ name: gateway }] : [{ group: "", kind: "Service", name: host }],
  };
  if (gateway) spec.hostnames = [host];
  spec.rules = rules;
  return {
    objects: [
      {
        apiVersion: "gateway.networking.k8s.io/v1",
        kind: "HTTPRoute",
        metadata: metadata(routing, host),
        spec,
      },
    ],
    warnings,
  };
}

/**
 * Renders a routing as Kubernetes objects: Istio VirtualService + DestinationRule, or a Gateway
 * API HTTPRoute. Throws `TrafficError` `ITER8_TRAFFIC_RENDER` when `kubernetes.host` is missing.
 */
export function renderRouting(routing: Routing, target: RenderTarget): RenderResult {
  return target === "istio" ? renderIstio(routing) : renderGatewayApi(routing);
}

/** The objects as one multi-document YAML text, for `kubectl apply -f -`. */
export function formatManifests(objects: ReadonlyArray<Record<string, unknown>>): string {
  return objects.map((o) => dump(o, { lineWidth: -1, noRefs: true })).join("---\n");
}
