import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GREETER_PROTO_PATH, GREETER_STREAM_REPLIES, startGreeterServer } from "@iter8/demo-app";
import type { GreeterCall, GreeterServer } from "@iter8/demo-app";
import { runGrpcLoad } from "../src/index.js";
import type { GrpcLoadOptions } from "../src/index.js";

// The demo app's Greeter (ghz's greeter.proto): SayHellos streams GREETER_STREAM_REPLIES replies.
const PROTO = GREETER_PROTO_PATH;
const REPLIES = GREETER_STREAM_REPLIES;

let server: GreeterServer;
const seen: GreeterCall[] = [];
beforeAll(async () => {
  server = await startGreeterServer({ port: 0, onCall: (call) => seen.push(call) });
});
afterAll(() => server.close());

function options(overrides: Partial<GrpcLoadOptions>): GrpcLoadOptions {
  return {
    host: server.address,
    call: "helloworld.Greeter.SayHello",
    proto: PROTO,
    numRequests: 10,
    qps: 0,
    concurrency: 2,
    warmupMs: 0,
    ...overrides,
  };
}

describe("runGrpcLoad, streaming calls", () => {
  it("client streaming: sends every data message in order, one response per call", async () => {
    const before = seen.length;
    const result = await runGrpcLoad(
      options({
        call: "helloworld.Greeter.SayHelloCS",
        data: [{ name: "a" }, { name: "b" }, { name: "c" }],
      }),
    );
    expect(result.kind).toBe("client-stream");
    expect(result.requests).toBe(10);
    expect(result.statusNames).toEqual({ OK: 10 });
    const calls = seen.slice(before);
    expect(calls).toHaveLength(10);
    for (const call of calls) expect(call.names).toEqual(["a", "b", "c"]);
    expect(result.streams?.messagesSent).toBe(30);
    expect(result.streams?.messagesReceived).toBe(10);
    expect(result.streams?.firstMessage.count).toBe(10);
    expect(result.streams?.sentRate).toBeGreaterThan(0);
  });

  it("client streaming: stream-call-count cycles the messages, stream-interval spaces them", async () => {
    const before = seen.length;
    const started = performance.now();
    const result = await runGrpcLoad(
      options({
        call: "helloworld.Greeter.SayHelloCS",
        data: [{ name: "a" }, { name: "b" }],
        streamCallCount: 5,
        streamIntervalMs: 20,
        numRequests: 4,
        concurrency: 1,
      }),
    );
    const elapsed = performance.now() - started;
    expect(result.requests).toBe(4);
    for (const call of seen.slice(before)) expect(call.names).toEqual(["a", "b", "a", "b", "a"]);
    expect(result.streams?.messagesSent).toBe(20);
    // Four calls one after another, each with four 20 ms gaps between its five messages.
    expect(elapsed).toBeGreaterThanOrEqual(4 * 4 * 20 - 5);
    // Each call lasts at least its four gaps.
    expect(result.latency.min).toBeGreaterThanOrEqual(4 * 20 * 1000 - 5000);
  });

  it("client streaming: stream-call-duration ends the stream", async () => {
    const before = seen.length;
    const result = await runGrpcLoad(
      options({
        call: "helloworld.Greeter.SayHelloCS",
        data: { name: "t" },
        streamCallCount: 1000,
        streamIntervalMs: 10,
        streamCallDurationMs: 100,
        numRequests: 2,
        concurrency: 1,
      }),
    );
    expect(result.statusNames).toEqual({ OK: 2 });
    for (const call of seen.slice(before)) {
      expect(call.names.length).toBeGreaterThanOrEqual(2);
      expect(call.names.length).toBeLessThan(60);
    }
  });

  it("server streaming: one request, every response message counted", async () => {
    const before = seen.length;
    const result = await runGrpcLoad(
      options({ call: "helloworld.Greeter.SayHellos", data: { name: "s" } }),
    );
    expect(result.kind).toBe("server-stream");
    expect(result.statusNames).toEqual({ OK: 10 });
    expect(seen.slice(before)).toHaveLength(10);
    expect(result.streams?.messagesSent).toBe(10);
    expect(result.streams?.messagesReceived).toBe(10 * REPLIES);
    expect(result.streams?.firstMessage.count).toBe(10);
    expect(result.streams?.firstMessage.max).toBeLessThanOrEqual(result.latency.max);
  });

  it("bidirectional: each message answered, per-message figures kept", async () => {
    const before = seen.length;
    const result = await runGrpcLoad(
      options({
        call: "helloworld.Greeter/SayHelloBidi",
        data: [{ name: "x{{.RequestNumber}}" }, { name: "y" }],
        streamCallCount: 3,
      }),
    );
    expect(result.kind).toBe("bidi-stream");
    expect(result.statusNames).toEqual({ OK: 10 });
    const calls = seen.slice(before);
    expect(calls).toHaveLength(10);
    for (const call of calls) {
      expect(call.names).toHaveLength(3);
      expect(call.names[1]).toBe("y");
      expect(call.names[0]).toBe(call.names[2]);
    }
    expect(new Set(calls.map((c) => c.names[0])).size).toBe(10);
    expect(result.streams?.messagesSent).toBe(30);
    expect(result.streams?.messagesReceived).toBe(30);
  });

  it("keeps warm-up calls out of the per-message figures", async () => {
    const result = await runGrpcLoad(
      options({ call: "helloworld.Greeter.SayHellos", data: { name: "w" }, skipFirst: 5 }),
    );
    expect(result.warmupRequests).toBe(5);
    expect(result.streams?.messagesSent).toBe(10);
    expect(result.streams?.messagesReceived).toBe(10 * REPLIES);
  });

  it("sums per-message figures over 2 worker threads", async () => {
    const result = await runGrpcLoad(
      options({
        call: "helloworld.Greeter.SayHellos",
        data: { name: "w" },
        numRequests: 20,
        concurrency: 2,
        workers: 2,
      }),
    );
    expect(result.requests).toBe(20);
    expect(result.streams?.messagesReceived).toBe(20 * REPLIES);
    expect(result.streams?.firstMessage.count).toBe(20);
  });
});
