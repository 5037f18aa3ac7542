import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { runLoad } from "../src/index.js";
import type { LoadProgress } from "../src/index.js";
import { ensureBuilt } from "./ensure-built.js";
import { startServer } from "./servers.js";
import type { TestServer } from "./servers.js";

let server: TestServer | undefined;
beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("runLoad with worker threads", () => {
  it("splits an unpaced run exactly and merges the counts and histograms", async () => {
    const statuses = [200, 404];
    server = await startServer((i, _req, res) => {
      res.statusCode = statuses[i % 2] as number;
      res.end();
    });
    const result = await runLoad({
      url: server.url,
      qps: 0,
      connections: 4,
      workers: 2,
      numRequests: 201,
      warmupMs: 0,
    });
    expect(result.requests).toBe(201);
    expect(server.seen).toHaveLength(201);
    expect((result.statusCodes["200"] ?? 0) + (result.statusCodes["404"] ?? 0)).toBe(201);
    expect(result.errors).toBe(result.statusCodes["404"]);
    expect(result.latency.count).toBe(201);
    expect(result.aborted).toBe(false);
  });

  it("interleaves a paced schedule over the workers and reports merged dispatch lag", async () => {
    server = await startServer();
    const progress: LoadProgress[] = [];
    const result = await runLoad(
      {
        url: server.url,
        qps: 200,
        connections: 3,
        workers: 3,
        numRequests: 100,
        warmupRequests: 9,
      },
      { onProgress: (p) => progress.push(p) },
    );
    expect(result.requests).toBe(100);
    expect(result.warmupRequests).toBe(9);
    expect(server.seen).toHaveLength(109);
    expect(result.queueWait.count).toBe(100);
    expect(result.dispatchLagMs).toBeDefined();
    expect(progress.length).toBeGreaterThan(0);
  });

  it("resolves with partial data when aborted", async () => {
    server = await startServer();
    const controller = new AbortController();
    const result = await runLoad(
      { url: server.url, qps: 40, connections: 2, workers: 2, numRequests: 100_000, warmupMs: 0 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.completed >= 4) controller.abort();
        },
      },
    );
    expect(result.aborted).toBe(true);
    expect(result.requests).toBeGreaterThanOrEqual(4);
    expect(result.requests).toBeLessThan(100_000);
    expect(result.latency.count).toBe(result.requests);
  });
});
