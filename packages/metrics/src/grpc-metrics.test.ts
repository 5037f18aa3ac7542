import { describe, expect, it } from "vitest";
import { normaliseMetricName } from "@iter8/spec";
import { deriveBuiltInMetrics } from "./built-in-metrics.js";
import { deriveGrpcMetrics, grpcMetricNames, grpcMetricSummaries } from "./grpc-metrics.js";
import type { GrpcMetricsInput } from "./grpc-metrics.js";
import { LatencyHistogram } from "./latency-histogram.js";

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

// A constructed gRPC load: 4 calls, 1 Unavailable, latencies 1.25, 2.5, 3.75 and 5 ms.
const unary: GrpcMetricsInput = {
  requests: 4,
  errors: 1,
  latency: histogramOf([1250, 2500, 3750, 5000]),
  statusNames: { OK: 3, Unavailable: 1 },
};

describe("deriveGrpcMetrics", () => {
  it("names the load metrics as Iter8 named its gRPC metrics", () => {
    const { metricsInfo, values } = deriveGrpcMetrics(unary, [50, 99.9]);
    expect(Object.keys(values).sort()).toEqual(
      [
        "grpc/request-count",
        "grpc/error-count",
        "grpc/error-rate",
        "grpc/latency/mean",
        "grpc/latency/stddev",
        "grpc/latency/min",
        "grpc/latency/max",
        "grpc/latency/p50.0",
        "grpc/latency/p99.9",
        "grpc/status/OK",
        "grpc/status/Unavailable",
      ].sort(),
    );
    expect(Object.keys(metricsInfo).sort()).toEqual(Object.keys(values).sort());
    expect(metricsInfo["grpc/latency/p99.9"]).toEqual({
      description: "99.9-th percentile of observed latency values",
      units: "msec",
      type: "Gauge",
    });
    expect(metricsInfo["grpc/status/Unavailable"]?.type).toBe("Counter");
  });

  it("derives counts, error rate and latencies in msec without truncating to whole ms", () => {
    const { values } = deriveGrpcMetrics(unary, [50]);
    expect(values["grpc/request-count"]).toEqual([4]);
    expect(values["grpc/error-count"]).toEqual([1]);
    expect(values["grpc/error-rate"]).toEqual([0.25]);
    expect(values["grpc/latency/min"]?.[0]).toBeCloseTo(1.25, 2);
    expect(values["grpc/latency/max"]?.[0]).toBeCloseTo(5, 2);
    expect(values["grpc/latency/mean"]?.[0]).toBeCloseTo(3.125, 3);
    expect(values["grpc/latency/p50.0"]?.[0]).toBeCloseTo(2.5, 2);
  });

  it("uses the same derivation as the HTTP built-in metrics (one home)", () => {
    const http = deriveBuiltInMetrics(unary, [50]).values;
    const grpc = deriveGrpcMetrics(unary, [50]).values;
    expect(grpc["grpc/latency/mean"]).toEqual(http["built-in/mean-latency"]);
    expect(grpc["grpc/latency/p50.0"]).toEqual(http["built-in/p50.0"]);
    expect(grpc["grpc/error-rate"]).toEqual(http["built-in/error-rate"]);
  });

  it("counts calls per status name, and records OK even when no call succeeded", () => {
    const { values } = deriveGrpcMetrics(
      {
        requests: 3,
        errors: 3,
        latency: histogramOf([100, 200, 300]),
        statusNames: { DeadlineExceeded: 2, Unavailable: 1 },
      },
      [],
    );
    expect(values["grpc/status/OK"]).toEqual([0]);
    expect(values["grpc/status/DeadlineExceeded"]).toEqual([2]);
    expect(values["grpc/status/Unavailable"]).toEqual([1]);
  });

  it("with no completed call, leaves error rate and latencies without a value", () => {
    const { values } = deriveGrpcMetrics(
      { requests: 0, errors: 0, latency: new LatencyHistogram(), statusNames: {} },
      [95],
    );
    expect(values["grpc/request-count"]).toEqual([0]);
    expect(values).not.toHaveProperty("grpc/error-rate");
    expect(values).not.toHaveProperty("grpc/latency/p95.0");
  });

  it("derives the stream figures: messages, rates and time to the first message", () => {
    const { values, metricsInfo } = deriveGrpcMetrics(
      {
        ...unary,
        streams: {
          messagesSent: 40,
          messagesReceived: 120,
          sentRate: 20,
          receivedRate: 60,
          firstMessage: histogramOf([500, 1500]),
        },
      },
      [50, 99],
    );
    expect(values["grpc/stream/messages-sent"]).toEqual([40]);
    expect(values["grpc/stream/messages-received"]).toEqual([120]);
    expect(values["grpc/stream/sent-rate"]).toEqual([20]);
    expect(values["grpc/stream/received-rate"]).toEqual([60]);
    expect(values["grpc/stream/first-message/mean"]?.[0]).toBeCloseTo(1, 2);
    expect(values["grpc/stream/first-message/p99.0"]?.[0]).toBeCloseTo(1.5, 2);
    expect(metricsInfo["grpc/stream/received-rate"]?.units).toBe("messages/sec");
  });

  it("names an endpoint's metrics grpc-<endpoint>/...", () => {
    const { values } = deriveGrpcMetrics(unary, [95], "hello");
    expect(Object.keys(values)).toContain("grpc-hello/latency/p95.0");
    expect(Object.keys(values)).toContain("grpc-hello/status/OK");
    expect(Object.keys(values).every((name) => name.startsWith("grpc-hello/"))).toBe(true);
  });

  it("names percentiles as spec normalises the SLO names (grpc/latency/p50 → p50.0)", () => {
    for (const p of [50, 95, 97.5, 99.9]) {
      const name = grpcMetricNames().percentile(p);
      expect(normaliseMetricName(name)).toBe(name);
    }
    expect(normaliseMetricName("grpc/latency/p50")).toBe(grpcMetricNames().percentile(50));
    expect(normaliseMetricName("grpc-a/latency/p99")).toBe(grpcMetricNames("a").percentile(99));
  });
});

describe("grpcMetricSummaries", () => {
  it("gives the error rate as a proportion and the mean latency in msec", () => {
    const summaries = grpcMetricSummaries(unary);
    expect(summaries["grpc/error-rate"]).toEqual({ type: "proportion", count: 4, successes: 1 });
    const mean = summaries["grpc/latency/mean"];
    expect(mean?.type).toBe("mean");
    if (mean?.type !== "mean") return;
    expect(mean.count).toBe(4);
    expect(mean.sum / mean.count).toBeCloseTo(3.125, 3);
  });
});
