import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { UsageError } from "./errors.js";

const execFileAsync = promisify(execFile);

/** The hub that ships inside @iter8/cli (apps/cli/hub). */
export function builtInHubDir(): string {
  return fileURLToPath(new URL("../hub", import.meta.url));
}

/** Experiment names are single path segments: letters, digits, `.`, `_`, `-`; never `..`. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Checks an experiment name so that no path can escape the hub or the destination. */
export function checkExperimentName(name: string): void {
  if (!NAME_PATTERN.test(name) || name.includes("..")) {
    throw new UsageError(
      `invalid experiment name "${name}"`,
      "a name is one folder name made of letters, digits, '.', '_' and '-'",
    );
  }
}

/** True when `source` names a git repository rather than a local folder. */
export function isGitSource(source: string): boolean {
  return (
    /^(https?:\/\/|git@|ssh:\/\/|git:\/\/|file:\/\/)/.test(source) || /\.git(\/\/.*)?$/.test(source)
  );
}

/** The experiment names a hub folder holds (folders with an experiment.yaml). */
export async function listHubExperiments(hubDir: string): Promise<string[]> {
  const entries = await readdir(hubDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && existsSync(join(hubDir, e.name, "experiment.yaml")))
    .map((e) => e.name)
    .sort();
}

/** Options of `fetchHubExperiment`. */
export interface FetchHubOptions {
  name: string;
  /** Folder the experiment folder is created in. */
  destDir: string;
  /** A local folder or a git URL (`URL[//subdir]`); defaults to the built-in hub. */
  source?: string;
  /** Replace an existing destination folder. */
  force?: boolean;
}

/**
 * Copies experiment folder `name` from a hub into `destDir/name` and returns that path. A git
 * source is cloned shallowly into a temporary folder first (`URL//subdir` picks a sub-folder).
 */
export async function fetchHubExperiment(options: FetchHubOptions): Promise<string> {
  checkExperimentName(options.name);
  const target = join(options.destDir, options.name);
  if (existsSync(target) && !options.force) {
    throw new UsageError(
      `${target} already exists`,
      "remove it, choose another --dest, or pass --force",
    );
  }
  let cleanup: string | undefined;
  try {
    let hubDir: string;
    if (!options.source) {
      hubDir = builtInHubDir();
    } else if (isGitSource(options.source)) {
      cleanup = await mkdtemp(join(tmpdir(), "iter8-hub-"));
      hubDir = await cloneHub(options.source, cleanup);
    } else {
      hubDir = isAbsolute(options.source) ? options.source : resolve(options.source);
    }
    const from = join(hubDir, options.name);
    const available = await listHubExperiments(hubDir).catch(() => []);
    if (!existsSync(join(from, "experiment.yaml")) || !(await stat(from)).isDirectory()) {
      throw new UsageError(
        `no experiment "${options.name}" in the hub ${options.source ?? "(built-in)"}`,
        available.length ? `available: ${available.join(", ")}` : "the hub holds no experiments",
      );
    }
    if (options.force) await rm(target, { recursive: true, force: true });
    await cp(from, target, { recursive: true, errorOnExist: true, force: false });
    if (!options.source) await copyProviderTemplates(target);
    return target;
  } finally {
    if (cleanup) await rm(cleanup, { recursive: true, force: true });
  }
}

/**
 * Copies next to a built-in hub experiment the provider templates its `custommetrics` tasks name
 * and that ship in @iter8/providers (the one copy of each in the repository), so that the folder
 * `iter8 hub -e` creates is self-contained. A file the experiment folder holds is kept.
 */
async function copyProviderTemplates(experimentDir: string): Promise<void> {
  const { TASK_NAMES, loadExperiment } = await import("@iter8/spec");
  const { builtInTemplatePath, isBuiltInTemplate } = await import("@iter8/providers");
  const experiment = await loadExperiment(join(experimentDir, "experiment.yaml"));
  for (const task of experiment.tasks) {
    if (task.task !== TASK_NAMES.customMetrics) continue;
    for (const ref of Object.values(task.with.templates)) {
      const file = join(experimentDir, ref);
      if (isBuiltInTemplate(ref) && !existsSync(file)) await cp(builtInTemplatePath(ref), file);
    }
  }
}

async function cloneHub(source: string, into: string): Promise<string> {
  // `URL//subdir` (go-getter style, as Iter8 used): the `//` after the scheme's own.
  const scheme = source.indexOf("://");
  const split = source.indexOf("//", scheme >= 0 ? scheme + 3 : 0);
  const url = split > 0 ? source.slice(0, split) : source;
  const subdir = split > 0 ? source.slice(split + 2) : "";
  if (subdir.split("/").some((part) => part === "..")) {
    throw new UsageError(`invalid hub sub-folder in "${source}"`);
  }
  const repoDir = join(into, "repo");
  try {
    await execFileAsync("git", ["clone", "--depth", "1", "--quiet", url, repoDir], {
      timeout: 120_000,
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
    });
  } catch (error) {
    const detail = (error as { stderr?: string }).stderr?.trim().split("\n").pop() ?? String(error);
    throw new UsageError(`could not clone hub ${url}: ${detail}`);
  }
  return subdir ? join(repoDir, subdir) : repoDir;
}
