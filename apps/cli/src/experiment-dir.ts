import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
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

/**
 * Reads `result.yaml` from `dir`; without one, the result that Iter8 v0.11+ kept inside
 * `experiment.yaml` (`{spec: [...], result: {...}}`).
 */
export function loadResultIn(dir: string): Promise<ExperimentResult> {
  const file = join(dir, RESULT_FILE);
  const experiment = join(dir, EXPERIMENT_FILE);
  if (!existsSync(file) && existsSync(experiment)) return loadResult(experiment);
  return loadResult(file);
}

// A top-level `result:` key, as Iter8 v0.11+ wrote it into experiment.yaml.
const EMBEDDED_RESULT = /^result\s*:/m;

/** Reads the result in `dir` (see {@link loadResultIn}), or undefined when there is none yet. */
export async function loadResultIfPresentIn(dir: string): Promise<ExperimentResult | undefined> {
  if (existsSync(join(dir, RESULT_FILE))) return loadResultIn(dir);
  const experiment = join(dir, EXPERIMENT_FILE);
  if (!existsSync(experiment)) return undefined;
  const text = await readFile(experiment, "utf8");
  return EMBEDDED_RESULT.test(text) ? loadResult(experiment) : undefined;
}
