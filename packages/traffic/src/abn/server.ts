import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { assignVersion } from "../assignment.js";
import { ABN_ERROR_CODES, AbnError } from "./errors.js";
import { openAbnStore } from "./store.js";
import type { AbnStore, AbnStoreOptions, AbnVersionSummary } from "./store.js";

/** One application under an A/B/n test: its versions' relative traffic weights. */
export interface AbnAppConfig {
  /** One non-negative weight per version; version 0 is the baseline. */
  weights: number[];
}

/** Options of {@link startAbnServer}. */
export interface AbnServerOptions {
  /** Applications by name. */
  apps: Record<string, AbnAppConfig>;
  /**
   * Where the data lives: a SQLite file path (created if needed; a JSON Lines data file of an
   * earlier `iter8 abn` found there is migrated) or a `redis://host:port/db` URL, which several
   * replicas can share.
   */
  store: string;
  /** Options of the store (a JSON Lines file to migrate, a size limit, a Redis key prefix). */
  storeOptions?: AbnStoreOptions;
  /** Address to bind; default 127.0.0.1. */
  host?: string;
  /** Port; default 0 (ephemeral). */
  port?: number;
}

/** Answer of `GET /lookup`. */
export interface AbnLookup {
  app: string;
  user: string;
  version: number;
}

/** Answer of `GET /summaries`: what `abnmetrics` reads into an experiment. */
export interface AbnAppSummary {
  app: string;
  weights: number[];
  versions: AbnVersionSummary[];
}

/** A running `iter8 abn` service. */
export interface AbnServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The store, as opened (e.g. `sqlite /var/lib/iter8/abn.db`). */
  store: AbnStore;
  /** Stops accepting requests, waits for pending writes and closes the store. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Starts the A/B/n service: `GET /lookup?app=&user=` → the user's version (sticky: hashing the user
 * id with the app name as salt into the weights' cumulative ranges, the same in every replica and
 * after restarts); `POST /metrics {app, user, metric, value}` → adds `value` to the summary of that
 * version (one atomic, durable update before the response; 400 when a sum would become
 * non-finite, 507 when the store is full, 500 when it cannot write: nothing of the post is kept);
 * `GET /summaries?app=` → per-version users (those who
 * posted metrics) and metric summaries; `GET /healthz`.
 */
export async function startAbnServer(options: AbnServerOptions): Promise<AbnServer> {
  const apps = new Map(Object.entries(options.apps));
  for (const [app, config] of apps) {
    try {
      assignVersion("", config.weights, app);
    } catch (error) {
      throw new AbnError(ABN_ERROR_CODES.invalid, `app ${app}: ${(error as Error).message}`);
    }
  }
  const store = await openAbnStore(options.store, options.storeOptions);
  const server = createServer((req, res) => {
    handle(req, res, apps, store).catch((error: unknown) => {
      send(res, statusOf(error), { error: error instanceof Error ? error.message : String(error) });
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    store,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  apps: ReadonlyMap<string, AbnAppConfig>,
  store: AbnStore,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://abn");
  const route = `${req.method ?? "GET"} ${url.pathname}`;
  switch (route) {
    case "GET /healthz":
      return send(res, 200, { ok: true });
    case "GET /lookup": {
      const app = url.searchParams.get("app") ?? "";
      const user = url.searchParams.get("user") ?? "";
      const config = appConfig(apps, app);
      if (user === "") throw invalid("user is required, e.g. /lookup?app=shop&user=alice");
      // Stateless: the hash decides, so every replica answers the same without a write.
      const version = assignVersion(user, config.weights, app);
      return send(res, 200, { app, user, version } satisfies AbnLookup);
    }
    case "POST /metrics": {
      const body = parseMetric(await readBody(req));
      const config = appConfig(apps, body.app);
      const version = assignVersion(body.user, config.weights, body.app);
      await store.recordMetric(body.app, body.user, version, body.metric, body.value);
      return send(res, 200, { app: body.app, user: body.user, version });
    }
    case "GET /summaries": {
      const app = url.searchParams.get("app") ?? "";
      const config = appConfig(apps, app);
      const summary: AbnAppSummary = {
        app,
        weights: config.weights,
        versions: await store.summarise(app, config.weights.length),
      };
      return send(res, 200, summary);
    }
    default:
      return send(res, 404, {
        error: `no route ${route}; routes: GET /lookup, POST /metrics, GET /summaries, GET /healthz`,
      });
  }
}

function appConfig(apps: ReadonlyMap<string, AbnAppConfig>, app: string): AbnAppConfig {
  const config = apps.get(app);
  if (!config) {
    throw invalid(`unknown app "${app}"; known apps: ${[...apps.keys()].join(", ") || "none"}`);
  }
  return config;
}

/** 400 for a bad request, 507 when the store is full, else 500. */
function statusOf(error: unknown): number {
  if (!(error instanceof AbnError)) return 500;
  if (error.code === ABN_ERROR_CODES.invalid) return 400;
  if (error.code === ABN_ERROR_CODES.storageFull) return 507;
  return 500;
}

function parseMetric(text: string): { app: string; user: string; metric: string; value: number } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw invalid("the body must be JSON: {app, user, metric, value}");
  }
  // Own properties only: a body without "metric" must not find Object.prototype's members.
  const field = (key: string): unknown =>
    typeof body === "object" && body !== null && !Array.isArray(body) && Object.hasOwn(body, key)
      ? (body as Record<string, unknown>)[key]
      : undefined;
  const strings: Record<"app" | "user" | "metric", string> = { app: "", user: "", metric: "" };
  for (const key of ["app", "user", "metric"] as const) {
    const value = field(key);
    if (typeof value !== "string" || value === "") {
      throw invalid(`${key} must be a non-empty string`);
    }
    strings[key] = value;
  }
  const value = field("value");
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalid("value must be a finite number");
  }
  return { ...strings, value };
}

function invalid(message: string): AbnError {
  return new AbnError(ABN_ERROR_CODES.invalid, message);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw invalid(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
