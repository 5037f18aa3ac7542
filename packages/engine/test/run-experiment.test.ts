import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Condition, Experiment, LoadInputs, Task } from "@iter8/spec";
import { loadResult } from "@iter8/spec";
import { findClosedPort, startLoopbackServer } from "@iter8/test-utils";
import type { LoopbackServer } from "@iter8/test-utils";
import { createTaskRegistry, runExperiment, RUN_OUTPUT_LIMIT } from "../src/index.js";
import type { EngineEvent } from "../src/index.js";

let dir: string;
let server: LoopbackServer;
let url: string;

beforeAll(async () => {
  server = await startLoopbackServer((req, res) => {
    res.writeHead(req.url === "/fail" ? 503 : 200, { "content-type": "text/plain" });
    res.end("ok");
  });
  url = server.url;
});
afterAll(() => server.close());
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-engine-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function run(
  script: string,
  extra: { if?: Condition; ifText?: string; timeoutMs?: number } = {},
): Task {
  return {
    task: "run",
    with: { script, ...(extra.timeoutMs !== undefined ? { timeoutMs: extra.timeoutMs } : {}) },
    ...(extra.if ? { if: extra.if, ifText: extra.ifText ?? "" } : {}),
  };
}

function load(inputs: Partial<LoadInputs> & Pick<LoadInputs, "versionInfo">): Task {
  return {
    task: "gen-load-and-collect-metrics",
    with: {
      qps: 0,
      connections: 2,
      numRequests: 20,
      warmupMs: 0,
      errorRanges: [{ lower: 400 }],
      percentiles: [50, 95],
      ...inputs,
    },
  };
}

const assessErrorRate: Task = {
  task: "assess-app-versions",
  with: { SLOs: [{ metric: "built-in/error-rate", upperLimit: 0 }] },
};

function experiment(...tasks: Task[]): Experiment {
  return { tasks, format: "v0.8" };
}

describe("runExperiment", () => {
  it("runs tasks in order and writes result.yaml with every task completed", async () => {
    const result = await runExperiment(
      experiment(run("echo one >> order"), run("echo two >> order")),
      { dir },
    );
    expect(await readFile(join(dir, "order"), "utf8")).toBe("one\ntwo\n");
    expect(result).toMatchObject({ numCompletedTasks: 2, failure: false, numTasks: 2 });
    const saved = await loadResult(join(dir, "result.yaml"));
    expect(saved.numCompletedTasks).toBe(2);
    expect(saved.failure).toBe(false);
  });

  it("stops at the first failing task and persists failure: true with the reason", async () => {
    const result = await runExperiment(
      experiment(run("echo broken >&2; exit 3"), run("touch later-task-ran")),
      { dir },
    );
    expect(result.failure).toBe(true);
    expect(result.numCompletedTasks).toBe(0);
    expect(result.failedTask).toEqual({
      index: 0,
      task: "run",
      message: "script exited with code 3: broken",
    });
    expect(existsSync(join(dir, "later-task-ran"))).toBe(false);
    const saved = await loadResult(join(dir, "result.yaml"));
    expect(saved.failure).toBe(true);
    expect(saved.failedTask?.index).toBe(0);
  });

  it("runs scripts with bash in the experiment directory with TEMP_DIR set, and captures output", async () => {
    const result = await runExperiment(
      experiment(run('pwd > where; test -d "$TEMP_DIR" && echo "temp ok"; echo oops >&2')),
      { dir },
    );
    expect(result.failure).toBe(false);
    expect((await readFile(join(dir, "where"), "utf8")).trim()).toBe(dir);
    expect(result.runOutputs).toEqual([
      { index: 0, exitCode: 0, stdout: "temp ok\n", stderr: "oops\n" },
    ]);
  });

  it("bounds captured output and marks it truncated", async () => {
    const result = await runExperiment(experiment(run("head -c 200000 /dev/zero | tr '\\0' a")), {
      dir,
    });
    const output = result.runOutputs?.[0];
    expect(output?.stdout.length).toBe(RUN_OUTPUT_LIMIT);
    expect(output?.truncated).toBe(true);
  });

  it("fails a script that outlives its timeout", async () => {
    const result = await runExperiment(experiment(run("sleep 20", { timeoutMs: 200 })), { dir });
    expect(result.failure).toBe(true);
    expect(result.failedTask?.message).toBe("script timed out after 200 ms");
  });

  it("collects built-in metrics from a load task and assesses SLOs per version", async () => {
    const result = await runExperiment(
      experiment(
        load({ versionInfo: [{ url: `${url}/ok` }, { url: `${url}/fail` }] }),
        assessErrorRate,
      ),
      { dir },
    );
    const insights = result.insights;
    expect(insights?.numVersions).toBe(2);
    expect(insights?.metricValues[0]?.["built-in/request-count"]).toEqual([20]);
    expect(insights?.metricValues[0]?.["built-in/error-rate"]).toEqual([0]);
    expect(insights?.metricValues[1]?.["built-in/error-count"]).toEqual([20]);
    expect(insights?.metricValues[1]?.["built-in/error-rate"]).toEqual([1]);
    expect(insights?.SLOsSatisfiedBy).toEqual([true, false]);
    expect(insights?.loadDetails?.[1]?.statusCodes).toEqual({ "503": 20 });
  });

  it("skips a task whose if: is false, counts it as completed, and runs the one whose if: is true", async () => {
    const result = await runExperiment(
      experiment(
        load({ versionInfo: [{ url: `${url}/ok` }, { url: `${url}/fail` }] }),
        assessErrorRate,
        run("touch promoted-0", { if: { kind: "slosBy", version: 0 }, ifText: "SLOsBy(0)" }),
        run("touch promoted-1", { if: { kind: "slosBy", version: 1 }, ifText: "SLOsBy(1)" }),
      ),
      { dir },
    );
    expect(existsSync(join(dir, "promoted-0"))).toBe(true);
    expect(existsSync(join(dir, "promoted-1"))).toBe(false);
    expect(result.numCompletedTasks).toBe(4);
    expect(result.skippedTasks).toEqual([3]);
  });

  it("counts an unreachable version's requests as errors instead of failing", async () => {
    const port = await findClosedPort();
    const result = await runExperiment(
      experiment(load({ versionInfo: [{ url: `http://127.0.0.1:${port}/` }], numRequests: 10 })),
      { dir },
    );
    expect(result.failure).toBe(false);
    expect(result.insights?.metricValues[0]?.["built-in/error-rate"]).toEqual([1]);
    expect(result.insights?.loadDetails?.[0]?.errorClasses).toEqual({ refused: 10 });
  });

  it("keeps the partial metrics and marks the result aborted when interrupted during load", async () => {
    const controller = new AbortController();
    const events: EngineEvent[] = [];
    const result = await runExperiment(
      experiment(
        load({ versionInfo: [{ url: `${url}/ok` }], qps: 50, numRequests: 100_000 }),
        assessErrorRate,
      ),
      {
        dir,
        signal: controller.signal,
        onEvent: (event) => {
          events.push(event);
          if (event.type === "load-progress" && event.progress.completed >= 10) controller.abort();
        },
      },
    );
    expect(result.aborted).toBe(true);
    expect(result.numCompletedTasks).toBe(0);
    const count = result.insights?.metricValues[0]?.["built-in/request-count"]?.[0] ?? 0;
    expect(count).toBeGreaterThanOrEqual(10);
    expect(count).toBeLessThan(100_000);
    expect(result.insights?.loadDetails?.[0]?.partial).toBe(true);
    const saved = await loadResult(join(dir, "result.yaml"));
    expect(saved.aborted).toBe(true);
    expect(saved.insights?.metricValues[0]?.["built-in/request-count"]).toEqual([count]);
    expect(events.some((e) => e.type === "aborted")).toBe(true);
  });

  it("stops a running script when interrupted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const result = await runExperiment(experiment(run("sleep 20"), run("touch never")), {
      dir,
      signal: controller.signal,
    });
    expect(result.aborted).toBe(true);
    expect(result.failure).toBe(false);
    expect(existsSync(join(dir, "never"))).toBe(false);
  });

  it("uses a runner an embedder registered", async () => {
    const registry = createTaskRegistry();
    const seen: string[] = [];
    registry.register("run", (task) => {
      seen.push(task.task === "run" ? task.with.script : "");
      return Promise.resolve();
    });
    const result = await runExperiment(experiment(run("exit 1")), { dir, registry });
    expect(seen).toEqual(["exit 1"]);
    expect(result.failure).toBe(false);
  });
});
