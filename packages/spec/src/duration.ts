import { SpecError } from "./errors.js";

/** Milliseconds per Go duration unit. */
const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration (`time.ParseDuration`) without a sign: `500ms`, `10s`, `1m30s`, `1.5h`, `0`. */
export const GO_DURATION_PATTERN = "^(0|((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|μs|ms|s|m|h))+)$";

const GO_DURATION = new RegExp(GO_DURATION_PATTERN, "u");
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gu;

/** Explains why `text` is not a Go duration, or returns undefined when it is one. */
export function explainBadDuration(text: string): string | undefined {
  const t = text.trim();
  if (GO_DURATION.test(t)) return undefined;
  const example = 'use Go syntax such as "500ms", "10s", "1m30s" or "1h"';
  if (t === "") return `a duration cannot be empty; ${example}`;
  if (/^[-+]/.test(t)) return `invalid duration "${text}": durations cannot be negative or signed`;
  if (/^\d+(\.\d+)?$/.test(t)) {
    return `invalid duration "${text}": missing a unit (ns, us, ms, s, m or h), e.g. "${t}s"`;
  }
  return `invalid duration "${text}": ${example}`;
}

/**
 * Parses a Go-syntax duration (`500ms`, `10s`, `1m30s`, `1h`) into milliseconds (fractional for
 * sub-millisecond units). Throws a `SpecError` (`ITER8_SPEC_INVALID`) for anything else.
 */
export function parseDuration(text: string): number {
  const problem = explainBadDuration(text);
  if (problem) throw new SpecError("ITER8_SPEC_INVALID", problem);
  const t = text.trim();
  if (t === "0") return 0;
  let ms = 0;
  for (const [, amount, unit] of t.matchAll(PART)) {
    ms += Number(amount) * (UNIT_MS[unit ?? ""] ?? Number.NaN);
  }
  // Round away floating-point noise (e.g. 0.1h) below a nanosecond.
  return Math.round(ms * 1e6) / 1e6;
}

/**
 * Formats milliseconds as a Go-style duration that `parseDuration` reads back: `500ms`, `10s`,
 * `1m30s`, `1h`, `1h0m5s`; sub-millisecond values use `us`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new SpecError("ITER8_SPEC_INVALID", `cannot format ${ms} ms as a duration`);
  }
  if (ms === 0) return "0s";
  if (ms < 1) return `${trimNumber(ms * 1000)}us`;
  if (ms < 1000) return `${trimNumber(ms)}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms - hours * 3_600_000) / 60_000);
  const seconds = (ms - hours * 3_600_000 - minutes * 60_000) / 1000;
  let text = "";
  if (hours > 0) text += `${hours}h`;
  if (minutes > 0 || (hours > 0 && seconds > 0)) text += `${minutes}m`;
  if (seconds > 0) text += `${trimNumber(seconds)}s`;
  return text;
}

function trimNumber(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}
