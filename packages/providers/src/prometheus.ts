import { bodySnippet, callBackend } from "./backend-call.js";
import type { BackendAnswer, BackendCallOptions } from "./backend-call.js";
import { PROVIDER_ERROR_CODES, ProviderError } from "./errors.js";
import { sanitizeBackendText } from "./redact.js";

/** A sample's labels. */
export type PrometheusLabels = Record<string, string>;

/** `[unix seconds, "value"]`: Prometheus sends values as strings (`"NaN"`, `"+Inf"` included). */
export type PrometheusPoint = [number, string];

/** The `data` of a successful query, by `resultType`. */
export type PrometheusData =
  | { resultType: "vector"; result: Array<{ metric: PrometheusLabels; value: PrometheusPoint }> }
  | { resultType: "matrix"; result: Array<{ metric: PrometheusLabels; values: PrometheusPoint[] }> }
  | { resultType: "scalar"; result: PrometheusPoint }
  | { resultType: "string"; result: PrometheusPoint };

/** Prometheus' HTTP API envelope. */
export type PrometheusResponse =
  | { status: "success"; data: PrometheusData; warnings?: string[] }
  | { status: "error"; errorType: string; error: string; warnings?: string[] };

/** How a measurement came out. `no-data` is never turned into 0. */
export type MeasurementStatus = "ok" | "no-data" | "nan" | "error";

/** One value read from a backend, or why there is none. */
export type MeasuredValue =
  { status: "ok"; value: number } | { status: "no-data" | "nan" | "error"; reason: string };

/** Reads a Prometheus sample value: decimal text, `NaN`, `+Inf`, `-Inf`. */
export function parsePrometheusValue(text: string): number {
  switch (text) {
    case "NaN":
      return Number.NaN;
    case "+Inf":
    case "Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
    default: {
      const value = Number(text);
      if (text.trim() === "" || Number.isNaN(value)) {
        throw new ProviderError(
          PROVIDER_ERROR_CODES.backend,
          `Prometheus sent a sample value that is not a number: ${JSON.stringify(text)}`,
        );
      }
      return value;
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPoint(value: unknown): value is PrometheusPoint {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    typeof value[0] === "number" &&
    typeof value[1] === "string"
  );
}

function isLabels(value: unknown): value is PrometheusLabels {
  return isRecord(value) && Object.values(value).every((v) => typeof v === "string");
}

/** True when `value` has the shape of Prometheus' envelope (`status` success or error). */
export function isPrometheusEnvelope(value: unknown): boolean {
  return isRecord(value) && (value.status === "success" || value.status === "error");
}

function garbage(
  answer: Pick<BackendAnswer, "status" | "body">,
  why: string,
  secrets: readonly string[],
): ProviderError {
  return new ProviderError(
    PROVIDER_ERROR_CODES.backend,
    `HTTP ${answer.status}: ${why}: ${bodySnippet(answer.body, secrets)}`,
  );
}

/**
 * Checks an answer of Prometheus' query API and returns its typed envelope. An error envelope is
 * returned as data (any HTTP status); an answer that is not the envelope throws `ITER8_PROVIDER_BACKEND`
 * with the HTTP status and a snippet of the body. Texts taken from the body (the snippet, the
 * error envelope's `errorType` and `error`, warnings) are sanitised: `secrets` and credentials redacted,
 * control characters removed, length bounded (see `sanitizeBackendText`).
 */
export function parsePrometheusResponse(
  answer: Pick<BackendAnswer, "status" | "body">,
  secrets: readonly string[] = [],
): PrometheusResponse {
  let json: unknown;
  try {
    json = JSON.parse(answer.body);
  } catch {
    throw garbage(answer, "the answer is not JSON", secrets);
  }
  if (!isRecord(json) || !isPrometheusEnvelope(json)) {
    throw garbage(answer, "the answer is not a Prometheus API envelope", secrets);
  }
  const warnings = Array.isArray(json.warnings)
    ? json.warnings
        .filter((w): w is string => typeof w === "string")
        .map((w) => sanitizeBackendText(w, secrets))
    : undefined;
  const extra = warnings && warnings.length > 0 ? { warnings } : {};
  if (json.status === "error") {
    return {
      status: "error",
      errorType:
        typeof json.errorType === "string"
          ? sanitizeBackendText(json.errorType, secrets, 100)
          : "unknown",
      error:
        typeof json.error === "string" ? sanitizeBackendText(json.error, secrets) : "(no message)",
      ...extra,
    };
  }
  if (answer.status >= 400) throw garbage(answer, "HTTP error with a success envelope", secrets);
  const data = json.data;
  if (!isRecord(data)) throw garbage(answer, "the answer has no data", secrets);
  const result = data.result;
  switch (data.resultType) {
    case "vector":
      if (
        Array.isArray(result) &&
        result.every((s) => isRecord(s) && isLabels(s.metric) && isPoint(s.value))
      ) {
        return { status: "success", data: data as PrometheusData, ...extra };
      }
      break;
    case "matrix":
      if (
        Array.isArray(result) &&
        result.every(
          (s) =>
            isRecord(s) && isLabels(s.metric) && Array.isArray(s.values) && s.values.every(isPoint),
        )
      ) {
        return { status: "success", data: data as PrometheusData, ...extra };
      }
      break;
    case "scalar":
    case "string":
      if (isPoint(result)) return { status: "success", data: data as PrometheusData, ...extra };
      break;
  }
  throw garbage(
    answer,
    `unexpected data of resultType ${sanitizeBackendText(JSON.stringify(data.resultType) ?? "", secrets, 60)}`,
    secrets,
  );
}

/**
 * The single value of an instant query: `ok`, `nan`, `no-data` for an empty result, or `error`
 * for an error envelope or a vector with more than one series.
 */
export function measurePrometheusResult(response: PrometheusResponse): MeasuredValue {
  if (response.status === "error") {
    return {
      status: "error",
      reason: `Prometheus error (${response.errorType}): ${response.error}`,
    };
  }
  const data = response.data;
  let text: string | undefined;
  if (data.resultType === "scalar") text = data.result[1];
  else if (data.resultType === "vector") {
    if (data.result.length === 0)
      return { status: "no-data", reason: "the query returned no series" };
    if (data.result.length > 1) {
      return {
        status: "error",
        reason: `the query returned ${data.result.length} series; aggregate it to one (e.g. sum(...))`,
      };
    }
    text = data.result[0]?.value[1];
  } else if (data.resultType === "matrix") {
    const series = data.result;
    if (series.length === 0 || series.every((s) => s.values.length === 0)) {
      return { status: "no-data", reason: "the query returned no series" };
    }
    if (series.length > 1) {
      return {
        status: "error",
        reason: `the query returned ${series.length} series; aggregate it to one`,
      };
    }
    text = series[0]?.values.at(-1)?.[1];
  } else {
    return { status: "error", reason: "the query returned a string, not a number" };
  }
  const value = parsePrometheusValue(text ?? "");
  if (Number.isNaN(value)) return { status: "nan", reason: "the query returned NaN" };
  return { status: "ok", value };
}

/** Where and how to query Prometheus. */
export interface PrometheusClientOptions extends BackendCallOptions {
  /** Base URL of Prometheus, e.g. `http://127.0.0.1:9090` (the `/api/v1/...` path is added). */
  baseUrl: string;
  /** GET (query string) or POST (form-encoded body, for long queries); default GET. */
  method?: "GET" | "POST";
  /** Extra headers, e.g. authorization. */
  headers?: Record<string, string>;
}

/** An instant query. */
export interface PrometheusInstantQuery {
  query: string;
  /** Evaluation time (default: now). */
  time?: Date;
}

/** A range query. */
export interface PrometheusRangeQuery {
  query: string;
  start: Date;
  end: Date;
  /** Resolution step in seconds. */
  stepSeconds: number;
}

async function queryApi(
  path: "query" | "query_range",
  params: Record<string, string>,
  options: PrometheusClientOptions,
): Promise<PrometheusResponse> {
  const base = options.baseUrl.replace(/\/+$/, "").replace(/\/api\/v1(\/query(_range)?)?$/, "");
  const url = `${base}/api/v1/${path}`;
  const form = new URLSearchParams(params).toString();
  const method = options.method ?? "GET";
  const answer = await callBackend(
    method === "GET"
      ? { url: `${url}?${form}`, method, headers: options.headers ?? {} }
      : {
          url,
          method,
          headers: { "content-type": "application/x-www-form-urlencoded", ...options.headers },
          body: form,
        },
    options,
  );
  return parsePrometheusResponse(answer, options.redact);
}

const seconds = (date: Date) => String(date.getTime() / 1000);

/** Runs an instant query (`/api/v1/query`) and returns the typed envelope. */
export function queryPrometheus(
  query: PrometheusInstantQuery,
  options: PrometheusClientOptions,
): Promise<PrometheusResponse> {
  const params: Record<string, string> = { query: query.query };
  if (query.time) params.time = seconds(query.time);
  return queryApi("query", params, options);
}

/** Runs a range query (`/api/v1/query_range`) and returns the typed envelope. */
export function queryPrometheusRange(
  query: PrometheusRangeQuery,
  options: PrometheusClientOptions,
): Promise<PrometheusResponse> {
  return queryApi(
    "query_range",
    {
      query: query.query,
      start: seconds(query.start),
      end: seconds(query.end),
      step: String(query.stepSeconds),
    },
    options,
  );
}
