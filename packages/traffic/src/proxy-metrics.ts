import { builtInMetricSummaries, deriveBuiltInMetrics, LatencyHistogram } from "@iter8/metrics";
import type { BuiltInMetrics } from "@iter8/metrics";
import { BUILT_IN_METRICS, percentileMetricName } from "@iter8/spec";
import type { Insights, MetricSummary } from "@iter8/spec";

/** Live traffic is what clients asked for; mirror traffic is the copies. */
export type TrafficKind = "live" | "mirror";

/** Why a mirror copy was not sent. */
export type MirrorSkipReason = "body-too-large" | "concurrency" | "method";

/** Counters of one version for one kind of traffic, as plain data. */
export interface TrafficCounters {
  /** Completed requests (answered, or failed to reach the version). */
  requests: number;
  /** 5xx answers, and requests that could not reach the version or timed out. */
  errors: number;
  /**
   * Requests the client abandoned before its answer was complete (it closed the connection).
   * Counted apart: neither in `requests` nor in `errors`, so no client can move a version's
   * error rate by hanging up. Always 0 for mirror traffic.
   */
  clientAborts: number;
  /** Latency histogram in microseconds, `LatencyHistogram.encode()`d. */
  latency: string;
}

/** Counters of one version. */
export interface VersionStats {
  live: TrafficCounters;
  mirror: TrafficCounters;
  /** Mirror copies not sent, by reason. */
  mirrorSkipped: Record<MirrorSkipReason, number>;
}

/** A snapshot of a proxy's counters (cumulative since start, or over a window). */
export interface ProxyStats {
  /** Generation of the route table in force when the snapshot was taken. */
  generation: number;
  /** Requests no route matched (answered 404). */
  unrouted: number;
  versions: Record<string, VersionStats>;
}

interface Counters {
  requests: number;
  errors: number;
  clientAborts: number;
  latency: LatencyHistogram;
}

interface VersionCounters {
  live: Counters;
  mirror: Counters;
  mirrorSkipped: Record<MirrorSkipReason, number>;
}

const newCounters = (): Counters => ({
  requests: 0,
  errors: 0,
  clientAborts: 0,
  latency: new LatencyHistogram(),
});
const newVersion = (): VersionCounters => ({
  live: newCounters(),
  mirror: newCounters(),
  mirrorSkipped: { "body-too-large": 0, concurrency: 0, method: 0 },
});

function count(c: Counters, error: boolean, latencyUs: number): void {
  c.requests++;
  if (error) c.errors++;
  c.latency.record(latencyUs);
}

/** Per-version request, error and latency counters of a proxy, cumulative and per window. */
export class ProxyMetrics {
  private total = new Map<string, VersionCounters>();
  private window = new Map<string, VersionCounters>();
  private unroutedTotal = 0;
  private unroutedWindow = 0;

  private entry(map: Map<string, VersionCounters>, version: string): VersionCounters {
    let entry = map.get(version);
    if (!entry) {
      entry = newVersion();
      map.set(version, entry);
    }
    return entry;
  }

  /** Records one completed request. */
  record(version: string, kind: TrafficKind, error: boolean, latencyUs: number): void {
    count(this.entry(this.total, version)[kind], error, latencyUs);
    count(this.entry(this.window, version)[kind], error, latencyUs);
  }

  /** Counts a live request its client abandoned before the answer was complete. */
  recordClientAbort(version: string): void {
    this.entry(this.total, version).live.clientAborts++;
    this.entry(this.window, version).live.clientAborts++;
  }

  /** Counts a mirror copy that was not sent. */
  skipMirror(version: string, reason: MirrorSkipReason): void {
    this.entry(this.total, version).mirrorSkipped[reason]++;
    this.entry(this.window, version).mirrorSkipped[reason]++;
  }

  /** Counts a request no route matched. */
  recordUnrouted(): void {
    this.unroutedTotal++;
    this.unroutedWindow++;
  }

  /** Makes sure a version shows in snapshots (with zero counts) before its first request. */
  ensureVersion(version: string): void {
    this.entry(this.total, version);
    this.entry(this.window, version);
  }

  /**
   * Forgets a version's counters (a routing swap retired it and its last request finished), so
   * swaps through ever new version names do not grow the proxy without bound.
   */
  dropVersion(version: string): void {
    this.total.delete(version);
    this.window.delete(version);
  }

  /** Number of versions whose counters are kept. */
  get versionCount(): number {
    return this.total.size;
  }

  /** The cumulative counters. */
  snapshot(generation: number): ProxyStats {
    return toStats(this.total, this.unroutedTotal, generation);
  }

  /** The counters since the previous call (or start), then starts a new window. */
  takeWindow(generation: number): ProxyStats {
    const stats = toStats(this.window, this.unroutedWindow, generation);
    this.window = new Map([...this.total.keys()].map((v) => [v, newVersion()]));
    this.unroutedWindow = 0;
    return stats;
  }

  /** The cumulative counters in Prometheus text exposition format (0.0.4). */
  toPrometheus(generation: number): string {
    const lines: string[] = [];
    const label = (v: string) => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
    const each = (fn: (version: string, kind: TrafficKind, c: Counters) => void) => {
      for (const [version, entry] of this.total) {
        for (const kind of ["live", "mirror"] as const) fn(label(version), kind, entry[kind]);
      }
    };
    lines.push(
      "# HELP iter8_proxy_requests_total Requests completed, by version and traffic (live or mirror).",
      "# TYPE iter8_proxy_requests_total counter",
    );
    each((v, k, c) =>
      lines.push(`iter8_proxy_requests_total{version="${v}",traffic="${k}"} ${c.requests}`),
    );
    lines.push(
      "# HELP iter8_proxy_errors_total 5xx answers and requests that failed to reach the version or timed out.",
      "# TYPE iter8_proxy_errors_total counter",
    );
    each((v, k, c) =>
      lines.push(`iter8_proxy_errors_total{version="${v}",traffic="${k}"} ${c.errors}`),
    );
    lines.push(
      "# HELP iter8_proxy_client_aborts_total Requests the client abandoned before the answer was complete (not errors).",
      "# TYPE iter8_proxy_client_aborts_total counter",
    );
    each((v, k, c) =>
      lines.push(
        `iter8_proxy_client_aborts_total{version="${v}",traffic="${k}"} ${c.clientAborts}`,
      ),
    );
    lines.push(
      "# HELP iter8_proxy_request_duration_seconds Time from request start to response end.",
      "# TYPE iter8_proxy_request_duration_seconds summary",
    );
    each((v, k, c) => {
      const base = `version="${v}",traffic="${k}"`;
      for (const q of [0.5, 0.9, 0.95, 0.99]) {
        const value = c.latency.count > 0 ? c.latency.percentile(q * 100) / 1e6 : Number.NaN;
        lines.push(`iter8_proxy_request_duration_seconds{${base},quantile="${q}"} ${value}`);
      }
      const sum = c.latency.count > 0 ? (c.latency.mean * c.latency.count) / 1e6 : 0;
      lines.push(`iter8_proxy_request_duration_seconds_sum{${base}} ${sum}`);
      lines.push(`iter8_proxy_request_duration_seconds_count{${base}} ${c.latency.count}`);
    });
    lines.push(
      "# HELP iter8_proxy_mirror_skipped_total Mirror copies not sent, by reason.",
      "# TYPE iter8_proxy_mirror_skipped_total counter",
    );
    for (const [version, entry] of this.total) {
      for (const [reason, n] of Object.entries(entry.mirrorSkipped)) {
        lines.push(
          `iter8_proxy_mirror_skipped_total{version="${label(version)}",reason="${reason}"} ${n}`,
        );
      }
    }
    lines.push(
      "# HELP iter8_proxy_unrouted_total Requests no route matched (answered 404).",
      "# TYPE iter8_proxy_unrouted_total counter",
      `iter8_proxy_unrouted_total ${this.unroutedTotal}`,
      "# HELP iter8_proxy_routing_generation Generation of the route table in force.",
      "# TYPE iter8_proxy_routing_generation gauge",
      `iter8_proxy_routing_generation ${generation}`,
    );
    return `${lines.join("\n")}\n`;
  }
}

function toStats(
  map: Map<string, VersionCounters>,
  unrouted: number,
  generation: number,
): ProxyStats {
  const versions: Record<string, VersionStats> = {};
  const plain = (c: Counters): TrafficCounters => ({
    requests: c.requests,
    errors: c.errors,
    clientAborts: c.clientAborts,
    latency: c.latency.encode(),
  });
  for (const [version, entry] of map) {
    versions[version] = {
      live: plain(entry.live),
      mirror: plain(entry.mirror),
      mirrorSkipped: { ...entry.mirrorSkipped },
    };
  }
  return { generation, unrouted, versions };
}

/** The built-in metrics of one version, derived from its proxy counters. */
export interface ProxyVersionMetrics extends BuiltInMetrics {
  /** Sufficient statistics (error rate, mean latency) for comparisons; empty without requests. */
  summaries: Record<string, MetricSummary>;
  /** The metrics without a value because the version served no requests: rates and latencies. */
  noData: string[];
}

/**
 * The built-in metrics of one version from its counters (as the proxy's admin API serves them):
 * request and error counts, error rate, latencies and `pXX.X` percentiles, and their sufficient
 * statistics. A version without requests has counts of 0 and no rate or latency values (named in
 * `noData`), never a made-up 0. Throws when the latency histogram cannot be decoded.
 */
export function deriveProxyVersionMetrics(
  counters: Pick<TrafficCounters, "requests" | "errors" | "latency">,
  percentiles: readonly number[],
): ProxyVersionMetrics {
  const latency =
    counters.requests > 0 ? LatencyHistogram.decode(counters.latency) : new LatencyHistogram();
  const load = { requests: counters.requests, errors: counters.errors, latency };
  const derived = deriveBuiltInMetrics(load, [...percentiles]);
  if (counters.requests === 0) {
    const noData = [
      ...BUILT_IN_METRICS.filter(
        (m) => m !== "built-in/request-count" && m !== "built-in/error-count",
      ),
      ...percentiles.map(percentileMetricName),
    ];
    return { ...derived, summaries: {}, noData };
  }
  return { ...derived, summaries: builtInMetricSummaries(load), noData: [] };
}

/**
 * Iter8 insights (built-in metrics, one entry per version in `versions` order) from a proxy's live
 * counters, for `evaluateSlos`. A version without counters has no values, so its SLOs fail.
 */
export function insightsFromProxyStats(
  stats: ProxyStats,
  versions: readonly string[],
  percentiles: readonly number[] = [50, 75, 90, 95, 99, 99.9],
): Insights {
  let metricsInfo: Insights["metricsInfo"] = {};
  const metricValues = versions.map((name) => {
    const counters = stats.versions[name]?.live;
    if (!counters) return {};
    const derived = deriveProxyVersionMetrics(counters, percentiles);
    metricsInfo = derived.metricsInfo;
    return derived.values;
  });
  return { numVersions: versions.length, metricsInfo, metricValues };
}
