import type { IncomingHttpHeaders } from "node:http";
import { RE2JS } from "re2js";
import type { Route, RouteMatch, Routing, StringMatch } from "@iter8/spec";
import { assignVersion } from "./assignment.js";
import { choosePinnedVersion, formatPin, parsePin } from "./cookie-pin.js";

/** What routing looks at in a request. */
export interface RequestFacts {
  /** Upper-case method. */
  method: string;
  /** The request target as received: path and query, e.g. `/a?b=1`. */
  url: string;
  headers: IncomingHttpHeaders;
}

/** Where one request goes, and what to tell the client. */
export interface RouteDecision {
  /** Index of the matched route in the table. */
  routeIndex: number;
  /** Name of the chosen version. */
  version: string;
  /** A `Set-Cookie` value to add to the response (cookie affinity), if any. */
  setCookie?: string;
}

/** Longest value (in UTF-16 units) a `regex` predicate tests; longer values do not match. */
export const MAX_REGEX_INPUT = 4096;

type Predicate = (value: string | undefined) => boolean;
type FactsPredicate = (facts: LazyFacts) => boolean;

/** Compiles one `StringMatch` into a test of a (possibly absent) value. */
export function compileStringMatch(match: StringMatch): Predicate {
  if ("exact" in match) {
    const exact = match.exact;
    return (value) => value === exact;
  }
  if ("prefix" in match) {
    const prefix = match.prefix;
    return (value) => value !== undefined && value.startsWith(prefix);
  }
  if ("regex" in match) {
    // RE2 matches in time linear in the input (no backtracking), and longer inputs never match:
    // a route's regex cannot stall the proxy, whatever a client sends.
    const regex = RE2JS.compile(match.regex);
    return (value) => value !== undefined && value.length <= MAX_REGEX_INPUT && regex.test(value);
  }
  const present = match.present;
  return (value) => (value !== undefined) === present;
}

// Request facts parsed on first use only: most routes never look at cookies or the query.
/** Request facts parsed on first use. */
export class LazyFacts {
  private pathValue: string | undefined;
  private queryValue: URLSearchParams | undefined;
  private cookieValue: Map<string, string> | undefined;
  constructor(readonly facts: RequestFacts) {}

  get path(): string {
    if (this.pathValue === undefined) {
      const q = this.facts.url.indexOf("?");
      this.pathValue = q === -1 ? this.facts.url : this.facts.url.slice(0, q);
    }
    return this.pathValue;
  }

  query(name: string): string | undefined {
    if (this.queryValue === undefined) {
      const q = this.facts.url.indexOf("?");
      this.queryValue = new URLSearchParams(q === -1 ? "" : this.facts.url.slice(q + 1));
    }
    return this.queryValue.get(name) ?? undefined;
  }

  header(name: string): string | undefined {
    const value = this.facts.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }

  cookie(name: string): string | undefined {
    this.cookieValue ??= parseCookies(this.facts.headers.cookie);
    return this.cookieValue.get(name);
  }
}

// Whether a path needs the slow path of `normalizeRequestTarget`: a `/` followed by `/`, `.` or
// `%` (maybe an encoded dot), or a target not starting with `/`.
function mayNeedNormalizing(target: string): boolean {
  if (target.charCodeAt(0) !== 0x2f) return true;
  for (let i = 0; i < target.length; i++) {
    const c = target.charCodeAt(i);
    if (c === 0x3f) return false; // "?": the query is left as it is
    if (c === 0x2f) {
      const n = target.charCodeAt(i + 1);
      if (n === 0x2f || n === 0x2e || n === 0x25) return true;
    }
  }
  return false;
}

/**
 * The request target routes match and the proxy forwards, normalised as Envoy does with
 * `normalize_path` and `merge_slashes`: the absolute form (`http://host/a`) becomes its path,
 * repeated slashes merge, and dot segments (`.`, `..`, also percent-encoded as `%2e`) are resolved
 * (RFC 3986 §5.2.4), never above the root. The query is kept as it is. Returns `target` itself
 * (no copy) when it is already normal, as almost every request's is.
 */
export function normalizeRequestTarget(target: string): string {
  if (!mayNeedNormalizing(target)) return target;
  let rest = target;
  if (rest.charCodeAt(0) !== 0x2f) {
    const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
    if (!scheme) return target; // "*" (OPTIONS) or something no route expects: left alone
    rest = rest.slice(scheme[0].length);
    if (rest === "" || rest.charCodeAt(0) !== 0x2f) rest = `/${rest}`;
  }
  const q = rest.indexOf("?");
  const path = q === -1 ? rest : rest.slice(0, q);
  const query = q === -1 ? "" : rest.slice(q);
  const out: string[] = [];
  const segments = path.split("/");
  // segments[0] is "" (the path starts with "/"); empty segments are merged slashes.
  for (let i = 1; i < segments.length; i++) {
    const segment = segments[i] ?? "";
    const last = i === segments.length - 1;
    const dots = dotSegment(segment);
    if (dots === 1) {
      if (last) out.push("");
    } else if (dots === 2) {
      out.pop();
      if (last) out.push("");
    } else if (segment !== "" || last) out.push(segment);
  }
  return `/${out.join("/")}${query}`;
}

/** 1 for `.`, 2 for `..` (either maybe written `%2e`), else 0. */
function dotSegment(segment: string): number {
  if (segment === ".") return 1;
  if (segment === "..") return 2;
  if (segment.length < 3) return 0;
  const plain = segment.replace(/%2e/gi, ".");
  return plain === "." ? 1 : plain === ".." ? 2 : 0;
}

/** Parses a `Cookie` header into name → value (the first of repeated names wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (name !== "" && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

function compileEntry(entry: RouteMatch): FactsPredicate {
  const tests: FactsPredicate[] = [];
  for (const [name, m] of Object.entries(entry.headers ?? {})) {
    const test = compileStringMatch(m);
    const lower = name.toLowerCase();
    tests.push((f) => test(f.header(lower)));
  }
  for (const [name, m] of Object.entries(entry.cookies ?? {})) {
    const test = compileStringMatch(m);
    tests.push((f) => test(f.cookie(name)));
  }
  for (const [name, m] of Object.entries(entry.query ?? {})) {
    const test = compileStringMatch(m);
    tests.push((f) => test(f.query(name)));
  }
  if (entry.path) {
    const test = compileStringMatch(entry.path);
    tests.push((f) => test(f.path));
  }
  if (entry.method) {
    const test = compileStringMatch(entry.method);
    tests.push((f) => test(f.facts.method));
  }
  return (f) => tests.every((t) => t(f));
}

/** One route, ready to match and choose. */
export interface CompiledRoute {
  route: Route;
  /** True when the route has no `match`: it takes every request without looking at it. */
  matchesAll: boolean;
  matches: (facts: LazyFacts) => boolean;
  /** The decision for each version (by index), made once: most requests need no other. */
  decisions: readonly Readonly<RouteDecision>[];
  versions: string[];
  weights: number[];
  /** Cumulative weights, for the random draw. */
  cumulative: number[];
  total: number;
}

/** A routing compiled for fast matching. Immutable: a swap replaces the whole table. */
export interface RouteTable {
  routing: Routing;
  routes: CompiledRoute[];
  /** Increases by one with every table a proxy installs. */
  generation: number;
}

/** Compiles a validated routing into a route table. */
export function compileRouteTable(routing: Routing, generation = 0): RouteTable {
  const routes = routing.routes.map((route, routeIndex): CompiledRoute => {
    const entries = route.match.map(compileEntry);
    const weights = route.split.map((w) => w.weight);
    let sum = 0;
    const cumulative = weights.map((w) => (sum += w));
    return {
      route,
      matchesAll: entries.length === 0,
      matches: entries.length === 0 ? () => true : (f) => entries.some((e) => e(f)),
      decisions: route.split.map((w) => Object.freeze({ routeIndex, version: w.version })),
      versions: route.split.map((w) => w.version),
      weights,
      cumulative,
      total: sum,
    };
  });
  return { routing, routes, generation };
}

/** Draws a version index by weight with `random()` in [0, 1). */
export function drawWeighted(route: CompiledRoute, random: () => number = Math.random): number {
  const point = random() * route.total;
  for (let i = 0; i < route.cumulative.length; i++) {
    if (point < (route.cumulative[i] ?? 0)) return i;
  }
  return route.cumulative.length - 1;
}

/**
 * Picks the route and version for a request: the first matching route; then affinity (hash of the
 * user key, or the pin cookie), else a weighted draw. `undefined` when no route matches.
 */
export function routeRequest(
  table: RouteTable,
  facts: RequestFacts,
  random: () => number = Math.random,
): Readonly<RouteDecision> | undefined {
  // Parsed facts are made only for a route that looks at the request.
  let lazy: LazyFacts | undefined;
  for (let routeIndex = 0; routeIndex < table.routes.length; routeIndex++) {
    const compiled = table.routes[routeIndex];
    if (!compiled) continue;
    if (!compiled.matchesAll && !compiled.matches((lazy ??= new LazyFacts(facts)))) continue;
    const affinity = compiled.route.affinity;
    if (affinity?.mode === "hash") {
      lazy ??= new LazyFacts(facts);
      const key =
        affinity.key === "header"
          ? lazy.header(affinity.name.toLowerCase())
          : lazy.cookie(affinity.name);
      if (key !== undefined && key !== "") {
        const index = assignVersion(key, compiled.weights, affinity.salt);
        return { routeIndex, version: compiled.versions[index] ?? "" };
      }
    } else if (affinity?.mode === "cookie") {
      lazy ??= new LazyFacts(facts);
      const pin = parsePin(lazy.cookie(affinity.name));
      const choice = choosePinnedVersion(pin, compiled.versions, compiled.weights, random);
      const decision: RouteDecision = { routeIndex, version: choice.version };
      if (choice.changed) {
        decision.setCookie = `${affinity.name}=${formatPin(choice.version, compiled.versions, compiled.weights)}; Path=/; Max-Age=2592000; HttpOnly; SameSite=Lax`;
      }
      return decision;
    }
    const index = compiled.decisions.length === 1 ? 0 : drawWeighted(compiled, random);
    return compiled.decisions[index] ?? { routeIndex, version: "" };
  }
  return undefined;
}
