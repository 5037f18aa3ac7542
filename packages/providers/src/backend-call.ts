import { PROVIDER_ERROR_CODES, ProviderError } from "./errors.js";
import { sanitizeBackendText } from "./redact.js";

/** One HTTP request to a metrics backend. */
export interface BackendRequest {
  url: string;
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

/** Limits of a backend call. */
export interface BackendCallOptions {
  /** Per-attempt timeout, in milliseconds (default 10 s), covering the answer's body too. */
  timeoutMs?: number;
  /** Further attempts after a timeout, a connection error, a 429 or a 5xx (default 2; at most 5). */
  retries?: number;
  /** Wait before the first retry, doubled for each further one, in milliseconds (default 200). */
  retryDelayMs?: number;
  /** Stops the call (and its retries) promptly. */
  signal?: AbortSignal;
  /** Strings (secrets) to replace with `***` in every message (see `sanitizeBackendText`). */
  redact?: readonly string[];
}

/** A backend's answer: any HTTP status once retries are spent; the body as text. */
export interface BackendAnswer {
  status: number;
  statusText: string;
  contentType: string;
  body: string;
  /** How many attempts were made. */
  attempts: number;
}

/** Default per-attempt timeout of backend calls, in milliseconds. */
export const DEFAULT_BACKEND_TIMEOUT_MS = 10_000;
/** Default number of retries of a backend call. */
export const DEFAULT_BACKEND_RETRIES = 2;
const MAX_RETRIES = 5;
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const SNIPPET_CHARS = 200;

/**
 * The start of a body on one line, for error messages: control characters and whitespace
 * collapsed, `secrets` and credentials redacted, at most 200 chars (see `sanitizeBackendText`).
 */
export function bodySnippet(body: string, secrets: readonly string[] = []): string {
  const line = sanitizeBackendText(body, secrets, SNIPPET_CHARS);
  return line === "" ? "(empty body)" : line;
}

function shouldRetry(status: number): boolean {
  return status === 429 || status >= 500;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function readBody(response: Response): Promise<string> {
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const part of response.body) {
    const chunk = part as Uint8Array;
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      throw new Error(`the answer is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Sends `request` with a per-attempt timeout and bounded retries (timeouts, connection errors,
 * 429 and 5xx answers, with doubling back-off). Resolves with the last answer whatever its status;
 * rejects with `ProviderError` (`ITER8_PROVIDER_BACKEND`) when no answer arrived. Secrets listed in
 * `redact` never appear in messages.
 */
export async function callBackend(
  request: BackendRequest,
  options: BackendCallOptions = {},
): Promise<BackendAnswer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_BACKEND_TIMEOUT_MS;
  const retries = Math.min(MAX_RETRIES, Math.max(0, options.retries ?? DEFAULT_BACKEND_RETRIES));
  let delay = options.retryDelayMs ?? 200;
  const where = sanitizeBackendText(`${request.method} ${request.url}`, options.redact);
  let lastProblem = "";
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (options.signal?.aborted) break;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: request.headers ?? {},
        signal,
        redirect: "follow",
        ...(request.body !== undefined ? { body: request.body } : {}),
      });
      const body = await readBody(response);
      const answer: BackendAnswer = {
        status: response.status,
        statusText: response.statusText,
        contentType: response.headers.get("content-type") ?? "",
        body,
        attempts: attempt,
      };
      if (!shouldRetry(response.status) || attempt > retries) return answer;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      if (options.signal?.aborted) break;
      lastProblem = timeout.aborted
        ? `no answer within ${timeoutMs} ms`
        : describeFetchError(error);
    }
    if (attempt <= retries) {
      await sleep(delay, options.signal);
      delay *= 2;
    }
  }
  if (options.signal?.aborted) {
    throw new ProviderError(PROVIDER_ERROR_CODES.backend, `${where}: interrupted`);
  }
  const tries = retries + 1;
  throw new ProviderError(
    PROVIDER_ERROR_CODES.backend,
    sanitizeBackendText(
      `${where}: ${lastProblem} (${tries} attempt${tries === 1 ? "" : "s"})`,
      options.redact,
    ),
  );
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  return error instanceof Error ? error.message : String(error);
}
