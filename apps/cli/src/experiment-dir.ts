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

/**
 * Reads `experiment.yaml` from `dir` when it exists (reports can do without it). Leniently: the
 * experiment was checked when it ran (`iter8 run --lenient` may have ignored unknown keys, as
 * Iter8 did), and a key nothing reads does not change a report or a verdict.
 */
export async function loadExperimentIfPresent(dir: string): Promise<Experiment | undefined> {
  const file = join(dir, EXPERIMENT_FILE);
  return existsSync(file) ? loadExperiment(file, { lenient: true }) : undefined;
}

/** Reads `result.yaml` from `dir`. */
export function loadResultIn(dir: string): Promise<ExperimentResult> {
  return loadResult(join(dir, RESULT_FILE));
}
