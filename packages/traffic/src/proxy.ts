import { watch } from "node:fs";
import { readFile } from "node:fs/promises";
import type { FSWatcher } from "node:fs";
import { createServer } from "node:http";
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { basename, dirname } from "node:path";
import { performance } from "node:perf_hooks";
import { Transform } from "node:stream";
import type { TransformCallback } from "node:stream";
import { dump } from "js-yaml";
import {
  formatDuration,
  parseRouting,
  routingToDocument,
  validateRoutingFile,
  writeFileAtomic,
} from "@iter8/spec";
import type { MirrorTarget, Routing, SpecIssue } from "@iter8/spec";
import { Pool } from "undici";
import type { Dispatcher } from "undici";
import { AdminGuard, checkAdminToken, generateAdminToken } from "./admin-guard.js";
import { TrafficError } from "./errors.js";
import { ProxyMetrics } from "./proxy-metrics.js";
import type { ProxyStats } from "./proxy-metrics.js";
import { compileRouteTable, normalizeRequestTarget, routeRequest } from "./route-table.js";
import type { RouteTable } from "./route-table.js";

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

const MAX_ADMIN_BODY = 1024 * 1024;
/** Node's timers hold at most 2^31 - 1 ms; a longer routing timeout waits that long. */
const MAX_TIMER_MS = 2_147_483_647;

interface Upstream {
  origin: string;
  basePath: string;
  pool: Pool;
  /** Set when a swap left no version on this upstream: its pool is closing. */
  retired: boolean;
}

/** A version of one installed routing: its pools and what it has in flight. */
interface VersionState {
  name: string;
  upstream: Upstream;
  mirror: Upstream;
  /** Live requests and mirror copies in flight. */
  inFlight: number;
  mirrorsInFlight: number;
  /** Set when a swap installed a routing without this version. */
  retired: boolean;
}

/** The lower-case names a message's `Connection` header lists (hop-by-hop for this message), if any. */
function connectionNames(headers: IncomingHttpHeaders): string[] | undefined {
  const connection = headers.connection;
  if (!connection) return undefined;
  return connection
    .toLowerCase()
    .split(",")
    .map((s) => s.trim());
}

/** Whether `name` is forwarded: not hop-by-hop and not named by the message's `Connection` header. */
function isForwarded(name: string, named: string[] | undefined): boolean {
  return !HOP_BY_HOP.has(name) && (named === undefined || !named.includes(name));
}

/** Copies request headers without hop-by-hop ones (and those `Connection` names). */
function forwardHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const named = connectionNames(headers);
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && isForwarded(name, named)) out[name] = value;
  }
  return out;
}

/**
 * Headers without hop-by-hop ones (and those `Connection` names) as a flat `[name, value, ...]`
 * list, which undici's `dispatch` and `writeHead` take without building an object per message;
 * `except` names one more header to leave out (one the caller sets itself).
 */
function forwardHeaderList(headers: IncomingHttpHeaders, except?: string): string[] {
  const out: string[] = [];
  const named = connectionNames(headers);
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || name === except || !isForwarded(name, named)) continue;
    if (typeof value === "string") out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  return out;
}

// Copies the request body to the mirror buffer, up to a cap, while it streams to the primary.
class BodyTee extends Transform {
  chunks: Buffer[] = [];
  bytes = 0;
  overCap = false;
  constructor(private readonly cap: number) {
    super();
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.overCap) {
      this.bytes += chunk.length;
      if (this.bytes > this.cap) {
        this.overCap = true;
        this.chunks = [];
      } else this.chunks.push(chunk);
    }
    callback(null, chunk);
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
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

function errorBody(res: ServerResponse, status: number, version: string, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `iter8 proxy: ${text}\n`;
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "x-iter8-version": version,
  });
  res.end(body);
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

  const upstreamFor = (map: Map<string, Upstream>, key: string, url: URL, mirror: boolean) => {
    let upstream = map.get(key);
    if (!upstream) {
      upstream = {
        origin: url.origin,
        basePath: url.pathname === "/" ? "" : url.pathname.replace(/\/$/, ""),
        pool: new Pool(url.origin, {
          connections: mirror ? 64 : connections,
          pipelining: 1,
          keepAliveTimeout: 10_000,
        }),
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
    req: IncomingMessage,
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
    const headers = forwardHeaders(req.headers);
    headers.host = shadowHost(req.headers.host);
    headers["x-iter8-mirror"] = "1";
    if (body) headers["content-length"] = String(body.length);
    const start = performance.now();
    const done = (error: boolean) => {
      state.mirrorsInFlight--;
      metrics.record(target.version, "mirror", error, (performance.now() - start) * 1000);
      release(state);
    };
    state.mirror.pool
      .request({
        path: state.mirror.basePath + path,
        method: req.method as "GET",
        headers,
        body,
        headersTimeout: target.timeoutMs,
        bodyTimeout: target.timeoutMs,
        signal: AbortSignal.timeout(target.timeoutMs),
      })
      .then(async (response) => {
        await response.body.dump();
        done(response.statusCode >= 500);
      })
      .catch(() => done(true));
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const start = performance.now();
    const current = table;
    const states = versions;
    const method = req.method ?? "GET";
    // Routed and forwarded on the normalised target (dot segments resolved, slashes merged,
    // absolute-form reduced to its path), so `/x/../beta` cannot slip past a `/beta` route.
    const target = normalizeRequestTarget(req.url ?? "/");
    const decision = routeRequest(current, { method, url: target, headers: req.headers });
    if (!decision) {
      metrics.recordUnrouted();
      const body = `iter8 proxy: no route matches ${method} ${target}\n`;
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end(body);
      req.resume();
      return;
    }
    const version = decision.version;
    const state = states.get(version);
    if (!state) {
      errorBody(res, 502, version, `version ${version} has no upstream`);
      req.resume();
      return;
    }
    const upstream = state.upstream;
    state.inFlight++;
    const timeoutMs = Math.min(current.routing.timeoutMs, MAX_TIMER_MS);
    let finished = false;
    // Each request is counted once: answered (an error when 5xx or failed), or abandoned by its
    // client (apart, so hanging up cannot raise a version's error rate).
    const finish = (error: boolean, clientAbort = false) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
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
    const withBody = hasBody(req);
    let body: IncomingMessage | BodyTee | null = withBody ? req : null;
    let tee: BodyTee | undefined;
    if (chosen !== undefined && chosen.length > 0) {
      const copies = chosen;
      if (withBody) {
        tee = new BodyTee(cap);
        req.pipe(tee);
        body = tee;
        const copy = tee;
        tee.once("end", () => {
          const buffer = copy.overCap ? null : Buffer.concat(copy.chunks);
          for (const mirrorTarget of copies) {
            if (copy.overCap || (buffer && buffer.length > mirrorTarget.maxBodyBytes)) {
              metrics.skipMirror(mirrorTarget.version, "body-too-large");
            } else sendMirror(mirrorTarget, req, target, buffer, states);
          }
        });
      } else {
        for (const mirrorTarget of copies) sendMirror(mirrorTarget, req, target, null, states);
      }
    }

    const remote = req.socket.remoteAddress;
    const headers = forwardHeaderList(req.headers, remote ? "x-forwarded-for" : undefined);
    if (remote) {
      const prior = req.headers["x-forwarded-for"];
      headers.push("x-forwarded-for", prior ? `${String(prior)}, ${remote}` : remote);
    }
    let status = 0;
    let controller: Dispatcher.DispatchController | undefined;
    // `timeout` bounds the whole exchange, however the upstream stalls it (endless 1xx answers,
    // an endless body): a 504 while no answer has started, else the client's connection is cut.
    const timer = setTimeout(() => {
      finish(true);
      controller?.abort(new Error("the routing's timeout passed"));
      if (!res.destroyed) errorBody(res, 504, version, tooLate(version, upstream, timeoutMs));
      if (!req.complete) req.resume();
    }, timeoutMs);
    // Whichever comes first: the response closing, or undici reporting the exchange done. A
    // client that goes away before the answer is complete ends the upstream exchange too.
    // (`on`, not `once`: a response closes once, and `once` would wrap the listener per request.)
    res.on("close", () => {
      if (res.writableFinished) finish(status >= 500);
      else {
        finish(false, true);
        controller?.abort(new Error("the client went away"));
      }
    });
    const failed = (error: Error): void => {
      if (finished) return; // already answered: the timeout, or the client went away
      // Only the client destroys a response not yet finished (the exchange was aborted because
      // it went away, maybe before its response's "close" event): a client abort, not an error.
      if (res.destroyed) return finish(false, true);
      finish(true);
      const code = (error as { code?: string }).code ?? "";
      if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT") {
        errorBody(res, 504, version, tooLate(version, upstream, timeoutMs));
      } else {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        errorBody(
          res,
          502,
          version,
          `version ${version} (${upstream.origin}) is unreachable: ${cause ?? error.message}`,
        );
      }
      if (!req.complete) req.resume();
    };
    // undici's dispatch with a handler of our own: the answer's chunks go straight to the client's
    // response (pausing the upstream while the client's socket is full), without a stream wrapper.
    upstream.pool.dispatch(
      {
        path: upstream.basePath + target,
        method,
        headers,
        body,
        // The timer above bounds the exchange; undici's idle timeouts would only add timers.
        headersTimeout: 0,
        bodyTimeout: 0,
      },
      {
        onRequestStart(started) {
          controller = started;
          if (finished || res.destroyed) started.abort(new Error("the client went away"));
        },
        // The client may be gone before its response's "close" event aborts the exchange:
        // writing to a destroyed response would raise an unhandled error, so nothing is written.
        onResponseStart(started, statusCode, upstreamHeaders) {
          if (finished || res.destroyed) return started.abort(new Error("the client went away"));
          if (statusCode < 200) return; // 1xx: informational, not forwarded
          status = statusCode;
          const answer = forwardHeaderList(upstreamHeaders);
          answer.push("x-iter8-version", version);
          if (decision.setCookie !== undefined) answer.push("set-cookie", decision.setCookie);
          res.writeHead(statusCode, answer);
        },
        onResponseData(streaming, chunk) {
          if (finished || res.destroyed) return streaming.abort(new Error("the client went away"));
          if (!res.write(chunk)) {
            streaming.pause();
            res.once("drain", () => streaming.resume());
          }
        },
        onResponseEnd() {
          if (finished) return;
          finish(status >= 500);
          if (!res.destroyed) res.end();
        },
        onResponseError(_controller, error) {
          failed(error);
        },
      },
    );
  };

  const proxyServer = createServer({ keepAliveTimeout: 65_000 }, handle);
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

  const listen = (server: Server, port: number, host: string, what: string) =>
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
    proxyServer,
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
    await closeServer(proxyServer);
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
      await Promise.all([closeServer(proxyServer), closeServer(adminServer)]);
      await Promise.all([
        ...[...upstreams.values()].map((u) => u.pool.close()),
        ...[...mirrorUpstreams.values()].map((u) => u.pool.destroy()),
      ]);
    },
  };
}
