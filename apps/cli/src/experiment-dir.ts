import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Experiment, ExperimentResult } from "@iter8/spec";
import { loadExperiment, loadResult, RESULT_FILE } from "@iter8/spec";
import type { CommandContext } from "./context.js";

/** File name of the experiment in an experiment directory. */
export const EXPERIMENT_FILE = "experiment.yaml";

/** The experiment directory a command works on: `--dir`, relative to the working directory. */
export function experimentDir(ctx: CommandContext, dir: string | undefined): string {
  return resolve(ctx.cwd, dir ?? ".");
}

/** Reads `experiment.yaml` from `dir` when it exists (reports can do without it). */
export async function loadExperimentIfPresent(dir: string): Promise<Experiment | undefined> {
  const file = join(dir, EXPERIMENT_FILE);
  return existsSync(file) ? loadExperiment(file) : undefined;
}

/** Reads `result.yaml` from `dir`. */
export function loadResultIn(dir: string): Promise<ExperimentResult> {
  return loadResult(join(dir, RESULT_FILE));
}
