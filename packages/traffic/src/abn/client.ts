import { ABN_ERROR_CODES, AbnError } from "./errors.js";
import type { AbnAppSummary, AbnLookup } from "./server.js";

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
}

/** A client of the `iter8 abn` service at `baseUrl` (e.g. `http://127.0.0.1:8080`). */
export function createAbnClient(baseUrl: string, options: AbnClientOptions = {}): AbnClient {
  const timeoutMs = options.timeoutMs ?? 5000;
  const call = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const url = new URL(path, baseUrl);
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
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
    return JSON.parse(text) as T;
  };
  return {
    lookup: async (app, user) => {
      const query = new URLSearchParams({ app, user });
      return (await call<AbnLookup>(`/lookup?${query.toString()}`)).version;
    },
    recordMetric: async (app, user, metric, value) => {
      await call("/metrics", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ app, user, metric, value }),
      });
    },
    summaries: (app) =>
      call<AbnAppSummary>(`/summaries?${new URLSearchParams({ app }).toString()}`),
  };
}
