import { parseRouting, PROXY_TOKEN_ENV, routingToDocument } from "@iter8/spec";
import type { Routing } from "@iter8/spec";
import { TRAFFIC_ERROR_CODES, TrafficError } from "./errors.js";
import type {
  MirrorSkipReason,
  ProxyStats,
  TrafficCounters,
  VersionStats,
} from "./proxy-metrics.js";

/** Per-request timeout of the admin API calls when the client is given none. */
export const PROXY_ADMIN_TIMEOUT_MS = 10_000;

/** The admin API's methods. */
export type ProxyAdminMethod = "GET" | "PUT" | "POST";

/** Why an admin API call failed, as data (callers word it for their own users). */
export type ProxyAdminFailure =
  /** No connection: `cause` is the root cause, e.g. `connect ECONNREFUSED 127.0.0.1:9901`. */
  | { reason: "unreachable"; cause: string }
  /** No answer within the client's timeout. */
  | { reason: "timeout"; timeoutMs: number }
  /** The caller's signal aborted the call. */
  | { reason: "aborted" }
  /** An answer other than 200; `body` is its text. */
  | { reason: "status"; status: number; body: string }
  /** A 200 answer that is not JSON. */
  | { reason: "not-json" }
  /** A JSON answer that is not what the proxy sends; `problem` completes `<METHOD> <url> `. */
  | { reason: "malformed"; problem: string };

/** An admin API call that failed: code `ITER8_TRAFFIC_ADMIN`, with the failure as data. */
export class ProxyAdminError extends TrafficError {
  constructor(
    readonly method: ProxyAdminMethod,
    /** The URL called, e.g. `http://127.0.0.1:9901/stats`. */
    readonly url: string,
    /** The admin API's base URL, without a trailing slash. */
    readonly base: string,
    /** The path called, e.g. `/stats/window`. */
    readonly path: string,
    readonly failure: ProxyAdminFailure,
    options?: { cause?: unknown },
  ) {
    super(
      TRAFFIC_ERROR_CODES.admin,
      describeFailure(method, url, base, path, failure),
      failure.reason === "unreachable"
        ? "start the proxy with iter8 traffic proxy and set admin: to its --admin-port"
        : failure.reason === "status" && failure.status === 401
          ? `set ${PROXY_TOKEN_ENV} (or --admin-token-file) to the token the proxy printed at start`
          : undefined,
      options,
    );
  }
}

function describeFailure(
  method: ProxyAdminMethod,
  url: string,
  base: string,
  path: string,
  failure: ProxyAdminFailure,
): string {
  switch (failure.reason) {
    case "unreachable":
      return `cannot reach the proxy's admin API at ${base}: ${failure.cause}`;
    case "timeout":
      return `the proxy's admin API at ${base} did not answer ${method} ${path} in ${failure.timeoutMs} ms`;
    case "aborted":
      return `${method} ${url} was aborted`;
    case "status":
      return `${method} ${url} answered ${failure.status}: ${failure.body.trim().slice(0, 500)}`;
    case "not-json":
      return `${method} ${url} did not answer with JSON`;
    case "malformed":
      return `${method} ${url} ${failure.problem}`;
  }
}

/** The routing in force, as `GET /routing` answers. */
export interface ProxyRoutingAnswer {
  /** 1 for the routing the proxy started with; each swap adds 1. */
  generation: number;
  routing: Routing;
}

/** A typed client of a traffic proxy's admin API; every answer is checked before it is returned. */
export interface ProxyAdminClient {
  /** The admin API's base URL, without a trailing slash. */
  readonly base: string;
  /** The routing in force and its generation (`GET /routing`). */
  readRouting(): Promise<ProxyRoutingAnswer>;
  /** The routing in force (`GET /routing`). */
  getRouting(): Promise<Routing>;
  /** Installs `routing`; resolves with its generation (`PUT /routing`). */
  putRouting(routing: Routing): Promise<number>;
  /** The cumulative counters (`GET /stats`). */
  readStats(): Promise<ProxyStats>;
  /** The counters since the previous window, and starts a new one (`POST /stats/window`). */
  takeWindow(): Promise<ProxyStats>;
}

/** Options of {@link createProxyAdminClient}. */
export interface ProxyAdminClientOptions {
  /** The proxy's admin token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Per-request timeout in milliseconds; default {@link PROXY_ADMIN_TIMEOUT_MS}. */
  timeoutMs?: number;
  /** Aborts the calls in flight (they reject with failure `aborted`). */
  signal?: AbortSignal;
}

/**
 * A client of the admin API at `adminUrl` (e.g. `http://127.0.0.1:9901`). Every failure throws
 * {@link ProxyAdminError} (`ITER8_TRAFFIC_ADMIN`): unreachable, timed out, aborted, an answer other
 * than 200, or an answer that is not the proxy's (not JSON, or the wrong shape).
 */
export function createProxyAdminClient(
  adminUrl: string,
  options: ProxyAdminClientOptions = {},
): ProxyAdminClient {
  const base = adminUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? PROXY_ADMIN_TIMEOUT_MS;
  const auth: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };

  const call = async (method: ProxyAdminMethod, path: string, body?: string): Promise<unknown> => {
    const url = `${base}${path}`;
    const fail = (failure: ProxyAdminFailure, cause?: unknown) =>
      new ProxyAdminError(method, url, base, path, failure, cause === undefined ? {} : { cause });
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, {
        method,
        signal,
        headers: body === undefined ? auth : { ...auth, "content-type": "application/json" },
        ...(body === undefined ? {} : { body }),
      });
      status = res.status;
      text = await res.text();
    } catch (error) {
      if (options.signal?.aborted) throw fail({ reason: "aborted" }, error);
      if (timeout.aborted) throw fail({ reason: "timeout", timeoutMs }, error);
      throw fail({ reason: "unreachable", cause: rootCause(error) }, error);
    }
    if (status !== 200) throw fail({ reason: "status", status, body: text });
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw fail({ reason: "not-json" }, error);
    }
  };
  const malformed = (method: ProxyAdminMethod, path: string, problem: string) =>
    new ProxyAdminError(method, `${base}${path}`, base, path, { reason: "malformed", problem });

  const readRouting = async (): Promise<ProxyRoutingAnswer> => {
    const body = await call("GET", "/routing");
    const routing = isRecord(body) ? body.routing : undefined;
    if (!isRecord(routing) || !Array.isArray(routing.versions)) {
      throw malformed(
        "GET",
        "/routing",
        "is not an iter8 traffic proxy's routing (no versions list)",
      );
    }
    const parsed = parseRouting(JSON.stringify(routing));
    if (!parsed.ok) {
      const issue = parsed.issues[0];
      throw malformed(
        "GET",
        "/routing",
        `is not an iter8 traffic proxy's routing (${issue ? `${issue.path}: ${issue.message}` : "invalid"})`,
      );
    }
    const generation = isRecord(body) && isCount(body.generation) ? body.generation : 0;
    return { generation, routing: parsed.value };
  };
  const stats = async (method: "GET" | "POST", path: string): Promise<ProxyStats> => {
    const body = await call(method, path);
    const problem = statsProblem(body);
    if (problem !== undefined) throw malformed(method, path, problem);
    return toProxyStats(body as WireStats);
  };
  return {
    base,
    readRouting,
    getRouting: async () => (await readRouting()).routing,
    async putRouting(routing) {
      const body = await call("PUT", "/routing", JSON.stringify(routingToDocument(routing)));
      if (!isRecord(body) || !isCount(body.generation)) {
        throw malformed("PUT", "/routing", "did not answer with the routing's generation");
      }
      return body.generation;
    },
    readStats: () => stats("GET", "/stats"),
    takeWindow: () => stats("POST", "/stats/window"),
  };
}

/** The root cause of a failed `fetch`, e.g. `connect ECONNREFUSED 127.0.0.1:9901`. */
function rootCause(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.message !== "") return cause.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isCount = (value: unknown): value is number =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 0;

/** Counters as they arrive: `clientAborts` is absent in answers of older proxies. */
type WireCounters = Omit<TrafficCounters, "clientAborts"> & { clientAborts?: number };

interface WireStats {
  generation?: number;
  unrouted?: number;
  versions: Record<
    string,
    {
      live: WireCounters;
      mirror: WireCounters;
      mirrorSkipped?: Partial<Record<MirrorSkipReason, number>>;
    }
  >;
}

function isCounters(value: unknown): value is WireCounters {
  return (
    isRecord(value) &&
    isCount(value.requests) &&
    isCount(value.errors) &&
    value.errors <= value.requests &&
    typeof value.latency === "string" &&
    (value.clientAborts === undefined || isCount(value.clientAborts))
  );
}

/** What is wrong with a stats answer, completing `<METHOD> <url> `; `undefined` when it is fine. */
function statsProblem(body: unknown): string | undefined {
  if (!isRecord(body) || !isRecord(body.versions)) {
    return "is not an iter8 traffic proxy's stats (no versions object)";
  }
  for (const [name, entry] of Object.entries(body.versions)) {
    if (!isRecord(entry) || !isCounters(entry.live) || !isCounters(entry.mirror)) {
      return `has malformed counters for version ${JSON.stringify(name)}`;
    }
  }
  return undefined;
}

/** A checked stats answer as `ProxyStats`; counts an older proxy does not send read as 0. */
function toProxyStats(body: WireStats): ProxyStats {
  const counters = (c: WireCounters): TrafficCounters => ({
    requests: c.requests,
    errors: c.errors,
    clientAborts: c.clientAborts ?? 0,
    latency: c.latency,
  });
  const versions = Object.create(null) as Record<string, VersionStats>;
  for (const [name, entry] of Object.entries(body.versions)) {
    const skipped = isRecord(entry.mirrorSkipped) ? entry.mirrorSkipped : {};
    const count = (reason: MirrorSkipReason) => {
      const n = skipped[reason];
      return isCount(n) ? n : 0;
    };
    versions[name] = {
      live: counters(entry.live),
      mirror: counters(entry.mirror),
      mirrorSkipped: {
        "body-too-large": count("body-too-large"),
        concurrency: count("concurrency"),
        method: count("method"),
      },
    };
  }
  return {
    generation: isCount(body.generation) ? body.generation : 0,
    unrouted: isCount(body.unrouted) ? body.unrouted : 0,
    versions,
  };
}
