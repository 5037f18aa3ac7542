import type { MetricInfo, MetricSummary } from "@iter8/spec";
import { bodySnippet, callBackend } from "./backend-call.js";
import type { BackendRequest } from "./backend-call.js";
import { ProviderError } from "./errors.js";
import { compileJq } from "./jq.js";
import { isPrometheusEnvelope, parsePrometheusValue } from "./prometheus.js";
import type { MeasurementStatus } from "./prometheus.js";
import { SUMMARY_PARTS, resolveAuthHeaders } from "./provider-spec.js";
import type { ProviderQuery, ProviderSpec, ProviderSummaryMetricSpec } from "./provider-spec.js";
import { providerSecrets, sanitizeBackendText } from "./redact.js";

/** One metric of one version as read from a backend. */
export interface ProviderMeasurement {
  /** `<provider>/<metric>`. */
  name: string;
  info: MetricInfo;
  status: MeasurementStatus;
  /** Set when `status` is `ok` (finite or ±Infinity); the mean or proportion of a summary metric. */
  value?: number;
  /** Sufficient statistics of a `mean` or `proportion` metric, when every part has a value. */
  summary?: MetricSummary;
  /**
   * Why there is no value (`no-data`, `nan`, `error`): one line of at most 500 characters, with
   * every secret of the spec and every credential-shaped text redacted.
   */
  reason?: string;
}

/** Options of `collectProviderMetrics`. */
export interface CollectProviderOptions {
  /** Environment to read secrets from. */
  env: Record<string, string | undefined>;
  /** Base directory of relative secret files. */
  baseDir: string;
  signal?: AbortSignal;
  /** Default per-attempt timeout in milliseconds when the spec sets none (default 10 s). */
  timeoutMs?: number;
  /** Default retries when the spec sets none (default 2). */
  retries?: number;
  /** Wait before the first retry in milliseconds (default 200). */
  retryDelayMs?: number;
}

/**
 * Queries every metric of a rendered provider spec and returns one measurement per metric, in
 * order. A `mean` or `proportion` metric is queried once per part; it has a `summary` and a
 * `value` (the mean or proportion) only when every part has a usable value, else the first
 * missing part's status and reason (never 0). Never throws for a backend's behaviour: a timeout, an HTTP error, an error envelope or
 * an answer that is not JSON becomes that metric's `error` with the reason. Every reason leaves
 * through `sanitizeBackendText` here (the one place a backend's answer becomes text that is
 * stored, printed or logged): the spec's secrets redacted, control characters removed, cut at
 * 500 characters. Throws `ProviderError` only when a secret cannot be read (nothing can be
 * queried then).
 */
export async function collectProviderMetrics(
  provider: string,
  spec: ProviderSpec,
  options: CollectProviderOptions,
): Promise<ProviderMeasurement[]> {
  const resolved = await resolveAuthHeaders(spec.auth, options);
  const auth = { headers: resolved.headers, secrets: providerSecrets(spec, resolved.secrets) };
  const measurements: ProviderMeasurement[] = [];
  for (const metric of spec.metrics) {
    const info: MetricInfo = {
      description: metric.description || metric.name,
      type: metric.type === "Counter" ? "Counter" : "Gauge",
    };
    if (metric.units !== undefined) info.units = metric.units;
    const base = { name: `${provider}/${metric.name}`, info };
    let measured: Pick<ProviderMeasurement, "status" | "value" | "reason" | "summary">;
    try {
      measured =
        metric.type === "mean" || metric.type === "proportion"
          ? await measureSummary(spec, metric, auth, options)
          : await measureQuery(spec, metric, auth, options);
    } catch (error) {
      measured = {
        status: "error",
        reason: error instanceof Error ? error.message : String(error),
      };
    }
    if (measured.reason !== undefined) {
      measured = { ...measured, reason: sanitizeBackendText(measured.reason, auth.secrets) };
    }
    measurements.push({ ...base, ...measured });
  }
  return measurements;
}

type Measured = Pick<ProviderMeasurement, "status" | "value" | "reason">;

async function measureSummary(
  spec: ProviderSpec,
  metric: ProviderSummaryMetricSpec,
  auth: { headers: Record<string, string>; secrets: string[] },
  options: CollectProviderOptions,
): Promise<Pick<ProviderMeasurement, "status" | "value" | "reason" | "summary">> {
  const parts: Record<string, number> = {};
  const queries: Record<string, ProviderQuery> = metric.queries;
  for (const part of SUMMARY_PARTS[metric.type]) {
    const query = queries[part];
    if (query === undefined) return { status: "error", reason: `${part}: no query` };
    let measured: Measured;
    try {
      measured = await measureQuery(spec, query, auth, options);
    } catch (error) {
      // Rethrown with the part named; the caller sanitises the reason.
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`${part}: ${message}`);
    }
    if (measured.status !== "ok" || measured.value === undefined) {
      return { status: measured.status, reason: `${part}: ${measured.reason ?? measured.status}` };
    }
    if (!Number.isFinite(measured.value)) {
      return { status: "error", reason: `${part}: ${measured.value} is not a finite number` };
    }
    parts[part] = measured.value;
  }
  const count = parts.count ?? 0;
  if (count < 0) return { status: "error", reason: `count: ${count} is negative` };
  let summary: MetricSummary;
  if (metric.type === "mean") {
    const sum = parts.sum ?? 0;
    const sumSquares = parts.sumSquares ?? 0;
    // Σx² ≥ (Σx)²/n for any data; allow for rounding in the backend.
    const least = count > 0 ? (sum * sum) / count : 0;
    if (sumSquares < 0 || sumSquares < least - 1e-9 * Math.max(1, Math.abs(least))) {
      return {
        status: "error",
        reason: `sumSquares ${sumSquares} is less than sum²/count = ${least}: the queries disagree`,
      };
    }
    summary = { type: "mean", count, sum, sumSquares };
  } else {
    const successes = parts.successes ?? 0;
    if (successes < 0 || successes > count) {
      return {
        status: "error",
        reason: `successes ${successes} is not between 0 and count ${count}: the queries disagree`,
      };
    }
    summary = { type: "proportion", count, successes };
  }
  if (count === 0) {
    return { status: "no-data", reason: "no data: count is 0", summary };
  }
  const value = summary.type === "mean" ? summary.sum / count : summary.successes / count;
  return { status: "ok", value, summary };
}

function buildRequest(
  spec: ProviderSpec,
  metric: ProviderQuery,
  authHeaders: Record<string, string>,
): BackendRequest {
  const params = new URLSearchParams(metric.params.map((p): [string, string] => [p.name, p.value]));
  const headers: Record<string, string> = {
    accept: "application/json",
    ...spec.headers,
    ...authHeaders,
  };
  const withQuery = (url: string) => {
    const query = params.toString();
    if (query === "") return url;
    return `${url}${url.includes("?") ? "&" : "?"}${query}`;
  };
  if (spec.method === "GET") return { url: withQuery(spec.url), method: "GET", headers };
  if (metric.body !== undefined) {
    const hasType = Object.keys(headers).some((h) => h.toLowerCase() === "content-type");
    if (!hasType) headers["content-type"] = "application/json";
    return { url: withQuery(spec.url), method: "POST", headers, body: metric.body };
  }
  headers["content-type"] = "application/x-www-form-urlencoded";
  return { url: spec.url, method: "POST", headers, body: params.toString() };
}

async function measureQuery(
  spec: ProviderSpec,
  metric: ProviderQuery,
  auth: { headers: Record<string, string>; secrets: string[] },
  options: CollectProviderOptions,
): Promise<Measured> {
  const program = compileJq(metric.jqExpression);
  const answer = await callBackend(buildRequest(spec, metric, auth.headers), {
    timeoutMs: spec.timeoutMs ?? options.timeoutMs,
    retries: spec.retries ?? options.retries,
    retryDelayMs: options.retryDelayMs,
    signal: options.signal,
    redact: auth.secrets,
  });
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    const what =
      answer.status >= 400
        ? `HTTP ${answer.status} ${answer.statusText}`.trim()
        : "the answer is not JSON";
    throw new Error(
      `${what}${answer.status >= 400 ? "" : ` (HTTP ${answer.status})`}: ${bodySnippet(answer.body, auth.secrets)}`,
    );
  }
  if (isPrometheusEnvelope(json)) {
    const envelope = json as { status: string; errorType?: unknown; error?: unknown };
    // Cut here too, so that the HTTP status at the end survives the final cut.
    const text = (v: unknown, fallback: string) =>
      typeof v === "string" ? sanitizeBackendText(v, auth.secrets, 300) : fallback;
    if (envelope.status === "error") {
      return {
        status: "error",
        reason: `Prometheus error (${text(envelope.errorType, "unknown")}): ${text(envelope.error, "(no message)")} (HTTP ${answer.status})`,
      };
    }
  }
  if (answer.status >= 400) {
    throw new Error(
      `HTTP ${answer.status} ${answer.statusText}: ${bodySnippet(answer.body, auth.secrets)}`,
    );
  }
  let outputs: unknown[];
  try {
    outputs = program.run(json);
  } catch (error) {
    if (error instanceof ProviderError) {
      throw new Error(`jq ${metric.jqExpression.trim()}: ${error.message}`);
    }
    throw error;
  }
  const first = outputs[0];
  if (first === undefined || first === null) {
    return {
      status: "no-data",
      reason: `no data: jq ${metric.jqExpression.trim()} found no value`,
    };
  }
  let value: number;
  if (typeof first === "number") value = first;
  else if (typeof first === "string") {
    try {
      value = parsePrometheusValue(first.trim());
    } catch {
      throw new Error(
        `jq ${metric.jqExpression.trim()} gave ${JSON.stringify(first)}, not a number`,
      );
    }
  } else {
    const shown = JSON.stringify(first) ?? typeof first;
    throw new Error(
      `jq ${metric.jqExpression.trim()} gave ${shown.length > 80 ? `${shown.slice(0, 80)}...` : shown}, not a number`,
    );
  }
  if (Number.isNaN(value)) return { status: "nan", reason: "the backend returned NaN" };
  return { status: "ok", value };
}
