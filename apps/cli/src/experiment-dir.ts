import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import type { Experiment, ExperimentResult } from "@iter8/spec";
import { loadExperiment, loadResult, MAX_DOCUMENT_BYTES, RESULT_FILE } from "@iter8/spec";
import type { CommandContext } from "./context.js";

/** File name of the experiment in an experiment directory. */
export const EXPERIMENT_FILE = "experiment.yaml";

/**
 * Adds `--dir` to a command that reads or writes files in a directory (the experiment commands and
 * the traffic commands); commands without files (hub, demo-app, abn, version, schema) do not list it.
 */
export function withDirOption<T>(
  y: Argv<T>,
  describe = "Experiment directory (default: the current directory)",
): Argv<T & { dir: string | undefined }> {
  return y.option("dir", { type: "string", describe });
}

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

// A top-level `result:` key, as Iter8 v0.11+ wrote it into experiment.yaml.
const EMBEDDED_RESULT = /^result\s*:/m;

/** True when `experiment.yaml` in `dir` carries its result (Iter8 v0.11+ `{spec, result}`). */
async function carriesResult(experiment: string): Promise<boolean> {
  if (!existsSync(experiment)) return false;
  // A file too large to read is refused by loadResult, with the reason.
  if ((await stat(experiment)).size >= MAX_DOCUMENT_BYTES) return true;
  return EMBEDDED_RESULT.test(await readFile(experiment, "utf8"));
}

/**
 * Reads `result.yaml` from `dir`; without one, the result that Iter8 v0.11+ kept inside
 * `experiment.yaml` (`{spec: [...], result: {...}}`).
 */
export async function loadResultIn(dir: string): Promise<ExperimentResult> {
  const file = join(dir, RESULT_FILE);
  const experiment = join(dir, EXPERIMENT_FILE);
  if (!existsSync(file) && (await carriesResult(experiment))) return loadResult(experiment);
  return loadResult(file);
}

/** Reads the result in `dir` (see {@link loadResultIn}), or undefined when there is none yet. */
export async function loadResultIfPresentIn(dir: string): Promise<ExperimentResult | undefined> {
  if (existsSync(join(dir, RESULT_FILE))) return loadResultIn(dir);
  const experiment = join(dir, EXPERIMENT_FILE);
  return (await carriesResult(experiment)) ? loadResult(experiment) : undefined;
}
