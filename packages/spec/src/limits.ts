/**
 * Bounds on what an experiment (or a routing or rollout file) may ask for, each stated in the error
 * that enforces it. They keep a typo (`connections: 1e6`, `duration: 600h`) from exhausting the
 * machine or from overflowing Node's timers, and are documented in docs/experiment-reference.md.
 */
export const SPEC_LIMITS = {
  /** Longest duration accepted anywhere (7 days); Node's timers overflow at 2^31-1 ms (24.8 days). */
  maxDurationMs: 7 * 24 * 3_600_000,
  /** Most connections (requests in flight) per version of a load task. */
  maxConnections: 10_000,
  /** Highest target rate per version of a load task, in requests per second. */
  maxQps: 1_000_000,
  /** Most worker threads per version of a load task. */
  maxWorkers: 256,
  /** Deepest nesting of an `if:` condition (parentheses, `not`, `and`/`or` operands). */
  maxConditionDepth: 64,
} as const;

/** The 7-day duration bound as text for messages. */
export const MAX_DURATION_TEXT = "168h (7 days)";
