import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { parseDuration } from "@iter8/spec";
import { DemoAppListenError, DemoAppOptionError } from "./errors.js";
import { createGrpcInjector, launchGreeter } from "./greeter.js";
import type { GreeterServer } from "./greeter.js";
import { FaultInjector } from "./injection.js";
import { EXPOSITION_CONTENT_TYPE, VersionMetrics } from "./metrics.js";
import type { RouteLabel } from "./metrics.js";
import { normalizeVersions } from "./versions.js";
import type { DemoAppVersionSpec } from "./versions.js";

/** The port of the first version when none is given; later versions take the next ports. */
export const DEFAULT_DEMO_APP_PORT = 8080;
/** The address the demo app binds when none is given: loopback only. */
export const DEFAULT_DEMO_APP_HOST = "127.0.0.1";
/** The longest wait `/delay/:ms` accepts, in milliseconds. */
export const MAX_DELAY_MS = 10_000;
/** The largest request body the echo endpoints read, in bytes, unless `maxBodyBytes` says otherwise. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Options of `startDemoApp`. */
export interface DemoAppOptions {
  /** Address to bind (default `127.0.0.1`). */
  host?: string;
  /** Port of the first version; version i listens on `port + i`. `0` gives each an ephemeral port. */
  port?: number;
  /**
   * gRPC port of the first version; version i listens on `grpcPort + i`, `0` gives each a free
   * port. Unset (the default from code): no gRPC server. `iter8 demo-app` sets 50051.
   */
  grpcPort?: number;
  /** The versions to serve, by name or with their settings (default `["v1"]`). */
  versions?: readonly (string | DemoAppVersionSpec)[];
  /** Seed for the error and jitter draws, for reproducible runs (default: `Math.random`). */
  seed?: number;
  /** Largest request body read by the echo endpoints, in bytes (default 1 MiB); larger gets 413. */
  maxBodyBytes?: number;
}

/** One running version of the demo app. */
export interface DemoAppVersion extends Required<DemoAppVersionSpec> {
  /** Base URL of this version, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** The port it listens on. */
  port: number;
  /** The port of its gRPC server, when it has one. */
  grpcPort?: number;
  /** `host:port` of its gRPC server, e.g. `127.0.0.1:50051`, when it has one. */
  grpcAddress?: string;
}

/** A running demo app: one HTTP server per version, and one gRPC server per version if asked. */
export interface DemoApp {
  /** Base URL of each version, in the order of `versions`. */
  urls: string[];
  /** Each version's settings and addresses. */
  versions: DemoAppVersion[];
  /** Stops every server: drops open connections and calls, and cuts pending delays short. */
  close: () => Promise<void>;
}

interface VersionRuntime {
  spec: Required<DemoAppVersionSpec>;
  metrics: VersionMetrics;
  headerValue: string;
  injector: FaultInjector;
  maxBodyBytes: number;
}

/**
 * Starts the demo app: an httpbin-like HTTP service, one server per version on consecutive ports,
 * with that version's injected latency and error rate, and Prometheus metrics at `/metrics`; with
 * `grpcPort`, also the gRPC Greeter per version (see `startGreeterServer`).
 */
export async function startDemoApp(options: DemoAppOptions = {}): Promise<DemoApp> {
  const host = options.host ?? DEFAULT_DEMO_APP_HOST;
  const basePort = options.port ?? DEFAULT_DEMO_APP_PORT;
  const specs = normalizeVersions(options.versions ?? ["v1"]);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  for (const [what, base] of [
    ["port", basePort],
    ["gRPC port", options.grpcPort],
  ] as const) {
    if (base === undefined) continue;
    if (!Number.isInteger(base) || base < 0 || base + (base ? specs.length - 1 : 0) > 65535) {
      throw new DemoAppOptionError(
        `${what} ${base} cannot serve ${specs.length} version(s): ports must lie in 0..65535`,
      );
    }
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new DemoAppOptionError(`seed ${options.seed} is not an integer`);
  }
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new DemoAppOptionError(`maxBodyBytes ${maxBodyBytes} is not a non-negative integer`);
  }

  const runtimes = specs.map((spec, i) => createRuntime(spec, i, options.seed, maxBodyBytes));
  const servers: Server[] = [];
  const greeters: GreeterServer[] = [];
  const versions: DemoAppVersion[] = [];
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= Promise.all([
      closeAll(servers, runtimes),
      ...greeters.map((greeter) => greeter.close()),
    ]).then(() => undefined);
    return closed;
  };

  for (const [i, runtime] of runtimes.entries()) {
    const server = createServer((req, res) => {
      handleRequest(req, res, runtime).catch((error: unknown) => failRequest(res, runtime, error));
    });
    servers.push(server);
    const port = basePort === 0 ? 0 : basePort + i;
    let bound: number;
    try {
      bound = await listen(server, host, port);
    } catch (error) {
      await close();
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new DemoAppListenError(
        `demo-app cannot listen on ${formatHost(host)}:${port} for version ${runtime.spec.name}: ${reason}`,
        reason === "EADDRINUSE" ? "the port is taken; choose another with --port" : undefined,
      );
    }
    versions.push({ ...runtime.spec, port: bound, url: `http://${formatHost(host)}:${bound}` });
  }
  if (options.grpcPort !== undefined) {
    const grpcBase = options.grpcPort;
    for (const [i, runtime] of runtimes.entries()) {
      try {
        const greeter = await launchGreeter({
          host,
          port: grpcBase === 0 ? 0 : grpcBase + i,
          spec: runtime.spec,
          injector: createGrpcInjector(runtime.spec, options.seed, i),
          onCall: undefined,
        });
        greeters.push(greeter);
        const version = versions[i];
        if (version)
          Object.assign(version, { grpcPort: greeter.port, grpcAddress: greeter.address });
      } catch (error) {
        await close();
        throw error;
      }
    }
  }
  return { urls: versions.map((v) => v.url), versions, close };
}

function createRuntime(
  spec: Required<DemoAppVersionSpec>,
  index: number,
  seed: number | undefined,
  maxBodyBytes: number,
): VersionRuntime {
  return {
    spec,
    metrics: new VersionMetrics(spec.name),
    headerValue: spec.name,
    // Streams 2i and 2i+1: a seeded run's HTTP draws are the ones they were before gRPC existed.
    injector: new FaultInjector(spec, seed, index * 2, index * 2 + 1),
    maxBodyBytes,
  };
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

async function closeAll(servers: Server[], runtimes: VersionRuntime[]): Promise<void> {
  for (const runtime of runtimes) runtime.injector.stop();
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}

function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

/** What a request is, found from its path before anything is read or waited for. */
interface RouteMatch {
  route: RouteLabel;
  /** Whether injected latency and errors apply (experiment endpoints only). */
  experiment: boolean;
  /** Whether the body is read and echoed. */
  readsBody: boolean;
  /** Methods allowed; undefined means any. */
  methods?: readonly string[];
  /** The status `/status/:code` answers with. */
  status?: number;
  /** The wait `/delay/:ms` asks for, in milliseconds. */
  delayMs?: number;
  /** Set when the path parameter is invalid: answered 400 with this message. */
  invalid?: string;
}

const GET_ONLY = ["GET", "HEAD"] as const;
const EXACT_ROUTES: ReadonlyMap<string, RouteMatch> = new Map<string, RouteMatch>([
  ["/", { route: "/", experiment: false, readsBody: false, methods: GET_ONLY }],
  ["/healthz", { route: "/healthz", experiment: false, readsBody: false, methods: GET_ONLY }],
  ["/get", { route: "/get", experiment: true, readsBody: false, methods: GET_ONLY }],
  ["/post", { route: "/post", experiment: true, readsBody: true, methods: ["POST"] }],
  ["/put", { route: "/put", experiment: true, readsBody: true, methods: ["PUT"] }],
  ["/patch", { route: "/patch", experiment: true, readsBody: true, methods: ["PATCH"] }],
  ["/delete", { route: "/delete", experiment: true, readsBody: true, methods: ["DELETE"] }],
  ["/anything", { route: "/anything", experiment: true, readsBody: true }],
]);
const NOT_FOUND: RouteMatch = { route: "other", experiment: false, readsBody: false };

function matchRoute(path: string): RouteMatch {
  const exact = EXACT_ROUTES.get(path);
  if (exact) return exact;
  if (path.startsWith("/anything/"))
    return { route: "/anything", experiment: true, readsBody: true };
  if (path.startsWith("/status/")) {
    const text = path.slice("/status/".length);
    const code = /^\d{3}$/.test(text) ? Number(text) : NaN;
    const base = { route: "/status/:code", experiment: true, readsBody: false } as const;
    if (code >= 200 && code <= 599) return { ...base, status: code };
    if (code >= 100 && code <= 199) {
      return {
        ...base,
        invalid: `status ${text} is informational (1xx) and cannot end a response; use 200..599`,
      };
    }
    return { ...base, invalid: `status "${decodeSafe(text)}" is not a status code in 100..599` };
  }
  if (path.startsWith("/delay/")) {
    const text = decodeSafe(path.slice("/delay/".length));
    const ms = /^\d+$/.test(text) ? Number(text) : parseDurationOrUndefined(text);
    const base = { route: "/delay/:ms", experiment: true, readsBody: false } as const;
    if (ms !== undefined && ms >= 0 && ms <= MAX_DELAY_MS) return { ...base, delayMs: ms };
    return {
      ...base,
      invalid: `delay "${text}" is not 0..${MAX_DELAY_MS} milliseconds (a number of ms, or a duration such as 1.5s)`,
    };
  }
  return NOT_FOUND;
}

function parseDurationOrUndefined(text: string): number | undefined {
  try {
    return parseDuration(text);
  } catch {
    return undefined;
  }
}

function decodeSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Answers one request; counts it in the version's metrics unless it is a `/metrics` scrape. */
async function handleRequest(
  req: IncomingMessage,
  res: ServerResponse,
  runtime: VersionRuntime,
): Promise<void> {
  const start = performance.now();
  const method = req.method ?? "GET";
  const rawUrl = req.url ?? "/";
  const queryAt = rawUrl.indexOf("?");
  const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);

  if (path === "/metrics") {
    // Scrapes are not counted, so they never skew the request counts an experiment reads.
    const allowed = method === "GET" || method === "HEAD";
    const body = allowed ? runtime.metrics.render() : `/metrics accepts GET, HEAD\n`;
    res.writeHead(allowed ? 200 : 405, {
      ...(allowed ? {} : { allow: "GET, HEAD" }),
      "content-type": allowed ? EXPOSITION_CONTENT_TYPE : "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "x-demo-app-version": runtime.headerValue,
    });
    res.end(body);
    return;
  }

  const match = matchRoute(path);
  const { route } = match;
  if (match === NOT_FOUND)
    return sendError(res, runtime, start, method, route, 404, `no route ${path}`);
  if (match.methods && !match.methods.includes(method)) {
    res.setHeader("allow", match.methods.join(", "));
    return sendError(
      res,
      runtime,
      start,
      method,
      route,
      405,
      `${route} accepts ${match.methods.join(", ")}`,
    );
  }
  if (match.invalid !== undefined)
    return sendError(res, runtime, start, method, route, 400, match.invalid);

  let body: Buffer | undefined;
  if (match.readsBody) {
    body = await readBody(req, runtime.maxBodyBytes);
    if (body === undefined) {
      res.setHeader("connection", "close");
      return sendError(
        res,
        runtime,
        start,
        method,
        route,
        413,
        `body larger than ${runtime.maxBodyBytes} bytes`,
      );
    }
  }

  if (match.experiment) {
    const latency = runtime.injector.nextLatencyMs();
    if (latency > 0 && !(await runtime.injector.sleep(latency))) return abandon(res);
    if (runtime.injector.nextIsError()) {
      return sendError(res, runtime, start, method, route, 500, "injected error (--error-rate)");
    }
  }

  switch (route) {
    case "/":
      return sendJson(res, runtime, start, method, route, 200, describeVersion(runtime));
    case "/healthz":
      return sendJson(res, runtime, start, method, route, 200, {
        status: "ok",
        version: runtime.spec.name,
      });
    case "/status/:code":
      return send(
        res,
        runtime,
        start,
        method,
        route,
        match.status ?? 200,
        "",
        "text/plain; charset=utf-8",
      );
    case "/delay/:ms": {
      const delayMs = match.delayMs ?? 0;
      if (delayMs > 0 && !(await runtime.injector.sleep(delayMs))) return abandon(res);
      return sendJson(res, runtime, start, method, route, 200, {
        ...echo(req, queryAt, runtime.spec.name),
        delayMs,
      });
    }
    case "/get":
      return sendJson(
        res,
        runtime,
        start,
        method,
        route,
        200,
        echo(req, queryAt, runtime.spec.name),
      );
    default:
      return sendJson(
        res,
        runtime,
        start,
        method,
        route,
        200,
        echoWithBody(req, queryAt, runtime.spec.name, body),
      );
  }
}

function describeVersion(runtime: VersionRuntime): Record<string, unknown> {
  const { name, latencyMs, jitterMs, errorRate, grpcErrorCode } = runtime.spec;
  return {
    app: "iter8 demo-app",
    version: name,
    latencyMs,
    jitterMs,
    errorRate,
    grpcErrorCode,
    endpoints: [
      "/get",
      "/post",
      "/put",
      "/patch",
      "/delete",
      "/anything",
      "/status/:code",
      "/delay/:ms",
      "/healthz",
      "/metrics",
    ],
  };
}

interface Echo {
  args: Record<string, string | string[]>;
  headers: IncomingMessage["headers"];
  origin: string;
  url: string;
  version: string;
  [key: string]: unknown;
}

function echo(req: IncomingMessage, queryAt: number, version: string): Echo {
  const rawUrl = req.url ?? "/";
  const args: Record<string, string | string[]> = {};
  if (queryAt !== -1) {
    for (const [key, value] of new URLSearchParams(rawUrl.slice(queryAt + 1))) {
      const prior = args[key];
      args[key] =
        prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
    }
  }
  const host = req.headers.host ?? `${req.socket.localAddress ?? ""}:${req.socket.localPort ?? ""}`;
  return {
    args,
    headers: req.headers,
    origin: req.socket.remoteAddress ?? "",
    url: `http://${host}${rawUrl}`,
    version,
  };
}

function echoWithBody(
  req: IncomingMessage,
  queryAt: number,
  version: string,
  body: Buffer | undefined,
): Echo {
  const base = echo(req, queryAt, version);
  const data = body ? body.toString("utf8") : "";
  const contentType = (req.headers["content-type"] ?? "").toLowerCase();
  let json: unknown = null;
  if (data !== "") {
    try {
      json = JSON.parse(data) as unknown;
    } catch {
      json = null;
    }
  }
  const form: Record<string, string> = {};
  if (contentType.startsWith("application/x-www-form-urlencoded")) {
    for (const [key, value] of new URLSearchParams(data)) form[key] = value;
  }
  return { ...base, method: req.method ?? "", data, json, form };
}

/** Reads the body up to `limit` bytes; undefined when it is larger (the rest is not read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) return Promise.resolve(undefined);
  if (declared === 0) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off("data", onData);
        req.pause();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
}

function sendJson(
  res: ServerResponse,
  runtime: VersionRuntime,
  start: number,
  method: string,
  route: RouteLabel,
  status: number,
  value: Record<string, unknown>,
): void {
  send(
    res,
    runtime,
    start,
    method,
    route,
    status,
    `${JSON.stringify(value)}\n`,
    "application/json",
  );
}

function sendError(
  res: ServerResponse,
  runtime: VersionRuntime,
  start: number,
  method: string,
  route: RouteLabel,
  status: number,
  message: string,
): void {
  sendJson(res, runtime, start, method, route, status, {
    error: message,
    version: runtime.spec.name,
  });
}

function send(
  res: ServerResponse,
  runtime: VersionRuntime,
  start: number,
  method: string,
  route: RouteLabel,
  status: number,
  body: string,
  contentType: string,
): void {
  if (res.destroyed || res.writableEnded) return;
  // 204 and 304 carry no body and no Content-Length (RFC 9110 §8.6).
  const bodyless = status === 204 || status === 304;
  res.writeHead(
    status,
    bodyless
      ? { "x-demo-app-version": runtime.headerValue }
      : {
          "content-type": contentType,
          "content-length": Buffer.byteLength(body),
          "x-demo-app-version": runtime.headerValue,
        },
  );
  res.end(bodyless ? undefined : body);
  runtime.metrics.record(method, route, status, (performance.now() - start) / 1000);
}

/** The server is closing: drop the request without answering it. */
function abandon(res: ServerResponse): void {
  res.destroy();
}

function failRequest(res: ServerResponse, runtime: VersionRuntime, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const message = error instanceof Error ? error.message : String(error);
  sendError(res, runtime, performance.now(), "OTHER", "other", 500, `demo-app failed: ${message}`);
}
