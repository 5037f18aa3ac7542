import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunOutput, RunTask } from "@iter8/spec";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";
import type { TaskContext } from "../registry.js";

/** Bytes of each stream kept in the result; the rest is dropped and the output marked truncated. */
export const RUN_OUTPUT_LIMIT = 64 * 1024;

/**
 * The `run` task: the script runs with bash in the experiment's directory, with the environment plus
 * `TEMP_DIR` (a fresh temporary directory, removed afterwards). A non-zero exit, a timeout or a
 * signal fails the task; output is captured into the result, bounded.
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

function runBash(task: RunTask, ctx: TaskContext, tempDir: string): Promise<ScriptOutcome> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", task.with.script], {
      cwd: ctx.dir,
      env: { ...ctx.env, TEMP_DIR: tempDir },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
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
    // The script runs in its own process group so that killing it also stops what it started.
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGTERM");
      } catch {
        child.kill("SIGTERM");
      }
    };
    const timer =
      task.with.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            killGroup();
          }, task.with.timeoutMs)
        : undefined;
    const onAbort = () => killGroup();
    ctx.signal.addEventListener("abort", onAbort, { once: true });

    const finish = (exitCode: number | null, failure?: string) => {
      if (timer) clearTimeout(timer);
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
    child.on("error", (error) => finish(null, `could not start bash: ${error.message}`));
    child.on("close", (code, signal) => {
      if (timedOut) return finish(code, `script timed out after ${task.with.timeoutMs} ms`);
      if (signal) return finish(code, `script was stopped by ${signal}`);
      if (code !== 0) {
        const lastLine = captured.stderr.trim().split("\n").pop();
        return finish(code, `script exited with code ${code}${lastLine ? `: ${lastLine}` : ""}`);
      }
      finish(code);
    });
  });
}
