import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunOutput, RunTask } from "@iter8/spec";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";
import type { TaskContext } from "../registry.js";

/** Bytes of each stream kept in the result; the rest is dropped and the output marked truncated. */
export const RUN_OUTPUT_LIMIT = 64 * 1024;

/** How long a script may run when its task sets no `timeout`: 10 minutes. */
export const DEFAULT_RUN_TIMEOUT_MS = 10 * 60_000;

/** After SIGTERM, a script's process group has this long to end before it gets SIGKILL. */
export const RUN_KILL_GRACE_MS = 3000;

/**
 * After the script exits, its output is read for this long at most: a background process that
 * inherited stdout or stderr (`server &`) would otherwise hold the task open for as long as it runs.
 */
export const RUN_OUTPUT_GRACE_MS = 500;

/**
 * The `run` task: the script runs with bash in the experiment's directory, with the environment plus
 * `TEMP_DIR` (a fresh temporary directory, removed afterwards). A non-zero exit, a timeout (the
 * task's `timeout`, else `DEFAULT_RUN_TIMEOUT_MS`) or a signal fails the task; output is captured
 * into the result, bounded. The script runs in its own process group: on timeout or abort the group
 * gets SIGTERM, then SIGKILL after `RUN_KILL_GRACE_MS`. What the script leaves running in the
 * background (a server for later tasks) is stopped the same way when the experiment run ends.
 */
export async function runScriptTaskRunner(task: RunTask, ctx: TaskContext): Promise<void> {
  const tempDir = await mkdtemp(join(tmpdir(), "iter8-run-"));
  try {
    const output = await runBash(task, ctx, tempDir);
    ctx.result.runOutputs = [...(ctx.result.runOutputs ?? []), output.record];
    if (ctx.signal.aborted) return;
    if (output.failure) throw new EngineError(ENGINE_ERROR_CODES.taskFailed, output.failure);
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

interface ScriptOutcome {
  record: RunOutput;
  failure?: string;
}

/** Sends `signal` to process group `pgid`; false when the group no longer exists. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Node's timers hold at most 2^31-1 ms (about 24.8 days); a longer delay fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` after `ms`, in steps Node's timers can hold (a task built in code may ask for more
 * than the 168h an experiment file allows); returns a function that cancels it.
 */
function after(ms: number, fire: () => void): () => void {
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number) => {
    timer = setTimeout(
      () => (left > MAX_TIMER_MS ? arm(left - MAX_TIMER_MS) : fire()),
      Math.min(left, MAX_TIMER_MS),
    );
  };
  arm(ms);
  return () => clearTimeout(timer);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Stops process group `pgid`: SIGTERM, then SIGKILL if any member is still there after `graceMs`.
 * Resolves once the group is gone or has been sent SIGKILL.
 */
export async function stopProcessGroup(pgid: number, graceMs = RUN_KILL_GRACE_MS): Promise<void> {
  if (!signalGroup(pgid, "SIGTERM")) return;
  for (let waited = 0; waited < graceMs; waited += 50) {
    await delay(50);
    if (!signalGroup(pgid, 0)) return;
  }
  signalGroup(pgid, "SIGKILL");
}

function runBash(task: RunTask, ctx: TaskContext, tempDir: string): Promise<ScriptOutcome> {
  const timeoutMs = task.with.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS;
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", task.with.script], {
      cwd: ctx.dir,
      env: { ...ctx.env, TEMP_DIR: tempDir },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group (pgid = its pid), so that signals reach what it started too.
      detached: true,
    });
    const pgid = child.pid;
    // Whatever the script leaves running is stopped when the experiment run ends. A group found
    // empty when the script ends is left alone: its id may be reused by then.
    let groupEmpty = false;
    if (pgid !== undefined) {
      ctx.onRunEnd(() => (groupEmpty ? Promise.resolve() : stopProcessGroup(pgid)));
    }

    const captured = { stdout: "", stderr: "", truncated: false };
    const capture = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      ctx.emit({ type: "run-output", index: ctx.index, stream, text });
      const room = RUN_OUTPUT_LIMIT - captured[stream].length;
      if (text.length > room) captured.truncated = true;
      if (room > 0) captured[stream] += text.slice(0, room);
    };
    child.stdout.on("data", capture("stdout"));
    child.stderr.on("data", capture("stderr"));

    let timedOut = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const terminate = () => {
      if (pgid === undefined || killTimer !== undefined) return;
      signalGroup(pgid, "SIGTERM");
      // A script that ignores SIGTERM gets SIGKILL (its whole group) after the grace.
      killTimer = setTimeout(() => signalGroup(pgid, "SIGKILL"), RUN_KILL_GRACE_MS);
    };
    const cancelTimeout = after(timeoutMs, () => {
      timedOut = true;
      terminate();
    });
    const onAbort = () => terminate();
    ctx.signal.addEventListener("abort", onAbort, { once: true });

    let outputTimer: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = (exitCode: number | null, failure?: string) => {
      if (finished) return;
      finished = true;
      if (pgid !== undefined) groupEmpty = !signalGroup(pgid, 0);
      cancelTimeout();
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (outputTimer !== undefined) clearTimeout(outputTimer);
      ctx.signal.removeEventListener("abort", onAbort);
      const record: RunOutput = {
        index: ctx.index,
        exitCode,
        stdout: captured.stdout,
        stderr: captured.stderr,
        ...(captured.truncated ? { truncated: true } : {}),
      };
      resolve(failure ? { record, failure } : { record });
    };
    const settle = (code: number | null, signal: NodeJS.Signals | null) => {
      if (timedOut) return finish(code, `script timed out after ${timeoutMs} ms`);
      if (signal) return finish(code, `script was stopped by ${signal}`);
      if (code !== 0) {
        const lastLine = captured.stderr.trim().split("\n").pop();
        return finish(code, `script exited with code ${code}${lastLine ? `: ${lastLine}` : ""}`);
      }
      finish(code);
    };
    child.on("error", (error) => finish(null, `could not start bash: ${error.message}`));
    // 'close' comes once the script has exited and its output is fully read.
    child.on("close", settle);
    child.on("exit", (code, signal) => {
      // A background process may keep the output open; read what is buffered, then stop reading.
      outputTimer = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        settle(code, signal);
      }, RUN_OUTPUT_GRACE_MS);
    });
  });
}
