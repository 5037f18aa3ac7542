import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { GREETER_PROTO_PATH } from "@iter8/demo-app";
import { describe, expect, it } from "vitest";
import { grpcCommandFor, runGrpcGenerator } from "./generators.js";
import { startNodeTarget } from "./processes.js";
import type { GrpcLoadSpec } from "./generators.js";
import type { GrpcRunnerSpec } from "./runner-protocol.js";

const tools = { h2load: "/usr/bin/h2load" };
const paths = {
  iter8GrpcRunner: "/b/dist/iter8-grpc-runner.js",
  grpcJsRunner: "/b/dist/grpc-js-runner.js",
  proto: "/b/greeter.proto",
};
const spec: GrpcLoadSpec = {
  host: "127.0.0.1:4000",
  connections: 10,
  concurrency: 50,
  durationS: 10,
  rate: 0,
};

describe("grpcCommandFor", () => {
  it("runs h2load with one thread, streams per connection, the framed request and gRPC headers", () => {
    const argv = grpcCommandFor("h2load", spec, tools, paths, "/tmp/r/request.grpc");
    expect(argv.join(" ")).toBe(
      "/usr/bin/h2load -t 1 -c 10 -m 5 -D 10 -d /tmp/r/request.grpc -H content-type: application/grpc -H te: trailers http://127.0.0.1:4000/helloworld.Greeter/SayHello",
    );
  });

  it("refuses what h2load cannot do: pacing, or streams that do not split evenly", () => {
    expect(() => grpcCommandFor("h2load", { ...spec, rate: 1000 }, tools, paths, "f")).toThrow(
      /cannot pace/,
    );
    expect(() => grpcCommandFor("h2load", { ...spec, concurrency: 52 }, tools, paths, "f")).toThrow(
      /52 is not a multiple of 10/,
    );
  });

  it.each([
    ["iter8", paths.iter8GrpcRunner],
    ["grpc-js", paths.grpcJsRunner],
  ] as const)("hands %s's runner the same call, message and load as JSON", (generator, script) => {
    const argv = grpcCommandFor(
      generator,
      { ...spec, rate: 5000, warmupMs: 3000 },
      tools,
      paths,
      "f",
    );
    expect(argv[0]).toBe(process.execPath);
    expect(argv[1]).toBe(script);
    const runnerSpec = JSON.parse(argv[2] ?? "") as GrpcRunnerSpec;
    expect(runnerSpec).toEqual({
      host: "127.0.0.1:4000",
      proto: paths.proto,
      call: "helloworld.Greeter/SayHello",
      data: { name: "bench" },
      connections: 10,
      concurrency: 50,
      qps: 5000,
      durationMs: 10_000,
      warmupMs: 3000,
      rssSampleEveryMs: 0,
    });
  });
});

const TASKSET = "/usr/bin/taskset";
const TIME = "/usr/bin/time";
const H2LOAD = "/usr/bin/h2load";
const dist = (file: string): string => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));

describe.runIf(existsSync(TASKSET) && existsSync(TIME))(
  "runGrpcGenerator against the Node gRPC target",
  () => {
    const built = {
      iter8GrpcRunner: dist("iter8-grpc-runner.js"),
      grpcJsRunner: dist("grpc-js-runner.js"),
      proto: GREETER_PROTO_PATH,
    };
    const tools = {
      wrk: "",
      nginx: "",
      autocannon: "",
      taskset: TASKSET,
      time: TIME,
      h2load: H2LOAD,
    };
    const runsAgainstTheTarget = async (generator: "grpc-js" | "h2load"): Promise<void> => {
      if (!existsSync(built.grpcJsRunner)) throw new Error("build the bench first");
      const target = await startNodeTarget(
        { taskset: TASKSET, serverScript: dist("servers/target-server.js") },
        "ok",
        0,
        "grpc",
      );
      try {
        await target.reset();
        const outcome = await runGrpcGenerator(
          generator,
          {
            host: new URL(target.url).host,
            connections: 2,
            concurrency: 4,
            durationS: 1,
            rate: 0,
          },
          tools,
          built,
          1,
        );
        if (!outcome.ok) throw new Error(outcome.error);
        const arrivals = (await target.arrivals()).reduce((a, b) => a + b, 0);
        expect(outcome.run.generator).toBe(generator);
        expect(outcome.run.requests).toBeGreaterThan(0);
        expect(outcome.run.errors).toBe(0);
        // The server saw every call the generator counted (and perhaps a few it did not finish).
        expect(arrivals).toBeGreaterThanOrEqual(outcome.run.requests);
        expect(outcome.run.cpuS).toBeGreaterThan(0);
        expect(outcome.run.peakRssMb).toBeGreaterThan(0);
      } finally {
        await target.stop();
      }
    };

    it("runs the grpc-js loop pinned under GNU time and reads calls the server saw", () =>
      runsAgainstTheTarget("grpc-js"));

    it.runIf(existsSync(H2LOAD))(
      "runs h2load pinned under GNU time and reads calls the server saw (skipped without h2load: Debian nghttp2-client)",
      () => runsAgainstTheTarget("h2load"),
    );
  },
);
