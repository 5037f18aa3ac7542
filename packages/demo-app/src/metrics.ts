/** Upper bounds (seconds) of the `demo_app_request_duration_seconds` histogram buckets; `+Inf` is implied. */
export const DURATION_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The `Content-Type` of the Prometheus text exposition format, version 0.0.4. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Route labels (the `path` label of `demo_app_requests_total`): templates, so cardinality stays bounded. */
export const ROUTES = [
  "/",
  "/get",
  "/post",
  "/put",
  "/patch",
  "/delete",
  "/anything",
  "/status/:code",
  "/delay/:ms",
  "/healthz",
  "other",
] as const;

/** One of the route labels above. */
export type RouteLabel = (typeof ROUTES)[number];

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"] as const;
const METHOD_INDEX = new Map<string, number>(METHODS.map((m, i) => [m, i]));
const OTHER_METHOD = METHODS.length - 1;
const ROUTE_INDEX = new Map<string, number>(ROUTES.map((r, i) => [r, i]));

/** Escapes a label value per the exposition format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\\" ? "\\\\" : c === '"' ? '\\"' : "\\n"));
}

interface RequestSeries {
  labels: string;
  count: number;
}

/**
 * The counters and latency histogram of one version, kept as plain numbers so that recording a
 * request is a map lookup and a few additions; rendering happens only when `/metrics` is scraped.
 */
export class VersionMetrics {
  private readonly versionLabel: string;
  private readonly requests = new Map<number, RequestSeries>();
  /** Non-cumulative counts per bucket; the last slot counts observations above every bound. */
  private readonly bucketCounts: number[];
  private durationSum = 0;
  private durationCount = 0;
  private errors = 0;

  constructor(readonly version: string) {
    this.versionLabel = `version="${escapeLabelValue(version)}"`;
    this.bucketCounts = new Array<number>(DURATION_BUCKETS_SECONDS.length + 1).fill(0);
  }

  /** Counts one answered request: its method, route label, status code and duration in seconds. */
  record(method: string, route: RouteLabel, code: number, seconds: number): void {
    const methodIndex = METHOD_INDEX.get(method) ?? OTHER_METHOD;
    const routeIndex = ROUTE_INDEX.get(route) ?? 0;
    const key = (routeIndex * 16 + methodIndex) * 1000 + code;
    const series = this.requests.get(key);
    if (series) series.count += 1;
    else {
      const labels =
        `${this.versionLabel},method="${METHODS[methodIndex]}",` +
        `path="${escapeLabelValue(route)}",code="${code}"`;
      this.requests.set(key, { labels, count: 1 });
    }
    if (code >= 500) this.errors += 1;

    const bounds = DURATION_BUCKETS_SECONDS;
    let bucket = 0;
    while (bucket < bounds.length && seconds > (bounds[bucket] ?? Infinity)) bucket += 1;
    this.bucketCounts[bucket] = (this.bucketCounts[bucket] ?? 0) + 1;
    this.durationSum += seconds;
    this.durationCount += 1;
  }

  /** The metric families of this version in the Prometheus text exposition format 0.0.4. */
  render(): string {
    const lines: string[] = [
      "# HELP demo_app_requests_total Requests answered by the demo app, by version, method, path and status code.",
      "# TYPE demo_app_requests_total counter",
    ];
    const series = [...this.requests.values()].sort((a, b) => a.labels.localeCompare(b.labels));
    for (const s of series) lines.push(`demo_app_requests_total{${s.labels}} ${s.count}`);

    lines.push(
      "# HELP demo_app_request_duration_seconds Time from request arrival to response, in seconds.",
      "# TYPE demo_app_request_duration_seconds histogram",
    );
    let cumulative = 0;
    DURATION_BUCKETS_SECONDS.forEach((bound, i) => {
      cumulative += this.bucketCounts[i] ?? 0;
      lines.push(
        `demo_app_request_duration_seconds_bucket{${this.versionLabel},le="${bound}"} ${cumulative}`,
      );
    });
    lines.push(
      `demo_app_request_duration_seconds_bucket{${this.versionLabel},le="+Inf"} ${this.durationCount}`,
      `demo_app_request_duration_seconds_sum{${this.versionLabel}} ${this.durationSum}`,
      `demo_app_request_duration_seconds_count{${this.versionLabel}} ${this.durationCount}`,
      "# HELP demo_app_errors_total Requests answered with a 5xx status (injected errors included), by version.",
      "# TYPE demo_app_errors_total counter",
      `demo_app_errors_total{${this.versionLabel}} ${this.errors}`,
    );
    return `${lines.join("\n")}\n`;
  }
}
