import type { VersionLoadDetails } from "@iter8/spec";
import type { LoadResult } from "./types.js";

/** Chart buckets kept per version in the result. */
const HISTOGRAM_BUCKETS = 50;

/**
 * The per-version load details kept in `insights.loadDetails`: status codes, transport error
 * classes, latency histogram buckets (ms), the timeline, dispatch lag, and whether the run was cut
 * short.
 */
export function summariseLoad(result: LoadResult): VersionLoadDetails {
  const details: VersionLoadDetails = {
    statusCodes: { ...result.statusCodes },
    errorClasses: { ...result.errorClasses },
    histogram: result.latency.buckets(HISTOGRAM_BUCKETS),
  };
  if (result.timeline.length > 0) {
    details.timeline = result.timeline.map((p) => {
      const sample: NonNullable<VersionLoadDetails["timeline"]>[number] = {
        elapsedMs: Math.round(p.elapsedMs),
        completed: p.completed,
        errors: p.errors,
        rate: Math.round(p.rate * 10) / 10,
      };
      if (p.p50Ms !== undefined) sample.p50Ms = p.p50Ms;
      if (p.p99Ms !== undefined) sample.p99Ms = p.p99Ms;
      return sample;
    });
  }
  if (result.dispatchLagMs) details.dispatchLagMs = { ...result.dispatchLagMs };
  if (result.aborted) details.partial = true;
  return details;
}
