import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findClosedPort } from "@iter8/test-utils";
import { GREETER_PROTO_PATH, startGreeterServer as startDemoGreeter } from "@iter8/demo-app";
import type { GreeterCall } from "@iter8/demo-app";
import { runGrpcLoad } from "../src/index.js";
import type { GrpcLoadOptions } from "../src/index.js";
import { startGreeterServer } from "./greeter-server.js";
import type { GreeterServer } from "./greeter-server.js";

const PROTO = fileURLToPath(new URL("./protos/greeter.proto", import.meta.url));

let server: GreeterServer;
beforeAll(async () => {
  server = await startGreeterServer();
});
afterAll(() => server.close());

function options(overrides: Partial<GrpcLoadOptions>): GrpcLoadOptions {
  return {
    host: server.host,
    call: "helloworld.Greeter.SayHello",
    proto: PROTO,
    data: { name: "bob" },
    numRequests: 50,
    qps: 0,
    concurrency: 4,
    warmupMs: 0,
    ...overrides,
  };
}

/** The calls the server saw since `before`. */
function seenSince(before: number) {
  return server.seen.slice(before);
}

describe("runGrpcLoad, unary", () => {
  it("makes exactly numRequests measured calls, all OK, each with the message as sent", async () => {
    const before = server.seen.length;
    const result = await runGrpcLoad(options({}));
    expect(result.kind).toBe("unary");
    expect(result.requests).toBe(50);
    expect(result.errors).toBe(0);
    expect(result.statusCodes).toEqual({ "0": 50 });
    expect(result.statusNames).toEqual({ OK: 50 });
    expect(result.latency.count).toBe(50);
    expect(result.streams).toBeUndefined();
    expect(seenSince(before)).toHaveLength(50);
    expect(seenSince(before).every((c) => c.names[0] === "bob")).toBe(true);
  });

  it("accepts package.Service/Method and discards skipFirst calls before measuring", async () => {
    const before = server.seen.length;
    const result = await runGrpcLoad(
      options({ call: "helloworld.Greeter/SayHello", numRequests: 20, skipFirst: 7 }),
    );
    expect(result.requests).toBe(20);
    expect(result.warmupRequests).toBe(7);
    expect(seenSince(before)).toHaveLength(27);
  });

  it("counts calls by status code when the server answers errors", async () => {
    const result = await runGrpcLoad(
      options({
        data: [{ name: "ok" }, { name: "status:14" }, { name: "status:3" }, { name: "ok" }],
        numRequests: 40,
        concurrency: 1,
      }),
    );
    expect(result.requests).toBe(40);
    expect(result.statusCodes).toEqual({ "0": 20, "14": 10, "3": 10 });
    expect(result.statusNames).toEqual({ OK: 20, Unavailable: 10, InvalidArgument: 10 });
    expect(result.errors).toBe(20);
  });

  it("counts the demo app's injected errors by status, with metadata as the server saw it", async () => {
    const calls: GreeterCall[] = [];
    const demo = await startDemoGreeter({
      port: 0,
      version: { name: "v2", errorRate: 1, grpcErrorCode: 8 },
      onCall: (call) => calls.push(call),
    });
    try {
      const result = await runGrpcLoad(
        options({
          host: demo.address,
          proto: GREETER_PROTO_PATH,
          metadata: { "x-tenant": "t1", "trace-bin": "raw" },
          numRequests: 20,
        }),
      );
      expect(result.statusCodes).toEqual({ "8": 20 });
      expect(result.statusNames).toEqual({ ResourceExhausted: 20 });
      expect(result.errors).toBe(20);
      expect(calls).toHaveLength(20);
      for (const call of calls) {
        expect(call.metadata["x-tenant"]).toEqual(["t1"]);
        expect(call.metadata["trace-bin"]).toEqual([Buffer.from("raw").toString("base64")]);
      }
    } finally {
      await demo.close();
    }
  });

  it("counts no status as an error with countErrors: false", async () => {
    const result = await runGrpcLoad(
      options({
        data: [{ name: "ok" }, { name: "status:5" }],
        numRequests: 10,
        countErrors: false,
      }),
    );
    expect(result.statusNames).toEqual({ OK: 5, NotFound: 5 });
    expect(result.errors).toBe(0);
  });

  it("counts a call past its deadline as DeadlineExceeded, an error", async () => {
    const result = await runGrpcLoad(
      options({
        data: [{ name: "sleep:2000" }, { name: "ok" }],
        numRequests: 4,
        concurrency: 2,
        timeoutMs: 200,
      }),
    );
    expect(result.requests).toBe(4);
    expect(result.statusNames).toEqual({ OK: 2, DeadlineExceeded: 2 });
    expect(result.errors).toBe(2);
  });

  it("sends metadata and renders ghz's templates per call (RequestNumber distinct per call)", async () => {
    const before = server.seen.length;
    const result = await runGrpcLoad(
      options({
        data: { name: "n{{.RequestNumber}} {{.MethodName}} {{.InputName}} {{randomString 6}}" },
        metadata: {
          "x-user": "u{{.RequestNumber}}",
          "x-static": "fixed",
          "x-svc": "{{.ServiceName}}",
        },
        numRequests: 30,
        concurrency: 3,
      }),
    );
    expect(result.requests).toBe(30);
    const calls = seenSince(before);
    expect(calls).toHaveLength(30);
    const numbers = calls.map((c) => Number(/^n(\d+) /.exec(c.names[0] ?? "")?.[1]));
    expect(new Set(numbers).size).toBe(30);
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    for (const call of calls) {
      expect(call.names[0]).toMatch(/^n\d+ SayHello HelloRequest [A-Za-z0-9]{6}$/);
      const n = /^n(\d+)/.exec(call.names[0] ?? "")?.[1];
      expect(call.metadata["x-user"]).toBe(`u${n}`);
      expect(call.metadata["x-static"]).toBe("fixed");
      expect(call.metadata["x-svc"]).toBe("Greeter");
    }
  });

  it("counts calls to an unreachable host as transport failures (Unavailable), without crashing", async () => {
    const port = await findClosedPort();
    const result = await runGrpcLoad(
      options({ host: `127.0.0.1:${port}`, numRequests: 12, concurrency: 3, timeoutMs: 2000 }),
    );
    expect(result.requests).toBe(12);
    expect(result.errors).toBe(12);
    expect(result.errorClasses).toEqual({ refused: 12 });
    expect(result.statusCodes).toEqual({});
    expect(result.statusNames).toEqual({ Unavailable: 12 });
  });

  it("keeps the partial result when aborted mid-load", async () => {
    const controller = new AbortController();
    let aborted = false;
    const result = await runGrpcLoad(
      options({
        data: { name: "sleep:5" },
        numRequests: undefined,
        durationMs: 20_000,
        concurrency: 2,
      }),
      {
        signal: controller.signal,
        onProgress: (progress) => {
          if (!aborted && progress.completed >= 10) {
            aborted = true;
            controller.abort();
          }
        },
      },
    );
    expect(result.aborted).toBe(true);
    expect(result.requests).toBeGreaterThanOrEqual(10);
    expect(result.statusNames.OK).toBe(result.requests);
    expect(result.durationMs).toBeLessThan(15_000);
  });

  it("holds a paced rate (loose bounds)", async () => {
    const result = await runGrpcLoad(options({ qps: 200, numRequests: 200, concurrency: 8 }));
    expect(result.requests).toBe(200);
    expect(result.errors).toBe(0);
    // 200 calls due over 1 s: the measured span is the schedule's, stretched only by late answers.
    expect(result.durationMs).toBeGreaterThanOrEqual(990);
    expect(result.achievedRate).toBeGreaterThan(100);
    expect(result.achievedRate).toBeLessThanOrEqual(202);
    expect(result.dispatchLagMs).toBeDefined();
    expect(result.queueWait.count).toBe(200);
  });

  it("follows a rate ramp through the shared pacer (schedule)", async () => {
    const result = await runGrpcLoad(
      options({
        qps: 150,
        schedule: { kind: "step", start: 50, step: 50, end: 150, stepDurationMs: 300 },
        numRequests: 120,
        concurrency: 4,
      }),
    );
    expect(result.requests).toBe(120);
    expect(result.statusNames).toEqual({ OK: 120 });
    // 15 calls at 50/s, then 30 at 100/s, then 75 at 150/s: about 1.1 s, never the 0.8 s of 150/s.
    expect(result.durationMs).toBeGreaterThan(950);
  });

  it("spreads the load over 2 worker threads with exact counts", async () => {
    const before = server.seen.length;
    const result = await runGrpcLoad(
      options({
        data: { name: "w{{.RequestNumber}}" },
        numRequests: 60,
        concurrency: 4,
        connections: 2,
        workers: 2,
      }),
    );
    expect(result.requests).toBe(60);
    expect(result.statusNames).toEqual({ OK: 60 });
    const names = seenSince(before).map((c) => c.names[0]);
    expect(names).toHaveLength(60);
    expect(new Set(names).size).toBe(60);
  });
});
