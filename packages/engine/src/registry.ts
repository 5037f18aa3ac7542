import type { ExperimentResult, Task } from "@iter8/spec";
import type { EngineEvent } from "./events.js";

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
  // Each task's module (and the packages it needs: gRPC, the traffic clients, providers, the
  // statistics) is loaded when a task of that kind first runs, so that an HTTP load test does not
  // hold the others in memory.
  registry.register(
    "gen-load-and-collect-metrics",
    lazyRunner(async () => (await import("./tasks/load.js")).loadTaskRunner),
  );
  registry.register(
    "grpc",
    lazyRunner(async () => (await import("./tasks/grpc.js")).grpcTaskRunner),
  );
  registry.register(
    "assess-app-versions",
    lazyRunner(async () => (await import("./tasks/assess.js")).assessTaskRunner),
  );
  registry.register(
    "run",
    lazyRunner(async () => (await import("./tasks/run-script.js")).runScriptTaskRunner),
  );
  registry.register(
    "abnmetrics",
    lazyRunner(async () => (await import("./tasks/abn-metrics.js")).abnMetricsTaskRunner),
  );
  registry.register(
    "custommetrics",
    lazyRunner(async () => (await import("./tasks/custom-metrics.js")).customMetricsTaskRunner),
  );
  registry.register(
    "proxymetrics",
    lazyRunner(async () => (await import("./tasks/proxy-metrics.js")).proxyMetricsTaskRunner),
  );
  return registry;
}

/** A runner that imports the real one (`load`) the first time it runs. */
function lazyRunner<T extends Task>(load: () => Promise<TaskRunner<T>>): TaskRunner {
  let loaded: Promise<TaskRunner<T>> | undefined;
  return async (task, ctx) => {
    loaded ??= load();
    const runner = await loaded;
    await runner(task as T, ctx);
  };
}
