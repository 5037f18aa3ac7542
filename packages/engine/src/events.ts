import type { ExperimentResult } from "@iter8/spec";
import type { LoadProgress } from "@iter8/loadgen";

/** What the runner reports while an experiment runs; the CLI turns these into progress output. */
export type EngineEvent =
  | { type: "task-start"; index: number; task: string; numTasks: number }
  | { type: "task-skipped"; index: number; task: string; condition: string }
  | { type: "task-done"; index: number; task: string }
  | { type: "task-failed"; index: number; task: string; message: string }
  | {
      type: "load-progress";
      index: number;
      version: number;
      numVersions: number;
      progress: LoadProgress;
    }
  | { type: "run-output"; index: number; stream: "stdout" | "stderr"; text: string }
  | { type: "result-written"; file: string; result: ExperimentResult }
  | { type: "aborted"; index: number };
