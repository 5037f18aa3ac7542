import { describe, expect, it } from "vitest";
import type { GrpcLoadResult } from "@iter8/grpc";
import { LatencyHistogram } from "@iter8/metrics";
import type { GrpcTarget } from "@iter8/spec";
import { grpcLoadDetails, grpcLoadOptions } from "./grpc.js";

const target: GrpcTarget = {
  host: "127.0.0.1:50051",
  call: "helloworld.Greeter.SayHello",
  qps: 10,
  concurrency: 4,
  connections: 2,
  countErrors: true,
  numRequests: 20,
};

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

describe("grpcLoadOptions", () => {
  it("resolves relative files against the experiment's directory and keeps URLs", () => {
    const options = grpcLoadOptions(
      {
        ...target,
        proto: "protos/greeter.proto",
        importPaths: ["protos", "/abs/vendor"],
        dataURL: "data.json",
        metadataURL: "https://example.com/md.json",
        tls: { caFile: "certs/ca.pem", serverName: "greeter" },
      },
      "/exp",
    );
    expect(options).toMatchObject({
      host: "127.0.0.1:50051",
      call: "helloworld.Greeter.SayHello",
      proto: "/exp/protos/greeter.proto",
      importPaths: ["/exp/protos", "/abs/vendor"],
      dataURL: "/exp/data.json",
      metadataURL: "https://example.com/md.json",
      tls: { caFile: "/exp/certs/ca.pem", serverName: "greeter" },
      baseDir: "/exp",
      numRequests: 20,
      qps: 10,
      concurrency: 4,
      connections: 2,
      countErrors: true,
    });
  });

  it("decodes base64 binaryData into the bytes to send", () => {
    const options = grpcLoadOptions({ ...target, binaryData: ["CgNib2I="] }, "/exp");
    expect(options.binaryData).toEqual([new Uint8Array([10, 3, 98, 111, 98])]);
  });

  it("passes the ramp, the stream settings and the times through", () => {
    const options = grpcLoadOptions(
      {
        ...target,
        schedule: { kind: "line", start: 1, step: 2, end: 9 },
        streamIntervalMs: 5,
        streamCallCount: 3,
        timeoutMs: 100,
        connectTimeoutMs: 200,
        keepaliveMs: 300,
        skipFirst: 2,
      },
      "/exp",
    );
    expect(options).toMatchObject({
      schedule: { kind: "line", start: 1, step: 2, end: 9 },
      streamIntervalMs: 5,
      streamCallCount: 3,
      timeoutMs: 100,
      connectTimeoutMs: 200,
      keepaliveMs: 300,
      skipFirst: 2,
    });
  });
});

describe("grpcLoadDetails", () => {
  const base = {
    aborted: false,
    requests: 6,
    errors: 1,
    statusCodes: { "0": 5, "14": 1 },
    errorClasses: {},
    startTime: 0,
    durationMs: 1000,
    achievedRate: 6,
    latency: histogramOf([1000, 2000]),
    serviceTime: histogramOf([1000, 2000]),
    queueWait: new LatencyHistogram(),
    warmupRequests: 0,
    timeline: [],
  };

  it("records the call kind and the calls by status name", () => {
    const result = { ...base, kind: "unary", statusNames: { OK: 5, Unavailable: 1 } };
    expect(grpcLoadDetails(result as GrpcLoadResult)).toEqual({
      kind: "unary",
      statusNames: { OK: 5, Unavailable: 1 },
    });
  });

  it("records the stream figures with time to the first message in ms", () => {
    const result = {
      ...base,
      kind: "server-stream",
      statusNames: { OK: 6 },
      streams: {
        messagesSent: 6,
        messagesReceived: 24,
        sentRate: 6,
        receivedRate: 24,
        firstMessage: histogramOf([2000, 4000]),
      },
    };
    const details = grpcLoadDetails(result as GrpcLoadResult);
    expect(details.streams).toMatchObject({
      messagesSent: 6,
      messagesReceived: 24,
      sentRate: 6,
      receivedRate: 24,
    });
    expect(details.streams?.firstMessageMs?.max).toBeCloseTo(4, 2);
    expect(details.streams?.firstMessageMs?.p50).toBeCloseTo(2, 2);
  });
});
