import { join } from "node:path";
import type { Experiment, ExperimentResult } from "@iter8/spec";
import { RESULT_FILE, saveResult } from "@iter8/spec";
import { EngineError, ENGINE_ERROR_CODES } from "./errors.js";
import type { EngineEvent } from "./events.js";
import { createTaskRegistry } from "./registry.js";
import type { TaskContext, TaskRegistry } from "./registry.js";

/** Options of `runExperiment`. */
export interface RunExperimentOptions {
  /** The experiment's directory: scripts run here and `result.yaml` is written here. */
  dir: string;
  /** Where to write the result; defaults to `<dir>/result.yaml`. */
  resultFile?: string;
  /** Aborting stops the run; what was measured is kept and written. */
  signal?: AbortSignal;
  /** Progress and lifecycle events. */
  onEvent?: (event: EngineEvent) => void;
  /** Task runners; defaults to the built-in ones. */
  registry?: TaskRegistry;
  /** Environment for `run` scripts; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Start time to record; defaults to now. */
  now?: () => Date;
}

/**
 * Runs an experiment's tasks in order and resolves with its result, which is also written
 * atomically to `result.yaml` after every task, after a failure and after an interruption.
 *
 * A task whose `if:` is false is skipped and counts as completed. The first failing task stops the
 * run with `failure: true` and `failedTask` saying which and why. When `signal` aborts, the running
 * task stops, keeps what it measured, and the result is marked `aborted`. The promise rejects only
 * when the result cannot be written.
 */
export async function runExperiment(
  experiment: Experiment,
  options: RunExperimentOptions,
): Promise<ExperimentResult> {
  const cleanups: Array<() => Promise<void>> = [];
  try {
    return await runTasks(experiment, options, (cleanup) => {
      cleanups.push(cleanup);
    });
  } finally {
    // What the tasks left running (a script's background processes) ends with the run.
    await Promise.all(cleanups.map((cleanup) => cleanup().catch(() => undefined)));
  }
}

async function runTasks(
  experiment: Experiment,
  options: RunExperimentOptions,
  onRunEnd: TaskContext["onRunEnd"],
): Promise<ExperimentResult> {
  const registry = options.registry ?? createTaskRegistry();
  const emit = options.onEvent ?? (() => undefined);
  const resultFile = options.resultFile ?? join(options.dir, RESULT_FILE);
  const signal = options.signal ?? new AbortController().signal;
  const numTasks = experiment.tasks.length;
  const result: ExperimentResult = {
    startTime: (options.now ?? (() => new Date()))().toISOString(),
    numCompletedTasks: 0,
    failure: false,
    numTasks,
  };
  const save = async () => {
    await saveResult(resultFile, result);
    emit({ type: "result-written", file: resultFile, result });
  };
  await save();

  for (const [index, task] of experiment.tasks.entries()) {
    if (signal.aborted) {
      result.aborted = true;
      emit({ type: "aborted", index });
      break;
    }
    // @iter8/slo (and its statistics) is loaded only by experiments with conditions.
    if (task.if && !(await import("@iter8/slo")).evaluateCondition(task.if, result)) {
      result.skippedTasks = [...(result.skippedTasks ?? []), index];
      result.numCompletedTasks++;
      emit({ type: "task-skipped", index, task: task.task, condition: task.ifText ?? "" });
      await save();
      continue;
    }
    emit({ type: "task-start", index, task: task.task, numTasks });
    try {
      const runner = registry.get(task.task);
      if (!runner) {
        throw new EngineError(
          ENGINE_ERROR_CODES.unknownTask,
          `no runner is registered for task "${task.task}" (known: ${registry.names().join(", ")})`,
        );
      }
      await runner(task, {
        index,
        dir: options.dir,
        signal,
        result,
        emit,
        env: options.env ?? process.env,
        onRunEnd,
      });
    } catch (error) {
      if (!signal.aborted) {
        const message = error instanceof Error ? error.message : String(error);
        result.failure = true;
        result.failedTask = { index, task: task.task, message };
        emit({ type: "task-failed", index, task: task.task, message });
        await save();
        return result;
      }
    }
    if (signal.aborted) {
      // The task stopped early: what it measured is in the result, but it did not complete.
      result.aborted = true;
      emit({ type: "aborted", index });
      await save();
      return result;
    }
    result.numCompletedTasks++;
    emit({ type: "task-done", index, task: task.task });
    await save();
  }
  if (result.aborted) await save();
  return result;
}
