import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGrpcLoad } from "../src/index.js";
import { startGreeterServer } from "./greeter-server.js";
import type { GreeterServer } from "./greeter-server.js";

const PROTO = fileURLToPath(new URL("./protos/greeter.proto", import.meta.url));

let server: GreeterServer;
beforeAll(async () => {
  server = await startGreeterServer();
});
afterAll(() => server.close());

describe("runGrpcLoad, unary", () => {
  it("makes exactly numRequests measured calls, all OK", async () => {
    const before = server.seen.length;
    const result = await runGrpcLoad({
      host: server.host,
      call: "helloworld.Greeter.SayHello",
      proto: PROTO,
      data: { name: "bob" },
      numRequests: 50,
      qps: 0,
      concurrency: 4,
      warmupMs: 0,
    });
    expect(result.kind).toBe("unary");
    expect(result.requests).toBe(50);
    expect(result.errors).toBe(0);
    expect(result.statusCodes).toEqual({ "0": 50 });
    expect(result.statusNames).toEqual({ OK: 50 });
    expect(result.latency.count).toBe(50);
    expect(server.seen.length - before).toBe(50);
    expect(server.seen.slice(before).every((c) => c.names[0] === "bob")).toBe(true);
  });
});
