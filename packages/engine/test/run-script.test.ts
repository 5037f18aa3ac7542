import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Experiment, ExperimentResult, Task } from "@iter8/spec";
import { DEFAULT_RUN_TIMEOUT_MS, runExperiment } from "../src/index.js";

let dir: string;
const started: number[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-run-script-"));
});
afterEach(async () => {
  vi.useRealTimers();
  // A failing test must not leave its sleeps behind.
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

function run(script: string, timeoutMs?: number): Task {
  return { task: "run", with: { script, ...(timeoutMs !== undefined ? { timeoutMs } : {}) } };
}

function experiment(...tasks: Task[]): Experiment {
  return { tasks, format: "v0.8" };
}

/** True while process `pid` exists and is not a zombie (Linux /proc). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Waits (at most `limitMs`) until `pid` is gone; resolves whether it is. */
async function goneWithin(pid: number, limitMs = 10_000): Promise<boolean> {
  for (let waited = 0; waited < limitMs; waited += 50) {
    if (!(await isRunning(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

async function readPid(name: string): Promise<number> {
  const pid = Number((await readFile(join(dir, name), "utf8")).trim());
  started.push(pid);
  return pid;
}

describe("run tasks end, and so does what they start", () => {
  it("resolves when the script exits although a background process keeps its stdout open", async () => {
    const result = await runExperiment(
      experiment(run("sleep 1000 & echo $! > bg.pid; echo started", 60_000)),
      { dir },
    );
    const pid = await readPid("bg.pid");
    expect(result.failure).toBe(false);
    expect(result.numCompletedTasks).toBe(1);
    expect(result.runOutputs?.[0]).toMatchObject({ exitCode: 0, stdout: "started\n" });
    expect(await goneWithin(pid)).toBe(true);
  });

  it("keeps a background process for later tasks, and stops it when the run ends", async () => {
    const result = await runExperiment(
      experiment(
        run("sleep 1000 >/dev/null 2>&1 & echo $! > bg.pid"),
        run('kill -0 "$(cat bg.pid)" && echo alive'),
      ),
      { dir },
    );
    const pid = await readPid("bg.pid");
    expect(result.failure).toBe(false);
    expect(result.runOutputs?.[1]?.stdout).toBe("alive\n");
    expect(await goneWithin(pid)).toBe(true);
  });

  it("stops the background processes of a failed run too", async () => {
    const result = await runExperiment(
      experiment(run("sleep 1000 >/dev/null 2>&1 & echo $! > bg.pid; exit 3")),
      { dir },
    );
    const pid = await readPid("bg.pid");
    expect(result.failure).toBe(true);
    expect(await goneWithin(pid)).toBe(true);
  });

  it("kills the script's whole process group when it times out", async () => {
    const result = await runExperiment(
      experiment(run("sleep 1000 & echo $! > bg.pid; sleep 1000", 300)),
      { dir },
    );
    const pid = await readPid("bg.pid");
    expect(result.failedTask?.message).toBe("script timed out after 300 ms");
    expect(await goneWithin(pid)).toBe(true);
  });

  it("sends SIGKILL after the grace to a script that ignores SIGTERM", async () => {
    const result = await runExperiment(
      experiment(run("trap '' TERM; sleep 1000 & echo $! > bg.pid; wait", 300)),
      { dir },
    );
    const pid = await readPid("bg.pid");
    expect(result.failedTask?.message).toBe("script timed out after 300 ms");
    expect(result.runOutputs?.[0]?.exitCode).toBeNull();
    expect(await goneWithin(pid)).toBe(true);
  });

  it("lets a script run its course under a timeout longer than Node's timers hold (30 days)", async () => {
    // 2^31-1 ms is about 24.8 days; a longer setTimeout fires at once.
    const result = await runExperiment(experiment(run("sleep 0.3; echo done", 30 * 86_400_000)), {
      dir,
    });
    expect(result.failure).toBe(false);
    expect(result.runOutputs?.[0]).toMatchObject({ exitCode: 0, stdout: "done\n" });
  });

  it("stops a script without a timeout after the default of 10 minutes", async () => {
    expect(DEFAULT_RUN_TIMEOUT_MS).toBe(600_000);
    // Fake setTimeout only: the script, its pipes and the polling below run in real time.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let result: ExperimentResult | undefined;
    void runExperiment(experiment(run("echo $$ > script.pid; sleep 1000")), { dir }).then(
      (r) => (result = r),
    );
    const realWait = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          clearInterval(timer);
          resolve();
        }, ms);
      });
    for (let i = 0; i < 500 && !existsSync(join(dir, "script.pid")); i++) await realWait(20);
    const pid = await readPid("script.pid");
    await vi.advanceTimersByTimeAsync(DEFAULT_RUN_TIMEOUT_MS - 1000);
    expect(await isRunning(pid)).toBe(true);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1000);
    // The script now gets SIGTERM; let real time pass for it to end, and fake time for the grace.
    for (let i = 0; i < 500 && !result; i++) {
      await realWait(20);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(result?.failedTask?.message).toBe("script timed out after 600000 ms");
    expect(await goneWithin(pid)).toBe(true);
  });
});
