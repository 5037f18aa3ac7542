#!/usr/bin/env node
// Install footprint of a published package as a user gets it: `npm install` of its tarball, with
// the tarballs of the @iter8 packages it depends on (given as file paths, so npm takes them instead
// of the registry), into a scratch project outside the repository; then the packages npm installed
// (its hidden lockfile, links excluded) and their size on disk (blocks of every file and folder, as
// `du -sk node_modules`; file contents alone are printed too). Optional peer dependencies (such as
// @iter8/engine's @iter8/grpc) are not installed, as npm does not install them.
//
// The one home of this measurement: `.ci/pack-check.mjs` calls `measureInstall` on the tarballs it
// packed and fails over the limits; run alone, this file packs what it needs itself:
//
//   node .ci/footprint.mjs [--package @iter8/engine] [--max-packages N] [--max-mb M] [--keep] [--json]
//
// Alone, it exits 1 when a limit is exceeded (none unless given), 2 on bad usage or a failed
// pack or install.
import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { publishedPackages } from "./published-packages.mjs";

/** The limits of issue 19 for `npm install @iter8/engine`: packages installed, MB on disk. */
export const DEFAULT_LIMITS = { maxPackages: 60, maxMb: 15 };

const MIB = 1024 * 1024;
const MINUTE = 60_000;

/**
 * The @iter8 packages that `npm install name` brings (itself included): its `dependencies` and
 * `optionalDependencies` among `manifests`, transitively. Peer dependencies are the user's to add.
 */
export function installClosure(name, manifests) {
  const seen = new Set();
  const visit = (current) => {
    if (seen.has(current)) return;
    const manifest = manifests.get(current);
    if (manifest === undefined) throw new Error(`${current} is not a published package`);
    seen.add(current);
    const deps = { ...manifest.dependencies, ...manifest.optionalDependencies };
    for (const dep of Object.keys(deps)) if (manifests.has(dep)) visit(dep);
  };
  visit(name);
  return [...seen];
}

/** Bytes of a tree on disk (blocks of files and folders, as `du`) and of file contents. */
async function treeSize(path) {
  const info = await lstat(path);
  const size = { disk: info.blocks * 512, apparent: info.isFile() ? info.size : 0 };
  if (info.isDirectory()) {
    for (const entry of await readdir(path)) {
      const inner = await treeSize(join(path, entry));
      size.disk += inner.disk;
      size.apparent += inner.apparent;
    }
  }
  return size;
}

/** Runs a command; resolves with its output, rejects with an error carrying it. */
function exec(command, args, cwd, timeoutMs) {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      { cwd, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * MIB, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? `timed out after ${timeoutMs / 1000} s` : "failed";
          reject(new Error(`${command} ${args.join(" ")} ${why} in ${cwd}\n${stdout}${stderr}`));
        } else resolvePromise(stdout);
      },
    );
  });
}

/** `npm install` of `specs` in `project` (created with a private manifest when missing). */
// Generous: on a busy machine npm may build better-sqlite3 from source for the CLI's tarball.
export async function npmInstall(project, specs, { timeoutMs = 20 * MINUTE } = {}) {
  await mkdir(project, { recursive: true });
  const manifestFile = join(project, "package.json");
  try {
    await lstat(manifestFile);
  } catch {
    const manifest = { name: "iter8-scratch", version: "0.0.0", private: true, type: "module" };
    await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  }
  const args = ["install", "--no-fund", "--no-audit", "--prefer-offline", "--loglevel=error"];
  return exec("npm", [...args, ...specs], project, timeoutMs);
}

/** The packages npm installed in `project`: its hidden lockfile's entries, links excluded. */
export async function installedPackages(project) {
  const lock = JSON.parse(
    await readFile(join(project, "node_modules", ".package-lock.json"), "utf8"),
  );
  return Object.entries(lock.packages ?? {})
    .filter(([path, entry]) => path.startsWith("node_modules/") && entry.link !== true)
    .map(([path]) => ({
      path,
      name: path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length),
    }));
}

/**
 * Installs `name` from `tarballs` (package name to .tgz path; every package of its install closure
 * must be there) into the new folder `project` and measures the install. Rejects when npm fails.
 */
export async function measureInstall({ name, tarballs, manifests, project }) {
  const closure = installClosure(name, manifests);
  const missing = closure.filter((pkg) => !tarballs.has(pkg));
  if (missing.length > 0) throw new Error(`no tarball for ${missing.join(", ")}`);
  await npmInstall(
    project,
    closure.map((pkg) => tarballs.get(pkg)),
  );
  const nodeModules = join(project, "node_modules");
  const packages = await installedPackages(project);
  const size = await treeSize(nodeModules);
  const byScope = new Map();
  for (const { name: pkg } of packages) {
    const scope = pkg.startsWith("@") ? pkg.split("/")[0] : "(unscoped)";
    byScope.set(scope, (byScope.get(scope) ?? 0) + 1);
  }
  const heaviest = [];
  for (const { path, name: pkg } of packages.filter(
    (p) => p.path.lastIndexOf("node_modules/") === 0,
  )) {
    heaviest.push({ name: pkg, bytes: (await treeSize(join(project, path))).disk });
  }
  heaviest.sort((a, b) => b.bytes - a.bytes);
  return {
    package: name,
    iter8Packages: closure,
    packages: packages.length,
    thirdPartyPackages: packages.filter((p) => !closure.includes(p.name)).length,
    mb: size.disk / MIB,
    apparentMb: size.apparent / MIB,
    byScope: Object.fromEntries([...byScope].sort((a, b) => b[1] - a[1])),
    heaviest: heaviest.slice(0, 10).map(({ name: pkg, bytes }) => ({ name: pkg, mb: bytes / MIB })),
  };
}

/** The measurement in a few lines for people. */
export function formatFootprint(report) {
  return [
    `npm install of ${report.package} (${report.iter8Packages.length} @iter8 tarballs: ` +
      `${report.iter8Packages.join(", ")})`,
    `packages: ${report.packages} (${report.thirdPartyPackages} third-party)   size: ` +
      `${report.mb.toFixed(1)} MB on disk (as du -sk node_modules), ` +
      `${report.apparentMb.toFixed(1)} MB of file contents`,
    `by scope: ${Object.entries(report.byScope)
      .map(([scope, n]) => `${scope} ${n}`)
      .join(", ")}`,
    `heaviest: ${report.heaviest.map((h) => `${h.name} ${h.mb.toFixed(1)} MB`).join(", ")}`,
  ];
}

/** One line per limit the measurement exceeds (MB are MiB on disk); none when within. */
export function overLimits(report, { maxPackages, maxMb }) {
  const over = [];
  if (maxPackages !== undefined && report.packages > maxPackages) {
    over.push(`${report.package} installs ${report.packages} packages, more than ${maxPackages}`);
  }
  if (maxMb !== undefined && report.mb > maxMb) {
    over.push(`${report.package} installs ${report.mb.toFixed(1)} MB, more than ${maxMb} MB`);
  }
  return over;
}

/** A limit flag's value: a positive number. Throws naming the flag otherwise. */
export function parseLimit(flag, raw) {
  const value = Number(raw);
  if (!(Number.isFinite(value) && value > 0)) {
    throw new Error(`${flag} needs a positive number, got ${String(raw)}`);
  }
  return value;
}

const USAGE =
  "usage: node .ci/footprint.mjs [--package NAME] [--max-packages N] [--max-mb M] [--keep] [--json]";

async function main() {
  const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
  let args;
  let limits;
  try {
    args = parseArgs({
      options: {
        package: { type: "string", default: "@iter8/engine" },
        "max-packages": { type: "string" },
        "max-mb": { type: "string" },
        keep: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
      strict: true,
    }).values;
    limits = {
      maxPackages:
        args["max-packages"] === undefined
          ? undefined
          : parseLimit("--max-packages", args["max-packages"]),
      maxMb: args["max-mb"] === undefined ? undefined : parseLimit("--max-mb", args["max-mb"]),
    };
  } catch (error) {
    console.error(`footprint: ${error.message}\n${USAGE}`);
    return 2;
  }

  const published = publishedPackages(root);
  const manifests = new Map(published.map(({ manifest }) => [manifest.name, manifest]));
  if (!manifests.has(args.package)) {
    console.error(`footprint: ${args.package} is not a published package\n${USAGE}`);
    return 2;
  }
  const scratch = await mkdtemp(join(tmpdir(), "iter8-footprint-"));
  let report;
  try {
    const tarballs = new Map();
    for (const name of installClosure(args.package, manifests)) {
      const dir = join(root, published.find((p) => p.name === name).dir);
      const out = await exec(
        "pnpm",
        ["pack", "--json", "--pack-destination", scratch],
        dir,
        MINUTE,
      );
      tarballs.set(name, JSON.parse(out).filename);
    }
    const project = join(scratch, "project");
    report = await measureInstall({ name: args.package, tarballs, manifests, project });
  } catch (error) {
    console.error(`footprint: ${error.message}`);
    return 2;
  } finally {
    if (args.keep) console.error(`kept ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  }
  if (args.json) console.log(JSON.stringify(report, null, 2));
  else console.log(formatFootprint(report).join("\n"));
  const over = overLimits(report, limits);
  for (const line of over) console.error(`footprint: over the limit: ${line}`);
  return over.length > 0 ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
