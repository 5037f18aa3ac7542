import type { ExperimentResult, Task } from "@iter8/spec";
import type { EngineEvent } from "./events.js";
import { loadTaskRunner } from "./tasks/load.js";
import { grpcTaskRunner } from "./tasks/grpc.js";
import { assessTaskRunner } from "./tasks/assess.js";
import { runScriptTaskRunner } from "./tasks/run-script.js";
import { abnMetricsTaskRunner } from "./tasks/abn-metrics.js";
import { customMetricsTaskRunner } from "./tasks/custom-metrics.js";
import { proxyMetricsTaskRunner } from "./tasks/proxy-metrics.js";

/** What a task runner receives besides its task. */
export interface TaskContext {
  /** Index of the task in the experiment. */
  index: number;
  /** The experiment's directory: working directory for scripts, base for relative files. */
  dir: string;
  /** Aborts the task (Ctrl-C); runners stop promptly and keep what they measured. */
  signal: AbortSignal;
  /** The result so far. Runners update it in place (insights, outputs); the engine saves it. */
  result: ExperimentResult;
  /** Reports progress. */
  emit: (event: EngineEvent) => void;
  /** Environment for child processes. */
  env: NodeJS.ProcessEnv;
  /**
   * Registers work to do when the experiment run ends (completed, failed or aborted), such as
   * stopping what a script left running for later tasks. The run awaits it before resolving.
   */
  onRunEnd: (cleanup: () => Promise<void>) => void;
}

/** Runs one kind of task. Throws to fail the task; returns when it is done or aborted. */
export type TaskRunner<T extends Task = Task> = (task: T, ctx: TaskContext) => Promise<void>;

/** Task runners by canonical task name. Embedders register their own with `register`. */
export interface TaskRegistry {
  /** The runner for `name`, if one is registered. */
  get(name: string): TaskRunner | undefined;
  /** Registers (or replaces) the runner for `name`. */
  register(name: string, runner: TaskRunner): void;
  /** The registered task names. */
  names(): string[];
}

/** A registry holding iter8's built-in tasks: HTTP and gRPC load, metrics, assessment and `run` scripts. */
export function createTaskRegistry(): TaskRegistry {
  const runners = new Map<string, TaskRunner>();
  const registry: TaskRegistry = {
    get: (name) => runners.get(name),
    register: (name, runner) => {
      runners.set(name, runner);
    },
    names: () => [...runners.keys()],
  };
  registry.register("gen-load-and-collect-metrics", loadTaskRunner as TaskRunner);
  registry.register("grpc", grpcTaskRunner as TaskRunner);
  registry.register("assess-app-versions", assessTaskRunner as TaskRunner);
  registry.register("run", runScriptTaskRunner as TaskRunner);
  registry.register("abnmetrics", abnMetricsTaskRunner as TaskRunner);
  registry.register("custommetrics", customMetricsTaskRunner as TaskRunner);
  registry.register("proxymetrics", proxyMetricsTaskRunner as TaskRunner);
  return registry;
}
