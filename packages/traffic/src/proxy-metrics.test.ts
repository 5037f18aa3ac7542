import { LatencyHistogram } from "@iter8/metrics";
import { describe, expect, it } from "vitest";
import {
  deriveProxyVersionMetrics,
  insightsFromProxyStats,
  ProxyMetrics,
} from "./proxy-metrics.js";

describe("ProxyMetrics", () => {
  it("keeps cumulative counters while each window starts from zero", () => {
    const metrics = new ProxyMetrics();
    metrics.record("v1", "live", false, 1000);
    metrics.record("v1", "live", true, 3000);
    const first = metrics.takeWindow(1);
    metrics.record("v1", "live", false, 2000);
    const second = metrics.takeWindow(1);
    expect(first.versions.v1?.live).toMatchObject({ requests: 2, errors: 1 });
    expect(second.versions.v1?.live).toMatchObject({ requests: 1, errors: 0 });
    expect(LatencyHistogram.decode(second.versions.v1?.live.latency ?? "").max).toBeCloseTo(
      2000,
      -1,
    );
    expect(metrics.snapshot(1).versions.v1?.live).toMatchObject({ requests: 3, errors: 1 });
  });

  it("writes Prometheus counters, summaries and skipped mirrors", () => {
    const metrics = new ProxyMetrics();
    metrics.record("v2", "mirror", false, 5000);
    metrics.skipMirror("v2", "concurrency");
    const text = metrics.toPrometheus(3);
    expect(text).toContain('iter8_proxy_requests_total{version="v2",traffic="mirror"} 1\n');
    expect(text).toContain(
      'iter8_proxy_request_duration_seconds_count{version="v2",traffic="mirror"} 1\n',
    );
    expect(text).toContain(
      'iter8_proxy_mirror_skipped_total{version="v2",reason="concurrency"} 1\n',
    );
    expect(text).toContain("iter8_proxy_routing_generation 3\n");
  });

  it("counts client aborts apart from requests and errors, and in Prometheus text", () => {
    const metrics = new ProxyMetrics();
    metrics.record("v1", "live", false, 1000);
    metrics.recordClientAbort("v1");
    metrics.recordClientAbort("v1");
    expect(metrics.snapshot(1).versions.v1?.live).toMatchObject({
      requests: 1,
      errors: 0,
      clientAborts: 2,
    });
    expect(metrics.takeWindow(1).versions.v1?.live.clientAborts).toBe(2);
    expect(metrics.takeWindow(1).versions.v1?.live.clientAborts).toBe(0);
    expect(metrics.toPrometheus(1)).toContain(
      'iter8_proxy_client_aborts_total{version="v1",traffic="live"} 2\n',
    );
  });

  it("forgets a dropped version's counters", () => {
    const metrics = new ProxyMetrics();
    metrics.ensureVersion("v1");
    metrics.record("v2", "live", false, 1000);
    metrics.dropVersion("v2");
    expect(metrics.versionCount).toBe(1);
    expect(Object.keys(metrics.takeWindow(1).versions)).toEqual(["v1"]);
  });

  it("turns live counters into built-in metrics per version, in the order asked", () => {
    const metrics = new ProxyMetrics();
    for (let i = 0; i < 10; i++) metrics.record("v2", "live", i < 2, 4000);
    const insights = insightsFromProxyStats(metrics.snapshot(1), ["v1", "v2"], [95]);
    expect(insights.numVersions).toBe(2);
    expect(insights.metricValues[0]).toEqual({});
    expect(insights.metricValues[1]?.["built-in/error-rate"]).toEqual([0.2]);
    expect(insights.metricValues[1]?.["built-in/p95.0"]?.[0]).toBeCloseTo(4, 1);
  });
});

describe("deriveProxyVersionMetrics", () => {
  it("gives counts of 0 and names the rates and latencies without data when nothing was served", () => {
    const derived = deriveProxyVersionMetrics({ requests: 0, errors: 0, latency: "" }, [95]);
    expect(derived.values).toEqual({
      "built-in/request-count": [0],
      "built-in/error-count": [0],
    });
    expect(derived.summaries).toEqual({});
    expect(derived.noData).toContain("built-in/error-rate");
    expect(derived.noData).toContain("built-in/mean-latency");
    expect(derived.noData).toContain("built-in/p95.0");
    expect(derived.noData).not.toContain("built-in/request-count");
  });

  it("derives values and summaries from the counters the proxy serves", () => {
    const metrics = new ProxyMetrics();
    for (const us of [1000, 2000, 3000]) metrics.record("v1", "live", us === 3000, us);
    const live = metrics.snapshot(1).versions.v1?.live;
    if (!live) throw new Error("no counters");
    const derived = deriveProxyVersionMetrics(live, [50]);
    expect(derived.noData).toEqual([]);
    expect(derived.values["built-in/error-count"]).toEqual([1]);
    expect(derived.summaries["built-in/error-rate"]).toEqual({
      type: "proportion",
      count: 3,
      successes: 1,
    });
  });
});
