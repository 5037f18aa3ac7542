import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Experiment, LoadInputs, Task } from "@iter8/spec";
import { parseResult } from "@iter8/spec";
import { startLoopbackServer } from "@iter8/test-utils";
import type { LoopbackServer } from "@iter8/test-utils";
import { createDirectoryExchange, runShard } from "../src/index.js";
import type { RunShardOptions } from "../src/index.js";

let server: LoopbackServer;
let served = 0;
let dir: string;
let exchangeDir: string;

beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    served++;
    res.writeHead(req.url === "/fail" ? 503 : 200, { "content-type": "text/plain" });
    res.end("ok");
  });
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-shard-"));
  exchangeDir = join(dir, "exchange");
  served = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function load(inputs: Partial<LoadInputs> = {}): Task {
  return {
    task: "gen-load-and-collect-metrics",
    with: {
      qps: 0,
      connections: 4,
      numRequests: 200,
      warmupMs: 0,
      errorRanges: [{ lower: 400 }],
      percentiles: [50, 99],
      versionInfo: [{ url: `${server.url}/a` }, { url: `${server.url}/fail` }],
      ...inputs,
    },
  };
}

const assess: Task = {
  task: "assess-app-versions",
  with: { SLOs: [{ metric: "built-in/error-rate", upperLimit: 0 }] },
};

function experimentOf(...tasks: Task[]): Experiment {
  return { tasks, format: "v0.8" };
}

/** Fast timing for tests: the start 300 ms after all are ready, polled every 20 ms. */
function optionsFor(shard: number, count: number, extra: Partial<RunShardOptions> = {}) {
  return {
    shard,
    count,
    dir,
    resultFile: join(dir, `result-${shard}.yaml`),
    exchange: createDirectoryExchange(exchangeDir),
    startMarginMs: 300,
    pollIntervalMs: 20,
    readyTimeoutMs: 20_000,
    reportTimeoutMs: 20_000,
    ...extra,
  };
}

describe("runShard", () => {
  it("merges N shards into the result one process would give: every request counted once, exact metrics", async () => {
    const experiment = experimentOf(load(), load({ numRequests: 101 }), assess);
    const runs = await Promise.all([0, 1, 2, 3].map((s) => runShard(experiment, optionsFor(s, 4))));
    const result = runs[0]?.result;
    expect(result?.failure).toBe(false);
    expect(result?.numCompletedTasks).toBe(3);
    const values = result?.insights?.metricValues;
    // Two load tasks: the merged counts of the whole experiment, one value per task.
    expect(values?.[0]?.["built-in/request-count"]).toEqual([200, 101]);
    expect(values?.[1]?.["built-in/error-count"]).toEqual([200, 101]);
    expect(served).toBe(2 * (200 + 101));
    expect(result?.insights?.SLOsSatisfiedBy).toEqual([true, false]);
    // loadDetails hold the last load task's details (101 requests over 4 shards).
    const shards = result?.insights?.loadDetails?.[0]?.shards;
    expect(shards?.count).toBe(4);
    expect(shards?.requests).toEqual([25, 25, 25, 26]);
    expect(shards?.startSkewMs).toBeGreaterThanOrEqual(0);
    // The same result reached the exchange and the result file, and it validates.
    const written = await readFile(join(exchangeDir, "result.yaml"), "utf8");
    expect(written).toBe(await readFile(join(dir, "result-0.yaml"), "utf8"));
    expect(parseResult(written).ok).toBe(true);
    expect(runs.slice(1).every((r) => r.result === undefined && !r.aborted)).toBe(true);
  });

  it("fails the experiment naming a failing shard, and keeps the other shards' measurements", async () => {
    const experiment = experimentOf(load({ payloadFile: "body.txt" }), assess);
    await writeFile(join(dir, "body.txt"), "hello");
    const elsewhere = join(dir, "elsewhere");
    const runs = await Promise.allSettled([
      runShard(experiment, optionsFor(0, 3)),
      runShard(experiment, optionsFor(1, 3)),
      runShard(experiment, optionsFor(2, 3, { dir: elsewhere })),
    ]);
    expect(runs[2]?.status).toBe("rejected");
    const first = runs[0];
    const result = first?.status === "fulfilled" ? first.value.result : undefined;
    expect(result?.failure).toBe(true);
    expect(result?.failedTask?.index).toBe(0);
    expect(result?.failedTask?.message).toMatch(/^shard 2 of 3 failed: .*body\.txt/);
    // 4 connections over 3 shards: 1, 1, 2, and the requests follow (50, 50, 100). Shards 0 and 1
    // measured 100 of the 200 requests per version, and they are kept.
    expect(result?.insights?.metricValues[0]?.["built-in/request-count"]).toEqual([100]);
    expect(result?.insights?.loadDetails?.[0]?.shards?.requests).toEqual([50, 50, null]);
    expect(result?.insights?.SLOs).toBeUndefined();
  });

  it("fails after the timeouts naming a shard that never started, and keeps what the others measured", async () => {
    const experiment = experimentOf(load(), assess);
    // Shards 0 and 1 share this thread: on a busy machine one may finish its load a while after
    // the other, so the report timeout is not a narrow window (the test waits out both).
    const timeouts = { readyTimeoutMs: 2000, reportTimeoutMs: 2000 };
    const [zero, one] = await Promise.all([
      runShard(experiment, optionsFor(0, 3, timeouts)),
      runShard(experiment, optionsFor(1, 3, timeouts)),
    ]);
    const result = zero.result;
    expect(result?.failedTask?.message).toBe(
      "shard 2 of 3 never reported within 2s (it never became ready)",
    );
    expect(result?.insights?.metricValues[0]?.["built-in/request-count"]).toEqual([100]);
    expect(result?.insights?.loadDetails?.[1]?.shards?.requests).toEqual([50, 50, null]);
    expect(one.measurement?.tasks[0]?.versions[0]?.result.requests).toBe(50);
  });

  it("keeps what was measured when interrupted", async () => {
    const experiment = experimentOf(
      load({ numRequests: undefined, durationMs: 30_000, qps: 50, connections: 2 }),
      assess,
    );
    const controller = new AbortController();
    const running = Promise.all([
      runShard(experiment, optionsFor(0, 2, { signal: controller.signal })),
      runShard(experiment, optionsFor(1, 2, { signal: controller.signal })),
    ]);
    const deadline = Date.now() + 20_000;
    while (served < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    const [zero] = await running;
    expect(zero.aborted).toBe(true);
    expect(zero.result?.aborted).toBe(true);
    const counted = zero.result?.insights?.metricValues[0]?.["built-in/request-count"]?.[0] ?? 0;
    expect(counted).toBeGreaterThan(0);
    expect(zero.result?.insights?.loadDetails?.[0]?.partial).toBe(true);
  });
});
