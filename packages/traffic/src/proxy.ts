import { watch } from "node:fs";
import { readFile } from "node:fs/promises";
import type { FSWatcher } from "node:fs";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";
import { basename, dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { dump } from "js-yaml";
import type { ResponseHeadText } from "@iter8/http1";
import {
  formatDuration,
  parseRouting,
  routingToDocument,
  validateRoutingFile,
  writeFileAtomic,
} from "@iter8/spec";
import type { MirrorTarget, Routing, SpecIssue } from "@iter8/spec";
import { AdminGuard, checkAdminToken, generateAdminToken } from "./admin-guard.js";
import { TrafficError } from "./errors.js";
import { ProxyMetrics } from "./proxy-metrics.js";
import type { ProxyStats } from "./proxy-metrics.js";
import { compileRouteTable, normalizeRequestTarget, routeRequest } from "./route-table.js";
import type { RequestFacts, RouteTable } from "./route-table.js";
import { DeadlineQueue } from "./deadlines.js";
import { ClientServer } from "./downstream.js";
import type { ClientExchange } from "./downstream.js";
import { UpstreamPool } from "./upstream-pool.js";
import type { UpstreamExchange, UpstreamRequest } from "./upstream-pool.js";

/** Something the proxy wants its owner to know (the library never prints). */
export type ProxyEvent =
  | { type: "routing-swapped"; generation: number; source: "api" | "file" | "call" }
  | { type: "routing-rejected"; source: "api" | "file"; issues: SpecIssue[] }
  /** A swap through the admin API (or `setRouting`) was written back to the watched file. */
  | { type: "routing-written"; generation: number; file: string }
  /** Writing a swap back to the watched file failed; the proxy serves the new routing anyway. */
  | { type: "routing-write-failed"; generation: number; file: string; message: string };

/** Options of `startTrafficProxy`. */
export interface TrafficProxyOptions {
  /** The routing to start with. */
  routing: Routing;
  /** Port for client traffic (0: ephemeral). Default 8080. */
  port?: number;
  /** Address for client traffic. Default 127.0.0.1. */
  host?: string;
  /** Port of the admin API (`/metrics`, `/routing`, `/stats`); 0: ephemeral. Default 9901. */
  adminPort?: number;
  /** Address of the admin API. Default 127.0.0.1. */
  adminHost?: string;
  /**
   * More names (without port) the admin API answers to in `Host`, besides 127.0.0.1, localhost,
   * [::1] and the bound address: e.g. the machine's name when `adminHost` is 0.0.0.0.
   */
  adminHostnames?: readonly string[];
  /**
   * Watch this routing file and swap to its content whenever it changes and is valid. The file
   * stays the truth: a routing swapped in through the admin API (a rollout's step) or
   * `setRouting` is written back to it atomically (comments in it are not kept).
   */
  watchFile?: string;
  /** Connections per version at most (keep-alive pool). Default 256. */
  connectionsPerVersion?: number;
  /**
   * The admin API's bearer token (every admin request but `GET /healthz` must send
   * `Authorization: Bearer <token>`). Default: 32 random bytes, base64url, read back from
   * `TrafficProxy.adminToken`.
   */
  adminToken?: string;
  /** Told about routing swaps and refused routings. */
  onEvent?: (event: ProxyEvent) => void;
}

/** A running proxy. */
export interface TrafficProxy {
  /** Base URL clients call, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Base URL of the admin API. */
  adminUrl: string;
  /** The token admin API clients send as `Authorization: Bearer <token>`. */
  readonly adminToken: string;
  /** The routing in force. */
  readonly routing: Routing;
  /** Generation of the route table in force (starts at 1, +1 per swap). */
  readonly generation: number;
  /** Installs a new routing atomically; requests already routed finish on the old one. */
  setRouting(routing: Routing): number;
  /** Cumulative counters. */
  stats(): ProxyStats;
  /** Counters since the previous call, then starts a new window. */
  takeWindow(): ProxyStats;
  /**
   * What the proxy holds for versions (counters) and upstreams (connection pools): a swap frees
   * what it retires once its in-flight requests finish. For tests and diagnostics.
   */
  retained(): RetainedResources;
  /** Stops listening, lets in-flight requests finish (up to 5 s), closes upstream pools. */
  close(): Promise<void>;
}

/** Counts of what a proxy keeps per version and per upstream (see `TrafficProxy.retained`). */
export interface RetainedResources {
  /** Versions whose counters are kept (those routed, and retired ones with requests in flight). */
  versions: number;
  /** Connection pools to versions, live and mirror. */
  pools: number;
}

/** Methods mirrored without opting in (RFC 9110 §9.2.2 idempotent methods). */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "OPTIONS",
  "TRACE",
  "PUT",
  "DELETE",
]);

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
]);

/** The hop-by-hop names by length, to match a header line's name without making its string. */
const HOP_BY_HOP_BY_LENGTH: string[][] = [];
for (const name of HOP_BY_HOP) (HOP_BY_HOP_BY_LENGTH[name.length] ??= []).push(name);

const MAX_ADMIN_BODY = 1024 * 1024;
/** Node's timers hold at most 2^31 - 1 ms; a longer routing timeout waits that long. */
const MAX_TIMER_MS = 2_147_483_647;

interface Upstream {
  origin: string;
  /** `host[:port]` of the origin, the Host of requests that came without one. */
  host: string;
  basePath: string;
  pool: UpstreamPool;
  /** Set when a swap left no version on this upstream: its pool is closing. */
  retired: boolean;
}

/** A version of one installed routing: its pools and what it has in flight. */
interface VersionState {
  name: string;
  /** The header line that names the version in its answers. */
  versionLine: string;
  upstream: Upstream;
  mirror: Upstream;
  /** Live requests and mirror copies in flight. */
  inFlight: number;
  mirrorsInFlight: number;
  /** Set when a swap installed a routing without this version. */
  retired: boolean;
}

/** The tokens of a `Connection` value (lower case, trimmed) that name headers, or undefined. */
function namedByConnection(value: string, named: string[] | undefined): string[] | undefined {
  let out = named;
  for (const part of value.includes(",") ? value.split(",") : [value]) {
    const token = part.trim().toLowerCase();
    // `keep-alive`, the usual value, names a header that is left out already.
    if (token === "" || HOP_BY_HOP.has(token)) continue;
    (out ??= []).push(token);
  }
  return out;
}

/**
 * Whether `name` (lower case) is forwarded: not hop-by-hop and not named by the message's
 * `Connection` header. Compared with the hop-by-hop names of its length: a fresh string's hash
 * costs more than comparing it with the one or two names it could be.
 */
function isForwarded(name: string, named: string[] | undefined): boolean {
  const hopByHop = name.length < 32 ? HOP_BY_HOP_BY_LENGTH[name.length] : undefined;
  if (hopByHop !== undefined && hopByHop.includes(name)) return false;
  return named === undefined || !named.includes(name);
}

/**
 * A request's headers (a flat list, lower-case names) without hop-by-hop ones and those its
 * `Connection` names; `except` names one more header to leave out (one the caller sets itself).
 */
function forwardHeaderList(list: string[], except?: string): string[] {
  let named: string[] | undefined;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] === "connection") named = namedByConnection(list[i + 1] as string, named);
  }
  const out: string[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i] as string;
    if (name === except || !isForwarded(name, named)) continue;
    out.push(name, list[i + 1] as string);
  }
  return out;
}

/**
 * The head of a request to an upstream: the request line, `headers` (a flat list, hop-by-hop ones
 * already left out), `host` when they have none, and the framing of a chunked body.
 */
function requestHead(
  method: string,
  path: string,
  headers: string[],
  host: string,
  body: UpstreamRequest["body"],
): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let hasHost = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (name === "host") hasHost = true;
    head += `${name}: ${headers[i + 1] as string}\r\n`;
  }
  if (!hasHost) head += `host: ${host}\r\n`;
  if (body === "chunked") head += "transfer-encoding: chunked\r\n";
  return `${head}\r\n`;
}

/** True when `text[start, end)` is the lower-case `name`, ignoring ASCII case. */
function textIs(text: string, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i++) {
    let code = text.charCodeAt(start + i);
    if (code >= 65 && code <= 90) code |= 0x20;
    if (code !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** Adds the names a `Connection` value in `text[start, end)` lists; `keep-alive` and `close` list none. */
function connectionNamed(
  text: string,
  start: number,
  end: number,
  named: string[] | undefined,
): string[] | undefined {
  let from = start;
  while (from < end && (text.charCodeAt(from) === 32 || text.charCodeAt(from) === 9)) from++;
  let to = end;
  while (to > from && (text.charCodeAt(to - 1) === 32 || text.charCodeAt(to - 1) === 9)) to--;
  if (textIs(text, from, to, "keep-alive") || textIs(text, from, to, "close")) return named;
  return namedByConnection(text.slice(from, to), named);
}

/** Whether the header named `text[start, end)` is left out of a forwarded answer. */
function answerDrops(
  text: string,
  start: number,
  end: number,
  named: string[] | undefined,
  chunked: boolean,
): boolean {
  const length = end - start;
  const hopByHop = length < 32 ? HOP_BY_HOP_BY_LENGTH[length] : undefined;
  if (hopByHop !== undefined && hopByHop.some((name) => textIs(text, start, end, name)))
    return true;
  if (chunked && textIs(text, start, end, "content-length")) return true;
  return named !== undefined && named.some((name) => textIs(text, start, end, name));
}

/**
 * Writes an upstream answer's head to the client, then `extra` (header lines of the proxy's own).
 * Hop-by-hop headers and those the answer's `Connection` names are left out, and content-length
 * too when the answer was chunked (the proxy re-frames it). The rest go as the upstream sent
 * them: runs of forwarded lines are slices of the head's text, no string made per header.
 */
function writeAnswerHead(req: ClientExchange, head: ResponseHeadText, extra: string): void {
  const { text, lines, count, chunked } = head;
  let named: string[] | undefined;
  for (let i = 0; i < 3 * count; i += 3) {
    const colon = lines[i + 1] as number;
    if (textIs(text, lines[i] as number, colon, "connection")) {
      named = connectionNamed(text, colon + 1, lines[i + 2] as number, named);
    }
  }
  let out = "";
  // Where the current run of forwarded lines starts, or -1.
  let run = -1;
  for (let i = 0; i < 3 * count; i += 3) {
    const start = lines[i] as number;
    if (answerDrops(text, start, lines[i + 1] as number, named, chunked)) {
      if (run >= 0) out += text.slice(run, start);
      run = -1;
    } else if (run < 0) run = start;
  }
  if (run >= 0) out += text.slice(run, (lines[3 * count - 1] as number) + 2);
  // The body is framed by content-length when one is forwarded; else the client side frames it.
  const length =
    head.contentLength >= 0 &&
    !chunked &&
    (named === undefined || !named.includes("content-length"));
  req.writeHeadLines(head.status, out + extra, length);
}

/** A request's routing facts: its headers object is made only when a route looks at them. */
class ExchangeFacts implements RequestFacts {
  constructor(
    readonly method: string,
    readonly url: string,
    private readonly exchange: ClientExchange,
  ) {}

  get headers(): IncomingHttpHeaders {
    return this.exchange.headers;
  }
}

/** A header's value in a flat list (lower-case names), repeats joined with ", "; or undefined. */
function headerValue(list: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < list.length; i += 2) {
    if (list[i] !== name) continue;
    const next = list[i + 1] as string;
    value = value === undefined ? next : `${value}, ${next}`;
  }
  return value;
}

/** `host:port` → `host-shadow:port` (Envoy's and Istio's convention for mirrored requests). */
export function shadowHost(host: string | undefined): string {
  if (!host) return "shadow";
  const bracket = host.lastIndexOf("]");
  const colon = host.lastIndexOf(":");
  if (colon > bracket) return `${host.slice(0, colon)}-shadow${host.slice(colon)}`;
  return `${host}-shadow`;
}

function tooLate(version: string, upstream: Upstream, timeoutMs: number): string {
  return `version ${version} (${upstream.origin}) did not answer within ${formatDuration(timeoutMs)}`;
}

function errorBody(ex: ClientExchange, status: number, version: string, text: string): void {
  if (ex.headersSent) {
    ex.destroy();
    return;
  }
  const body = `iter8 proxy: ${text}\n`;
  ex.writeHead(status, [
    "content-type",
    "text/plain; charset=utf-8",
    "content-length",
    String(Buffer.byteLength(body)),
    "x-iter8-version",
    version,
  ]);
  ex.end(body);
}

/**
 * Starts the traffic proxy: client traffic on `port`, routed by the routing's first matching
 * route (weighted split, segments, affinity, mirrors) to the versions' upstream pools; the admin
 * API on `adminPort`. Throws `TrafficError` `ITER8_TRAFFIC_LISTEN` when a port cannot be bound.
 */
export async function startTrafficProxy(options: TrafficProxyOptions): Promise<TrafficProxy> {
  const adminToken =
    options.adminToken === undefined
      ? generateAdminToken()
      : checkAdminToken(options.adminToken, "adminToken");
  const guard = new AdminGuard(adminToken);
  const metrics = new ProxyMetrics();
  const upstreams = new Map<string, Upstream>();
  const mirrorUpstreams = new Map<string, Upstream>();
  const connections = options.connectionsPerVersion ?? 256;
  let table: RouteTable = compileRouteTable(options.routing, 1);
  let versions = new Map<string, VersionState>();
  let closing = false;
  // One queue per timeout in use: the live routing's, each mirror target's, and an old routing's
  // while its requests finish.
  const deadlineQueues = new Map<number, DeadlineQueue>();
  const clock = () => performance.now();
  const deadlines = (timeoutMs: number): DeadlineQueue => {
    const ms = Math.min(timeoutMs, MAX_TIMER_MS);
    let queue = deadlineQueues.get(ms);
    if (queue === undefined) {
      queue = new DeadlineQueue(ms, clock);
      deadlineQueues.set(ms, queue);
    }
    return queue;
  };
  let liveDeadlines = deadlines(options.routing.timeoutMs);

  const upstreamFor = (map: Map<string, Upstream>, key: string, url: URL, mirror: boolean) => {
    let upstream = map.get(key);
    if (!upstream) {
      upstream = {
        origin: url.origin,
        host: url.host,
        basePath: url.pathname === "/" ? "" : url.pathname.replace(/\/$/, ""),
        pool: new UpstreamPool(url, { connections: mirror ? 64 : connections }),
        retired: false,
      };
      map.set(key, upstream);
    }
    return upstream;
  };

  // A retired version's counters go once its last request in flight has finished (and it was
  // not routed again meanwhile), so they count every request the old tables sent to it.
  const release = (state: VersionState): void => {
    if (state.retired && state.inFlight === 0 && state.mirrorsInFlight === 0) {
      if (!versions.has(state.name)) metrics.dropVersion(state.name);
    }
  };

  // Closes the pools no version of the new routing uses. Requests are dispatched to a pool in the
  // same tick they are routed, so an old table's requests are already queued: `close` lets them
  // finish. Mirror copies go out later (after the request body); a retired mirror pool takes none.
  const retirePools = (map: Map<string, Upstream>, keep: Set<string>): void => {
    for (const [key, upstream] of map) {
      if (keep.has(key)) continue;
      map.delete(key);
      upstream.retired = true;
      upstream.pool.close().catch(() => undefined);
    }
  };

  const install = (routing: Routing, generation: number): void => {
    const next = compileRouteTable(routing, generation);
    const live = new Map<string, VersionState>();
    const keys = new Set<string>();
    for (const v of routing.versions) {
      const url = new URL(v.url);
      const key = `${url.origin}${url.pathname}`;
      keys.add(key);
      const previous = versions.get(v.name);
      const upstream = upstreamFor(upstreams, key, url, false);
      const mirror = upstreamFor(mirrorUpstreams, key, url, true);
      live.set(
        v.name,
        previous && previous.upstream === upstream && previous.mirror === mirror
          ? previous
          : {
              name: v.name,
              versionLine: `x-iter8-version: ${v.name}\r\n`,
              upstream,
              mirror,
              inFlight: 0,
              mirrorsInFlight: 0,
              retired: false,
            },
      );
      metrics.ensureVersion(v.name);
    }
    const old = versions;
    versions = live;
    table = next;
    liveDeadlines = deadlines(routing.timeoutMs);
    for (const [ms, queue] of deadlineQueues) {
      if (queue.empty && queue !== liveDeadlines) deadlineQueues.delete(ms);
    }
    for (const state of old.values()) {
      if (live.get(state.name) === state) continue;
      state.retired = true;
      release(state);
    }
    retirePools(upstreams, keys);
    retirePools(mirrorUpstreams, keys);
  };
  install(options.routing, 1);

  const sendMirror = (
    target: MirrorTarget,
    req: ClientExchange,
    path: string,
    body: Buffer | null,
    states: Map<string, VersionState>,
  ): void => {
    const state = states.get(target.version);
    if (!state || closing || state.mirror.retired) return;
    if (state.mirrorsInFlight >= target.maxConcurrent) {
      metrics.skipMirror(target.version, "concurrency");
      return;
    }
    state.mirrorsInFlight++;
    const headers = forwardHeaderList(req.head.headers, "host");
    headers.push("host", shadowHost(req.headers.host), "x-iter8-mirror", "1");
    if (body) {
      const at = headers.indexOf("content-length");
      if (at >= 0 && at % 2 === 0) headers.splice(at, 2);
      headers.push("content-length", String(body.length));
    }
    const start = performance.now();
    let ended = false;
    const queue = deadlines(target.timeoutMs);
    const done = (error: boolean) => {
      if (ended) return;
      ended = true;
      queue.cancel(timer);
      state.mirrorsInFlight--;
      metrics.record(target.version, "mirror", error, (performance.now() - start) * 1000);
      release(state);
    };
    let status = 0;
    const method = req.head.method;
    const exchange = state.mirror.pool.request(
      {
        head: requestHead(
          method,
          state.mirror.basePath + path,
          headers,
          state.mirror.host,
          body ? "length" : "none",
        ),
        headOnly: method === "HEAD",
        body: body ? "length" : "none",
        retryable: !body && IDEMPOTENT_METHODS.has(method),
      },
      {
        onHead: (head) => (status = head.status),
        onBody: () => undefined,
        onEnd: () => done(status >= 500),
        onError: () => done(true),
      },
    );
    if (body) {
      exchange.write(body);
      exchange.end();
    }
    const timer = queue.add(start, () => {
      exchange.abort();
      done(true);
    });
  };

  const handle = (req: ClientExchange): void => {
    const start = performance.now();
    const current = table;
    const states = versions;
    const timeouts = liveDeadlines;
    const method = req.head.method;
    // Routed and forwarded on the normalised target (dot segments resolved, slashes merged,
    // absolute-form reduced to its path), so `/x/../beta` cannot slip past a `/beta` route.
    const target = normalizeRequestTarget(req.head.target);
    const decision = routeRequest(current, new ExchangeFacts(method, target, req));
    if (!decision) {
      metrics.recordUnrouted();
      const body = `iter8 proxy: no route matches ${method} ${target}\n`;
      req.writeHead(404, [
        "content-type",
        "text/plain; charset=utf-8",
        "content-length",
        String(Buffer.byteLength(body)),
      ]);
      req.end(body);
      return;
    }
    const version = decision.version;
    const state = states.get(version);
    if (!state) {
      errorBody(req, 502, version, `version ${version} has no upstream`);
      return;
    }
    const upstream = state.upstream;
    state.inFlight++;
    let finished = false;
    // Each request is counted once: answered (an error when 5xx or failed), or abandoned by its
    // client (apart, so hanging up cannot raise a version's error rate).
    const finish = (error: boolean, clientAbort = false) => {
      if (finished) return;
      finished = true;
      timeouts.cancel(timer);
      if (clientAbort) metrics.recordClientAbort(version);
      else metrics.record(version, "live", error, (performance.now() - start) * 1000);
      state.inFlight--;
      release(state);
    };

    // Mirrors: an independent draw per target; copies go out once the body is fully read.
    const mirrors = current.routes[decision.routeIndex]?.route.mirror;
    let chosen: MirrorTarget[] | undefined;
    let cap = 0;
    if (mirrors !== undefined && mirrors.length > 0) {
      chosen = [];
      for (const mirrorTarget of mirrors) {
        if (Math.random() * 100 >= mirrorTarget.percent) continue;
        if (!mirrorTarget.nonIdempotent && !IDEMPOTENT_METHODS.has(method)) {
          metrics.skipMirror(mirrorTarget.version, "method");
          continue;
        }
        chosen.push(mirrorTarget);
        cap = Math.max(cap, mirrorTarget.maxBodyBytes);
      }
    }
    const body = req.head.body;
    // Copies of the request body for the mirrors, up to the largest cap among them.
    let copies: Buffer[] | undefined;
    let copied = 0;
    if (chosen !== undefined && chosen.length > 0 && body === "none") {
      for (const mirrorTarget of chosen) sendMirror(mirrorTarget, req, target, null, states);
      chosen = undefined;
    } else if (chosen !== undefined && chosen.length > 0) copies = [];

    const remote = req.remoteAddress;
    const headers = forwardHeaderList(req.head.headers, remote ? "x-forwarded-for" : undefined);
    if (remote) {
      const prior = headerValue(req.head.headers, "x-forwarded-for");
      headers.push("x-forwarded-for", prior ? `${prior}, ${remote}` : remote);
    }
    let status = 0;
    // `timeout` bounds the whole exchange, however the upstream stalls it (endless 1xx answers,
    // an endless body): a 504 while no answer has started, else the client's connection is cut.
    const timer = timeouts.add(start, () => {
      finish(true);
      exchange.abort();
      if (!req.destroyed) errorBody(req, 504, version, tooLate(version, upstream, timeouts.ms));
    });
    // A client that goes away before the answer is complete ends the upstream exchange too.
    req.onAbort = () => {
      finish(false, true);
      exchange.abort();
    };
    req.onDrain = () => exchange.resume();
    // The answer's chunks go straight to the client's response, pausing the upstream while the
    // client's socket is full.
    const exchange: UpstreamExchange = upstream.pool.request(
      {
        head: requestHead(method, upstream.basePath + target, headers, upstream.host, body),
        headOnly: method === "HEAD",
        body,
        // Sent again after a stale keep-alive connection only when sending twice is harmless.
        retryable: body === "none" && IDEMPOTENT_METHODS.has(method),
      },
      {
        onHead(head) {
          if (finished || req.destroyed) return;
          status = head.status;
          const extra =
            decision.setCookie === undefined
              ? state.versionLine
              : `${state.versionLine}set-cookie: ${decision.setCookie}\r\n`;
          writeAnswerHead(req, head, extra);
        },
        onBody(chunk, from, to) {
          if (finished || req.destroyed) return;
          if (!req.write(chunk.subarray(from, to))) exchange.pause();
        },
        onEnd() {
          if (finished) return;
          finish(status >= 500);
          req.end();
        },
        onError(error) {
          if (finished) return; // already answered: the timeout, or the client went away
          // Only the client destroys an answer not yet finished: a client abort, not an error.
          if (req.destroyed) return finish(false, true);
          finish(true);
          errorBody(
            req,
            502,
            version,
            `version ${version} (${upstream.origin}) is unreachable: ${error.message}`,
          );
        },
        onDrain() {
          req.resume();
        },
        onFlush() {
          if (!req.flush()) exchange.pause();
        },
      },
    );
    if (body !== "none") {
      req.onBody = (chunk) => {
        if (copies !== undefined) {
          copied += chunk.length;
          if (copied <= cap) copies.push(chunk);
          else copies.length = 0;
        }
        if (!exchange.write(chunk)) req.pause();
      };
      req.onBodyEnd = () => {
        exchange.end();
        if (chosen === undefined || copies === undefined) return;
        const buffer = copied > cap ? null : Buffer.concat(copies);
        for (const mirrorTarget of chosen) {
          if (buffer === null || buffer.length > mirrorTarget.maxBodyBytes) {
            metrics.skipMirror(mirrorTarget.version, "body-too-large");
          } else sendMirror(mirrorTarget, req, target, buffer, states);
        }
      };
    }
  };

  const proxyServer = new ClientServer(handle);
  const emit = (event: ProxyEvent) => options.onEvent?.(event);
  let generation = 1;
  // Writes back to the watched file, one at a time in swap order; the last text written is
  // recognised when the watch reports it, so the proxy does not swap to what it just wrote.
  let writes: Promise<void> = Promise.resolve();
  let lastWritten: string | undefined;
  const writeBack = (file: string, routing: Routing, written: number): void => {
    const text =
      `# Written by the iter8 traffic proxy: routing generation ${written}, swapped in through its\n` +
      `# admin API. The proxy watches this file; edit it to change the routing.\n` +
      dump(routingToDocument(routing), { lineWidth: -1, noRefs: true });
    writes = writes.then(async () => {
      if (closing) return;
      lastWritten = text;
      try {
        await writeFileAtomic(file, text);
        emit({ type: "routing-written", generation: written, file });
      } catch (error) {
        emit({
          type: "routing-write-failed",
          generation: written,
          file,
          message: error instanceof Error ? error.message : String(error),
        });
      }
    });
  };
  const swap = (routing: Routing, source: "api" | "file" | "call"): number => {
    generation++;
    install(routing, generation);
    emit({ type: "routing-swapped", generation, source });
    if (source !== "file" && options.watchFile) writeBack(options.watchFile, routing, generation);
    return generation;
  };

  const adminServer = createServer((req, res) => {
    const send = (status: number, type: string, text: string) => {
      res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    const json = (status: number, value: unknown) =>
      send(status, "application/json", `${JSON.stringify(value)}\n`);
    const path = (req.url ?? "/").split("?")[0];
    // Liveness probes (Kubernetes sends the pod's IP as Host) need no token: it tells nothing.
    if (req.method === "GET" && path === "/healthz") {
      send(200, "text/plain", "ok\n");
      return;
    }
    const refusal = guard.check(req);
    if (refusal) {
      if (refusal.status === 401)
        res.setHeader("www-authenticate", 'Bearer realm="iter8 proxy admin"');
      json(refusal.status, { error: refusal.error });
      req.resume();
      return;
    }
    if (req.method === "GET" && path === "/metrics") {
      send(200, "text/plain; version=0.0.4; charset=utf-8", metrics.toPrometheus(generation));
    } else if (req.method === "GET" && path === "/routing") {
      json(200, { generation, routing: routingToDocument(table.routing) });
    } else if (req.method === "PUT" && path === "/routing") {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_ADMIN_BODY) chunks.push(chunk);
      });
      req.on("end", () => {
        if (size > MAX_ADMIN_BODY) {
          json(413, { error: "routing larger than 1 MiB" });
          return;
        }
        const parsed = parseRouting(Buffer.concat(chunks).toString("utf8"), {
          filename: "PUT /routing",
        });
        if (!parsed.ok) {
          emit({ type: "routing-rejected", source: "api", issues: parsed.issues });
          json(400, { error: "invalid routing", issues: parsed.issues });
          return;
        }
        json(200, { generation: swap(parsed.value, "api"), warnings: parsed.warnings });
      });
    } else if (req.method === "GET" && path === "/stats") {
      json(200, metrics.snapshot(generation));
    } else if (req.method === "POST" && path === "/stats/window") {
      json(200, metrics.takeWindow(generation));
    } else {
      json(404, {
        error: `no admin endpoint ${req.method ?? ""} ${path ?? ""}; try GET /metrics, GET|PUT /routing, GET /stats, POST /stats/window`,
      });
    }
  });

  const listen = (server: NetServer, port: number, host: string, what: string) =>
    new Promise<string>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) =>
        reject(
          new TrafficError(
            "ITER8_TRAFFIC_LISTEN",
            `cannot listen for ${what} on ${host}:${port}: ${error.code === "EADDRINUSE" ? "the port is in use" : error.message}`,
            error.code === "EADDRINUSE" ? `choose another port` : undefined,
            { cause: error },
          ),
        );
      server.once("error", onError);
      server.listen(port, host, () => {
        server.off("error", onError);
        const address = server.address() as AddressInfo;
        const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
        resolve(`http://${shown}:${address.port}`);
      });
    });

  const closeServer = (server: Server) =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      const force = setTimeout(() => server.closeAllConnections(), 5_000);
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });

  const url = await listen(
    proxyServer.server,
    options.port ?? 8080,
    options.host ?? "127.0.0.1",
    "traffic",
  );
  let adminUrl: string;
  try {
    adminUrl = await listen(
      adminServer,
      options.adminPort ?? 9901,
      options.adminHost ?? "127.0.0.1",
      "the admin API",
    );
    const { port } = adminServer.address() as AddressInfo;
    const bound = new URL(adminUrl).hostname;
    const names = [bound];
    if (options.adminHost !== undefined) names.push(options.adminHost);
    names.push(...(options.adminHostnames ?? []));
    guard.listenOn(port, names);
  } catch (error) {
    await proxyServer.close(5_000);
    throw error;
  }

  let watcher: FSWatcher | undefined;
  if (options.watchFile) {
    const file = options.watchFile;
    let timer: NodeJS.Timeout | undefined;
    const reload = () => {
      readFile(file, "utf8")
        .then((text) => (text === lastWritten ? undefined : validateRoutingFile(file)))
        .then(
          (result) => {
            if (closing || result === undefined) return;
            if (result.ok) swap(result.value, "file");
            else emit({ type: "routing-rejected", source: "file", issues: result.issues });
          },
          (error: unknown) =>
            emit({
              type: "routing-rejected",
              source: "file",
              issues: [
                { path: "", message: error instanceof Error ? error.message : String(error), file },
              ],
            }),
        );
    };
    // Watch the folder: editors replace files by renaming, which a watch on the file itself misses.
    watcher = watch(dirname(file), (_event, name) => {
      if (name !== null && name !== basename(file)) return;
      clearTimeout(timer);
      timer = setTimeout(reload, 100);
    });
  }

  return {
    url,
    adminUrl,
    adminToken,
    get routing() {
      return table.routing;
    },
    get generation() {
      return generation;
    },
    setRouting: (routing) => swap(routing, "call"),
    stats: () => metrics.snapshot(generation),
    takeWindow: () => metrics.takeWindow(generation),
    retained: () => ({
      versions: metrics.versionCount,
      pools: upstreams.size + mirrorUpstreams.size,
    }),
    close: async () => {
      closing = true;
      watcher?.close();
      await writes;
      await Promise.all([proxyServer.close(5_000), closeServer(adminServer)]);
      await Promise.all([
        ...[...upstreams.values()].map((u) => u.pool.close()),
        ...[...mirrorUpstreams.values()].map((u) => u.pool.destroy()),
      ]);
    },
  };
}
