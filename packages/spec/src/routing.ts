import { RE2JS } from "re2js";
import { z } from "zod";
import { describeValue, isMapping } from "./describe-value.js";
import { formatDuration } from "./duration.js";
import { applyRules, checkSchema, parseDocument, validateDocumentFile } from "./document.js";
import type { DocumentCheck, DocumentRule, RuleFinding } from "./document.js";
import { errorFromIssues } from "./errors.js";
import type { ParseResult } from "./errors.js";
import { formatPath } from "./path.js";
import { duration, httpUrlText } from "./schema/common.js";
import type { PathSegment } from "./path.js";
import { closestMatch } from "./suggest.js";

// --- model ------------------------------------------------------------------------------------

/** How one request attribute is compared: exactly one of the four keys. */
export type StringMatch =
  { exact: string } | { prefix: string } | { regex: string } | { present: boolean };

/** One match entry: every predicate it names must hold (AND). A route's entries are ORed. */
export interface RouteMatch {
  /** Request headers by name (case-insensitive). */
  headers?: Record<string, StringMatch>;
  /** Cookies by name (case-sensitive, from the `Cookie` header). */
  cookies?: Record<string, StringMatch>;
  /** Query parameters by name (the first value when repeated). */
  query?: Record<string, StringMatch>;
  /** The request path, without the query string. */
  path?: StringMatch;
  /** The request method (upper case, e.g. `GET`). */
  method?: StringMatch;
}

/** One version of the app behind the proxy. */
export interface RoutingVersion {
  /** Name used by routes, metrics and the `x-iter8-version` header. */
  name: string;
  /** Base URL of the version (`http://host:port`, optionally with a path prefix). */
  url: string;
  /** Kubernetes Service of this version for the Gateway API renderer (default `<host>-<name>`). */
  service?: string;
  /** Pod labels selecting this version for Istio subsets (default `{version: <name>}`). */
  labels?: Record<string, string>;
}

/** A share of a route's traffic: `weight` out of the sum of the route's weights. */
export interface WeightedVersion {
  version: string;
  /** Non-negative integer. */
  weight: number;
}

/** Copies of a share of a route's requests sent to a version, whose answers are discarded. */
export interface MirrorTarget {
  version: string;
  /** Share of requests copied, 0 to 100 (an independent draw per request). */
  percent: number;
  /** Largest request body copied; a larger body is not mirrored (and is counted). */
  maxBodyBytes: number;
  /** Time a copy may take before it is abandoned, in milliseconds. */
  timeoutMs: number;
  /** Copies in flight to this version at most; beyond it copies are skipped (and counted). */
  maxConcurrent: number;
  /** Also mirror POST, PATCH and other non-idempotent methods (off by default). */
  nonIdempotent: boolean;
}

/** How a user keeps their version. */
export interface RouteAffinity {
  /** Where the user key (hash mode) or the pin (cookie mode) is read from. */
  key: "header" | "cookie";
  /** Header or cookie name. */
  name: string;
  /**
   * `hash`: the user key is hashed onto the weights' cumulative ranges (stable across restarts);
   * `cookie`: the proxy pins each user with `Set-Cookie` and re-pins per weight change.
   */
  mode: "hash" | "cookie";
  /** Mixed into the hash so different routes or experiments assign independently. */
  salt?: string;
}

/** One route: when it matches, what it does. Routes are tried in order; the first match wins. */
export interface Route {
  /** Optional name, shown in messages and usable by `rollout.yaml`. */
  name?: string;
  /** Match entries (ORed); empty matches every request. */
  match: RouteMatch[];
  /** Weighted split over versions. */
  split: WeightedVersion[];
  /** Mirrors of this route's traffic. */
  mirror: MirrorTarget[];
  affinity?: RouteAffinity;
}

/** Kubernetes names the renderers use. */
export interface RoutingKubernetes {
  /** Host (Service name) clients call; VirtualService host and HTTPRoute hostname. */
  host: string;
  namespace?: string;
  /** Gateway API parent (Gateway) name; default none (a mesh route to the Service). */
  gateway?: string;
  /** Istio gateways the VirtualService binds to; default none (the mesh). */
  gateways?: string[];
}

/** The normalised content of `routing.yaml`. */
export interface Routing {
  versions: RoutingVersion[];
  routes: Route[];
  /** Time the whole exchange with an upstream may take (headers and body) before a 504, in ms. */
  timeoutMs: number;
  kubernetes?: RoutingKubernetes;
}

/**
 * Limits of a routing: versions (each keeps counters and connection pools in the proxy) and the
 * length of a route's regular expression.
 */
/** Environment variable iter8 commands read the traffic proxy's admin token from. */
export const PROXY_TOKEN_ENV = "ITER8_PROXY_TOKEN";

export const ROUTING_LIMITS: { readonly maxVersions: number; readonly maxRegexLength: number } =
  Object.freeze({ maxVersions: 64, maxRegexLength: 1024 });

/** Defaults of `routing.yaml`. */
export const DEFAULT_ROUTING: {
  readonly timeoutMs: number;
  readonly mirror: Readonly<Pick<MirrorTarget, "maxBodyBytes" | "timeoutMs" | "maxConcurrent">>;
} = Object.freeze({
  timeoutMs: 30_000,
  mirror: Object.freeze({ maxBodyBytes: 64 * 1024, timeoutMs: 5_000, maxConcurrent: 64 }),
});

// --- schema -----------------------------------------------------------------------------------

const MATCH_KINDS = ["exact", "prefix", "regex", "present"] as const;

/**
 * Why a route's regex cannot be used, or `undefined`. Routes match with RE2 (linear time, as
 * Envoy's and Istio's `safe_regex`), which has no backreferences or lookaround: such a regex is
 * refused here rather than at the proxy.
 */
function regexProblem(regex: string): string | undefined {
  const shown = JSON.stringify(regex.length > 60 ? `${regex.slice(0, 60)}...` : regex);
  if (regex.length > ROUTING_LIMITS.maxRegexLength) {
    return `regular expression ${shown} is ${regex.length} characters long; at most ${ROUTING_LIMITS.maxRegexLength} are allowed`;
  }
  try {
    RE2JS.compile(regex);
    return undefined;
  } catch (error) {
    const lookbehind = /\(\?<[=!]/.exec(regex);
    const reason = lookbehind
      ? `unsupported lookbehind \`${lookbehind[0]}\``
      : (error as Error).message.replace(/^error parsing regexp: /, "");
    return `invalid regular expression ${shown}: ${reason} (RE2 syntax: no backreferences or lookaround)`;
  }
}

const stringMatch = z
  .strictObject({
    exact: z.string().optional().describe("Equal to this text"),
    prefix: z.string().optional().describe("Starts with this text"),
    regex: z
      .string()
      .optional()
      .describe(
        "Matches this regular expression (RE2 syntax: no backreferences or lookaround; linear time)",
      ),
    present: z.boolean().optional().describe("true: present (any value); false: absent"),
  })
  .superRefine((value, ctx) => {
    const given = MATCH_KINDS.filter((kind) => value[kind] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message:
          given.length === 0
            ? "a predicate needs one of exact, prefix, regex or present, e.g. {exact: beta}"
            : `a predicate takes one of exact, prefix, regex or present, not ${given.join(" and ")}`,
      });
    }
    if (value.regex !== undefined) {
      const problem = regexProblem(value.regex);
      if (problem) ctx.addIssue({ code: "custom", path: ["regex"], message: problem });
    }
  })
  .describe("One of exact, prefix, regex or present");

const predicates = (what: string) =>
  z.record(z.string().min(1), stringMatch).describe(`${what} by name: predicate`);

const routeMatch = z
  .strictObject({
    headers: predicates("Request headers").optional(),
    cookies: predicates("Cookies").optional(),
    query: predicates("Query parameters").optional(),
    path: stringMatch.optional(),
    method: stringMatch.optional(),
  })
  .describe("Every predicate listed must hold (AND)");

/** A Go-syntax duration read as milliseconds (the experiment schema's). */
export const durationMs = duration;

const versionName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, {
  error: (issue) =>
    `invalid version name ${describeValue(issue.input)}: use letters, digits, ".", "_" and "-"`,
});

const httpUrl = httpUrlText("http://127.0.0.1:8081");

const version = z.strictObject({
  name: versionName.describe("Version name"),
  url: httpUrl.describe("Base URL of the version"),
  service: z.string().min(1).optional().describe("Kubernetes Service of this version"),
  labels: z.record(z.string(), z.string()).optional().describe("Pod labels of this version"),
});

const weighted = z.strictObject({
  version: z.string().describe("A version name"),
  weight: z.int().min(0).describe("Non-negative integer; shares are weight / sum of weights"),
});

const mirror = z.strictObject({
  version: z.string().describe("A version name"),
  percent: z.number().min(0).max(100).describe("Share of requests copied, 0 to 100"),
  maxBodyBytes: z
    .int()
    .min(0)
    .default(DEFAULT_ROUTING.mirror.maxBodyBytes)
    .describe("Largest request body copied (default 65536)"),
  timeout: durationMs("Time a copy may take (default 5s)").optional(),
  maxConcurrent: z
    .int()
    .min(1)
    .default(DEFAULT_ROUTING.mirror.maxConcurrent)
    .describe("Copies in flight at most (default 64)"),
  nonIdempotent: z
    .boolean()
    .default(false)
    .describe("Also mirror POST, PATCH and other non-idempotent methods"),
});

const affinity = z.strictObject({
  key: z.enum(["header", "cookie"]).describe("Where the user key or the pin is read from"),
  name: z.string().min(1).describe("Header or cookie name"),
  mode: z
    .enum(["hash", "cookie"])
    .describe("hash: stable weighted hashing; cookie: Set-Cookie pins"),
  salt: z.string().optional().describe("Mixed into the hash"),
});

const route = z.strictObject({
  name: z.string().min(1).optional().describe("Route name"),
  match: z
    .array(routeMatch)
    .default([])
    .describe("Match entries, ORed; empty matches every request"),
  split: z.array(weighted).min(1).describe("Weighted split over versions"),
  mirror: z.array(mirror).default([]).describe("Mirrors: [{version, percent}]"),
  affinity: affinity.optional(),
});

/** The zod schema of `routing.yaml` (shape only; `parseRouting` also checks references). */
export const routingSchema = z
  .strictObject({
    versions: z
      .array(version)
      .min(1)
      .max(ROUTING_LIMITS.maxVersions, {
        error: (issue) =>
          `${Array.isArray(issue.input) ? issue.input.length : "too many"} versions; a routing has at most ${ROUTING_LIMITS.maxVersions} (ROUTING_LIMITS.maxVersions)`,
      })
      .describe(`Versions of the app: [{name, url}], at most ${ROUTING_LIMITS.maxVersions}`),
    routes: z.array(route).min(1).describe("Routes in order; the first match wins"),
    timeout: durationMs(
      "Time the whole exchange with an upstream may take, headers and body (default 30s)",
    ).optional(),
    kubernetes: z
      .strictObject({
        host: z.string().min(1).describe("Host (Service name) clients call"),
        namespace: z.string().min(1).optional(),
        gateway: z.string().min(1).optional().describe("Gateway API parent Gateway"),
        gateways: z.array(z.string().min(1)).optional().describe("Istio gateways"),
      })
      .optional()
      .describe("Names for the Istio and Gateway API renderers"),
  })
  .describe("iter8 routing: versions, and routes tried in order");

/** `routing.yaml` as its schema accepted it, before normalising: what the routing rules check. */
export type RawRouting = z.output<typeof routingSchema>;

/** JSON Schema (draft 2020-12) of `routing.yaml`, for editors. */
export function routingJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(routingSchema, { io: "input", target: "draft-2020-12" });
}

// --- parsing ----------------------------------------------------------------------------------

/** Options of `parseRouting`. */
export interface RoutingParseOptions {
  /** File name to put in issues. */
  filename?: string;
}

/**
 * Parses and validates the text of `routing.yaml` (YAML or JSON) into a `Routing`, with defaults
 * applied. Problems come back as issues with a path, a message and, when known, line and column.
 */
export function parseRouting(
  text: string,
  options: RoutingParseOptions = {},
): ParseResult<Routing> {
  return parseDocument(text, checkRouting, options);
}

function checkRouting(value: unknown): DocumentCheck<Routing> {
  if (!isMapping(value)) {
    return {
      issues: [
        {
          path: [],
          message: `expected a mapping with versions: and routes:, got ${describeValue(value)}`,
        },
      ],
      warnings: [],
    };
  }
  const parsed = checkSchema(routingSchema, value);
  if (!parsed.ok) return { issues: parsed.issues, warnings: [] };
  const { issues, warnings } = applyRules(ROUTING_RULES, parsed.data);
  if (issues.length > 0) return { issues, warnings };
  return { value: normalise(parsed.data), issues: [], warnings };
}

function normalise(raw: RawRouting): Routing {
  const routing: Routing = {
    versions: raw.versions.map((v) => ({ ...v })),
    routes: raw.routes.map((r) => {
      const out: Route = {
        match: r.match as RouteMatch[],
        split: r.split,
        mirror: r.mirror.map((m) => ({
          version: m.version,
          percent: m.percent,
          maxBodyBytes: m.maxBodyBytes,
          timeoutMs: m.timeout ?? DEFAULT_ROUTING.mirror.timeoutMs,
          maxConcurrent: m.maxConcurrent,
          nonIdempotent: m.nonIdempotent,
        })),
      };
      if (r.name !== undefined) out.name = r.name;
      if (r.affinity !== undefined) {
        out.affinity = { key: r.affinity.key, name: r.affinity.name, mode: r.affinity.mode };
        if (r.affinity.salt !== undefined) out.affinity.salt = r.affinity.salt;
      }
      return out;
    }),
    timeoutMs: raw.timeout ?? DEFAULT_ROUTING.timeoutMs,
  };
  if (raw.kubernetes) routing.kubernetes = raw.kubernetes;
  return routing;
}

// --- rules across the document: names refer to versions, weights make a split, routes are reachable

/** A version name is listed once. */
export const versionNamesUnique: DocumentRule<RawRouting> = (raw) => {
  const names = raw.versions.map((v) => v.name);
  const findings: RuleFinding[] = [];
  raw.versions.forEach((v, index) => {
    if (names.indexOf(v.name) !== index) {
      findings.push({
        severity: "issue",
        path: ["versions", index, "name"],
        message: `version "${v.name}" is listed twice`,
      });
    }
  });
  return findings;
};

/** A route name is used once. */
export const routeNamesUnique: DocumentRule<RawRouting> = (raw) => {
  const seen = new Set<string>();
  const findings: RuleFinding[] = [];
  raw.routes.forEach((r, index) => {
    if (r.name === undefined) return;
    if (seen.has(r.name)) {
      findings.push({
        severity: "issue",
        path: ["routes", index, "name"],
        message: `route name "${r.name}" is used twice`,
      });
    }
    seen.add(r.name);
  });
  return findings;
};

/** Every version a split or a mirror names is a listed version. */
export const routeVersionsKnown: DocumentRule<RawRouting> = (raw) => {
  const names = raw.versions.map((v) => v.name);
  const findings: RuleFinding[] = [];
  const checkRef = (name: string, path: PathSegment[]) => {
    if (names.includes(name)) return;
    const match = closestMatch(name, names);
    findings.push({
      severity: "issue",
      path,
      message: match
        ? `unknown version "${name}"; did you mean "${match}"?`
        : `unknown version "${name}"; versions are ${names.join(", ")}`,
    });
  };
  raw.routes.forEach((r, index) => {
    r.split.forEach((w, i) => checkRef(w.version, ["routes", index, "split", i, "version"]));
    r.mirror.forEach((m, i) => checkRef(m.version, ["routes", index, "mirror", i, "version"]));
  });
  return findings;
};

/** A split names each version once. */
export const splitVersionsDistinct: DocumentRule<RawRouting> = (raw) => {
  const findings: RuleFinding[] = [];
  raw.routes.forEach((r, index) => {
    const seen = new Set<string>();
    r.split.forEach((w, i) => {
      if (seen.has(w.version)) {
        findings.push({
          severity: "issue",
          path: ["routes", index, "split", i, "version"],
          message: `version "${w.version}" appears twice in this split`,
        });
      }
      seen.add(w.version);
    });
  });
  return findings;
};

/** A split gives at least one version a positive weight. */
export const splitHasPositiveWeight: DocumentRule<RawRouting> = (raw) =>
  raw.routes.flatMap((r, index): RuleFinding[] =>
    r.split.length > 0 && r.split.every((w) => w.weight === 0)
      ? [
          {
            severity: "issue",
            path: ["routes", index, "split"],
            message: "every weight is 0; give at least one version a positive weight",
          },
        ]
      : [],
  );

/** Cookie affinity pins users with a cookie, so its key is `cookie`. */
export const cookieAffinityUsesCookieKey: DocumentRule<RawRouting> = (raw) =>
  raw.routes.flatMap((r, index): RuleFinding[] =>
    r.affinity?.mode === "cookie" && r.affinity.key !== "cookie"
      ? [
          {
            severity: "issue",
            path: ["routes", index, "affinity", "key"],
            message:
              "cookie mode pins users with a cookie: set key: cookie (name is the cookie set)",
          },
        ]
      : [],
  );

/** No route comes after one that matches every request, and one route does (warnings). */
export const routesReachable: DocumentRule<RawRouting> = (raw) => {
  const findings: RuleFinding[] = [];
  let catchAll: number | undefined;
  raw.routes.forEach((r, index) => {
    if (catchAll !== undefined) {
      findings.push({
        severity: "warning",
        path: ["routes", index],
        message: `route ${formatPath(["routes", catchAll])} matches every request, so this route is never used`,
      });
    } else if (r.match.length === 0 || r.match.some((m) => Object.keys(m).length === 0)) {
      catchAll = index;
    }
  });
  if (catchAll === undefined) {
    findings.push({
      severity: "warning",
      path: ["routes"],
      message: "no route matches every request; requests no route matches get 404",
    });
  }
  return findings;
};

/** The meaning rules of `routing.yaml`, checked in this order once its schema accepts it. */
export const ROUTING_RULES: readonly DocumentRule<RawRouting>[] = [
  versionNamesUnique,
  routeNamesUnique,
  routeVersionsKnown,
  splitVersionsDistinct,
  splitHasPositiveWeight,
  cookieAffinityUsesCookieKey,
  routesReachable,
];

/** Reads and validates a routing file, returning issues as data; throws only `ITER8_FILE_ACCESS`. */
export async function validateRoutingFile(file: string): Promise<ParseResult<Routing>> {
  return validateDocumentFile(file, "routing", parseRouting);
}

/** Reads and validates a routing file; throws `SpecError` `ITER8_SPEC_INVALID` or `ITER8_FILE_ACCESS`. */
export async function loadRouting(file: string): Promise<Routing> {
  const result = await validateRoutingFile(file);
  if (!result.ok) {
    throw errorFromIssues("ITER8_SPEC_INVALID", result.issues, file, "fix the routing file");
  }
  return result.value;
}

/** Throws `SpecError` `ITER8_SPEC_INVALID` unless `text` is a valid routing; returns it. */
export function parseRoutingOrThrow(text: string, filename = "routing"): Routing {
  const result = parseRouting(text, { filename });
  if (!result.ok) throw errorFromIssues("ITER8_SPEC_INVALID", result.issues, filename);
  return result.value;
}

/**
 * The YAML/JSON document form of a routing (durations as text, defaults written out), which
 * `parseRouting` reads back to an equal `Routing`. Used to send a routing to a proxy's admin API.
 */
export function routingToDocument(routing: Routing): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    versions: routing.versions.map((v) => ({ ...v })),
    routes: routing.routes.map((r) => {
      const out: Record<string, unknown> = {};
      if (r.name !== undefined) out.name = r.name;
      if (r.match.length > 0) out.match = r.match;
      out.split = r.split.map((w) => ({ ...w }));
      if (r.mirror.length > 0) {
        out.mirror = r.mirror.map((m) => ({
          version: m.version,
          percent: m.percent,
          maxBodyBytes: m.maxBodyBytes,
          timeout: formatDuration(m.timeoutMs),
          maxConcurrent: m.maxConcurrent,
          nonIdempotent: m.nonIdempotent,
        }));
      }
      if (r.affinity) out.affinity = { ...r.affinity };
      return out;
    }),
    timeout: formatDuration(routing.timeoutMs),
  };
  if (routing.kubernetes) doc.kubernetes = routing.kubernetes;
  return doc;
}
