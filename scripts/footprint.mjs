#!/usr/bin/env node
// Install footprint of @iter8/engine as a user gets it: packs the engine and every workspace package
// it depends on (`pnpm pack`, which turns `workspace:*` into versions), installs the engine's tarball
// with npm into a scratch project outside the repository (the other tarballs given as `file:`
// dependencies so npm takes them instead of the registry), then counts the packages in
// node_modules and their size on disk (`du -sk`, the figure --max-mb checks; file contents alone,
// `du --apparent-size`, are printed too).
//
//   node scripts/footprint.mjs [--package @iter8/engine] [--max-packages N] [--max-mb M] [--keep] [--json]
//
// Exits 1 when a limit is exceeded, 2 on bad usage or a failed pack/install.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function usage(message) {
  process.stderr.write(
    `footprint: ${message}\nusage: node scripts/footprint.mjs [--package NAME] [--max-packages N] [--max-mb M] [--keep] [--json]\n`,
  );
  process.exit(2);
}

let args;
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
} catch (error) {
  usage(error instanceof Error ? error.message : String(error));
}

function limit(name) {
  const raw = args[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0)
    usage(`--${name} wants a non-negative number, got "${raw}"`);
  return value;
}
const maxPackages = limit("max-packages");
const maxMb = limit("max-mb");

/** Workspace packages by name: their directory and manifest. */
function workspacePackages() {
  const found = new Map();
  for (const group of ["packages", "apps"]) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(root, group, entry.name);
      let manifest;
      try {
        manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      } catch {
        continue;
      }
      found.set(manifest.name, { dir, manifest });
    }
  }
  return found;
}

/** The package and the workspace packages its runtime dependencies reach, transitively. */
function workspaceClosure(all, name) {
  const seen = new Set();
  const visit = (current) => {
    if (seen.has(current)) return;
    const pkg = all.get(current);
    if (pkg === undefined) usage(`${current} is not a workspace package`);
    seen.add(current);
    for (const [dep, range] of Object.entries(pkg.manifest.dependencies ?? {})) {
      if (String(range).startsWith("workspace:")) visit(dep);
    }
  };
  visit(name);
  return [...seen];
}

function run(command, commandArgs, cwd) {
  try {
    return execFileSync(command, commandArgs, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    process.stderr.write(`footprint: ${command} ${commandArgs.join(" ")} failed in ${cwd}\n`);
    process.stderr.write(String(error.stderr ?? error.message));
    process.exit(2);
  }
}

/** Every installed package directory under a node_modules tree (scoped and nested ones too). */
function installedPackages(nodeModules) {
  const found = [];
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue;
      if (entry.name.startsWith("@")) {
        for (const scoped of readdirSync(join(dir, entry.name), { withFileTypes: true })) {
          if (scoped.isDirectory()) visitPackage(join(dir, entry.name, scoped.name));
        }
      } else {
        visitPackage(join(dir, entry.name));
      }
    }
  };
  const visitPackage = (dir) => {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      found.push({ name: manifest.name, version: manifest.version, dir });
    } catch {
      return;
    }
    walk(join(dir, "node_modules"));
  };
  walk(nodeModules);
  return found;
}

function diskKib(dir, apparent = false) {
  const flags = apparent ? ["-sk", "--apparent-size", dir] : ["-sk", dir];
  return Number(run("du", flags, root).split(/\s+/)[0]);
}

/** pnpm, or pnpm 10 through npx on a machine that has only Node and npm. */
function pnpmCommand() {
  try {
    execFileSync("pnpm", ["--version"], { stdio: "ignore" });
    return ["pnpm"];
  } catch {
    return ["npx", "-y", "pnpm@10"];
  }
}

const all = workspacePackages();
const closure = workspaceClosure(all, args.package);
const scratch = mkdtempSync(join(tmpdir(), "iter8-footprint-"));
const tarballs = new Map();
const [pnpm, ...pnpmArgs] = pnpmCommand();
for (const name of closure) {
  const out = run(
    pnpm,
    [...pnpmArgs, "pack", "--json", "--pack-destination", scratch],
    all.get(name).dir,
  );
  const packed = JSON.parse(out);
  tarballs.set(name, packed.filename);
}

const tarballKib = Object.fromEntries(
  [...tarballs].map(([name, file]) => [
    name,
    Math.ceil(Number(run("du", ["-k", file], root).split(/\s+/)[0])),
  ]),
);
const project = join(scratch, "project");
run("mkdir", ["-p", project], root);
writeFileSync(
  join(project, "package.json"),
  JSON.stringify(
    {
      name: "iter8-footprint-scratch",
      private: true,
      // The engine is what the user installs; the other workspace tarballs stand in for the registry.
      dependencies: Object.fromEntries([...tarballs].map(([name, file]) => [name, `file:${file}`])),
    },
    null,
    2,
  ),
);
run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], project);

const nodeModules = join(project, "node_modules");
const packages = installedPackages(nodeModules);
const ours = packages.filter((p) => closure.includes(p.name));
const kib = diskKib(nodeModules);
const mb = kib / 1024;
const apparentMb = diskKib(nodeModules, true) / 1024;
const byScope = new Map();
for (const p of packages) {
  const scope = p.name.startsWith("@") ? p.name.split("/")[0] : "(unscoped)";
  byScope.set(scope, (byScope.get(scope) ?? 0) + 1);
}
const heaviest = readdirSync(nodeModules, { withFileTypes: true })
  .filter((e) => e.isDirectory() && !e.name.startsWith("."))
  .map((e) => ({ name: e.name, kib: diskKib(join(nodeModules, e.name)) }))
  .sort((a, b) => b.kib - a.kib)
  .slice(0, 10);

const report = {
  package: args.package,
  workspacePackages: closure,
  packages: packages.length,
  thirdPartyPackages: packages.length - ours.length,
  mb: Math.round(mb * 10) / 10,
  apparentMb: Math.round(apparentMb * 10) / 10,
  byScope: Object.fromEntries([...byScope].sort((a, b) => b[1] - a[1])),
  heaviest,
  tarballKib,
  scratch: args.keep ? project : undefined,
};

if (args.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  process.stdout.write(
    `npm install of ${args.package} (${closure.length} workspace tarballs: ${closure.join(", ")})\n`,
  );
  process.stdout.write(
    `packages: ${report.packages} (${report.thirdPartyPackages} third-party)   size: ${report.mb} MB on disk (du -sk node_modules), ${report.apparentMb} MB of file contents (du --apparent-size)\n`,
  );
  process.stdout.write(`by scope: ${[...byScope].map(([s, n]) => `${s} ${n}`).join(", ")}\n`);
  process.stdout.write(
    `heaviest top-level entries: ${heaviest.map((h) => `${h.name} ${(h.kib / 1024).toFixed(1)} MB`).join(", ")}\n`,
  );
  if (args.keep) process.stdout.write(`kept: ${project}\n`);
}
if (!args.keep) rmSync(scratch, { recursive: true, force: true });

const over = [];
if (maxPackages !== undefined && report.packages > maxPackages)
  over.push(`${report.packages} packages > ${maxPackages}`);
if (maxMb !== undefined && mb > maxMb) over.push(`${report.mb} MB > ${maxMb} MB`);
if (over.length > 0) {
  process.stderr.write(`footprint: over the limit: ${over.join(", ")}\n`);
  process.exit(1);
}
