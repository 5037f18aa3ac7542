import { ABN_ERROR_CODES, AbnError } from "./errors.js";
import type { AbnAppSummary, AbnLookup } from "./server.js";
import type { AbnMetricSummary, AbnVersionSummary } from "./store.js";

/** A small client of the `iter8 abn` service for Node services. */
export interface AbnClient {
  /** The version `user` of `app` is assigned to. */
  lookup(app: string, user: string): Promise<number>;
  /** Adds a metric value (e.g. 1 for a conversion) for `user` of `app`; resolves once durable. */
  recordMetric(app: string, user: string, metric: string, value: number): Promise<void>;
  /** Per-version users and metric summaries of `app`. */
  summaries(app: string): Promise<AbnAppSummary>;
}

/** Options of {@link createAbnClient}. */
export interface AbnClientOptions {
  /** Per-request timeout in milliseconds; default 5000. */
  timeoutMs?: number;
  /** Aborts the calls in flight. */
  signal?: AbortSignal;
}

/** A client of the `iter8 abn` service at `baseUrl` (e.g. `http://127.0.0.1:8080`). */
export function createAbnClient(baseUrl: string, options: AbnClientOptions = {}): AbnClient {
  const timeoutMs = options.timeoutMs ?? 5000;
  const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const url = new URL(path, baseUrl);
    let res: Response;
    try {
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      res = await fetch(url, { ...init, signal });
    } catch (error) {
      throw new AbnError(ABN_ERROR_CODES.request, `cannot reach ${url.origin}: ${String(error)}`, {
        cause: error,
      });
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new AbnError(ABN_ERROR_CODES.request, `${url.pathname}: ${res.status} ${message}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new AbnError(ABN_ERROR_CODES.request, `${url.pathname}: the answer is not JSON`);
    }
  };
  return {
    lookup: async (app, user) => {
      const query = new URLSearchParams({ app, user });
      const answer = await call<Partial<AbnLookup> | null>(`/lookup?${query.toString()}`);
      const version = answer?.version;
      if (typeof version !== "number" || !Number.isSafeInteger(version) || version < 0) {
        throw new AbnError(ABN_ERROR_CODES.request, "/lookup: malformed answer: no version index");
      }
      return version;
    },
    recordMetric: async (app, user, metric, value) => {
      await call("/metrics", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ app, user, metric, value }),
      });
    },
    summaries: async (app) =>
      parseSummary(await call<unknown>(`/summaries?${new URLSearchParams({ app }).toString()}`)),
  };
}

/**
 * Checks the shape of a `/summaries` answer and copies its metrics into prototype-free maps, so a
 * metric named `constructor` or `toString` is looked up as data, never as Object.prototype's.
 */
function parseSummary(answer: unknown): AbnAppSummary {
  const bad = (what: string): AbnError =>
    new AbnError(ABN_ERROR_CODES.request, `/summaries: malformed answer: ${what}`);
  const a = answer as Partial<Record<"app" | "weights" | "versions", unknown>> | null;
  if (typeof a !== "object" || a === null || typeof a.app !== "string") throw bad("no app");
  if (!Array.isArray(a.weights) || !a.weights.every((w) => typeof w === "number")) {
    throw bad("weights is not a list of numbers");
  }
  if (!Array.isArray(a.versions)) throw bad("versions is not a list");
  const versions = a.versions.map((version: unknown, v): AbnVersionSummary => {
    const ver = version as Partial<Record<"users" | "metrics", unknown>> | null;
    if (typeof ver !== "object" || ver === null || typeof ver.users !== "number") {
      throw bad(`versions[${v}].users is not a number`);
    }
    if (typeof ver.metrics !== "object" || ver.metrics === null) {
      throw bad(`versions[${v}].metrics is not an object`);
    }
    const metrics = Object.create(null) as Record<string, AbnMetricSummary>;
    for (const [name, s] of Object.entries(ver.metrics as Record<string, unknown>)) {
      const m = s as Partial<Record<keyof AbnMetricSummary, unknown>> | null;
      if (
        typeof m !== "object" ||
        m === null ||
        typeof m.count !== "number" ||
        typeof m.sum !== "number" ||
        typeof m.sumSquares !== "number"
      ) {
        throw bad(`versions[${v}].metrics.${name} is not {count, sum, sumSquares}`);
      }
      metrics[name] = { count: m.count, sum: m.sum, sumSquares: m.sumSquares };
    }
    return { users: ver.users, metrics };
  });
  return { app: a.app, weights: a.weights, versions };
}
