/** Milliseconds per Go duration unit (Go's `time.ParseDuration` units). */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3, // U+00B5 micro sign
  μs: 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const DURATION = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$/;
const PART = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * Parses a Go-style duration (`500ms`, `1.5s`, `1m30s`, `0`) into milliseconds, or returns
 * `undefined` when the text is not one. Like Go, a number needs a unit unless it is `0`.
 */
export function parseGoDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "0" || trimmed === "+0" || trimmed === "-0") return 0;
  if (!DURATION.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) {
    const value = Number(match[1]);
    const unit = UNIT_MS[match[2] ?? ""];
    if (unit === undefined || !Number.isFinite(value)) return undefined;
    total += value * unit;
  }
  return trimmed.startsWith("-") ? -total : total;
}
