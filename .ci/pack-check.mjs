#!/usr/bin/env node
// Proves the published packages install and embed as a user meets them: builds, packs every
// published package with pnpm, installs the tarballs with npm into a scratch project outside the
// repository (no workspace links), type-checks docs/examples there with tsc (strict, NodeNext) and
// runs each compiled example with node, lints every tarball with publint and
// @arethetypeswrong/cli (esm-only profile: the packages are ESM only, so `require` from CommonJS
// is not a supported use), measures the install footprint of @iter8/engine alone
// (.ci/footprint.mjs) and checks that the engine works without its optional peer @iter8/grpc.
//
//   node .ci/pack-check.mjs [--skip-build] [--keep] [--max-packages N] [--max-mb N]
//
// --skip-build   use the dist/ folders as they are (after `pnpm build`)
// --keep         keep the scratch folder and print its path
// --max-packages, --max-mb   fail when `npm install` of @iter8/engine's tarball (with the tarballs
//                of the @iter8 packages it depends on) installs more packages or megabytes
//                (MB on disk, 1 MB = 1 MiB, as `du -sk`) than this; default 60 and 15
//
// Needs only Node, npm, pnpm and the npm registry (for the tarballs' third-party dependencies).
// Exits 1 when any check fails, after running all that can run; 2 on a bad flag.
import { spawn } from "node:child_process";
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import {
  DEFAULT_LIMITS,
  formatFootprint,
  installedPackages,
  measureInstall,
  npmInstall,
  overLimits,
  parseLimit,
} from "./footprint.mjs";
import { publishedPackages } from "./published-packages.mjs";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const EXAMPLES_DIR = join(ROOT, "docs", "examples");
const BIN = join(ROOT, "node_modules", ".bin");
const MINUTE = 60_000;
const EXAMPLE_TIMEOUT_MS = 2 * MINUTE;

const USAGE =
  "usage: node .ci/pack-check.mjs [--skip-build] [--keep] [--max-packages N] [--max-mb N]";

function parseFlags(argv) {
  const flags = { skipBuild: false, keep: false, ...DEFAULT_LIMITS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--skip-build") flags.skipBuild = true;
    else if (arg === "--keep") flags.keep = true;
    else if (arg === "--max-packages") flags.maxPackages = parseLimit(arg, argv[++i]);
    else if (arg === "--max-mb") flags.maxMb = parseLimit(arg, argv[++i]);
    else throw new Error(`unknown flag ${arg}`);
  }
  return flags;
}

const STARTED = Date.now();
function step(text) {
  console.log(`\n--> ${text} [${((Date.now() - STARTED) / 1000).toFixed(0)} s]`);
}

/** Runs a command; resolves with its exit code (null when killed) and output. Never rejects. */
function run(command, args, { cwd = ROOT, timeoutMs = 10 * MINUTE, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      detached: true, // its own process group, so a timeout ends what it started too
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}${error.message}\n`, timedOut });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

function indent(text) {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}

const problems = [];
function fail(what, outcome) {
  const why = outcome?.timedOut ? " (timed out)" : "";
  problems.push(`${what}${why}`);
  console.log(`FAIL ${what}${why}`);
  if (outcome?.output) console.log(indent(outcome.output));
}

async function readJson(file) {
  return JSON.parse(await readFile(file, "utf8"));
}

/**
 * In `project`, where @iter8/engine is installed without @iter8/grpc: the engine's declarations
 * type-check with skipLibCheck off, and a grpc task fails with one line saying what to install.
 */
async function withoutGrpc(project, devTools) {
  const installed = (await installedPackages(project)).map((p) => p.name);
  if (installed.includes("@iter8/grpc") || installed.includes("protobufjs")) {
    fail(`npm installed @iter8/grpc or protobufjs with @iter8/engine: ${installed.join(", ")}`);
    return;
  }
  try {
    await npmInstall(project, devTools);
  } catch (error) {
    fail("npm install of TypeScript beside @iter8/engine", { output: error.message });
    return;
  }
  await mkdir(join(project, "src"), { recursive: true });
  await copyFile(join(ROOT, ".ci", "engine-without-grpc.ts"), join(project, "src", "check.ts"));
  const tsconfig = await readJson(join(EXAMPLES_DIR, "tsconfig.json"));
  tsconfig.compilerOptions = { ...tsconfig.compilerOptions, rootDir: "src", skipLibCheck: false };
  tsconfig.include = ["src/*.ts"];
  await writeFile(join(project, "tsconfig.json"), `${JSON.stringify(tsconfig, null, 2)}\n`);
  const tsc = await run(join(project, "node_modules", ".bin", "tsc"), ["-p", "."], {
    cwd: project,
    timeoutMs: 5 * MINUTE,
  });
  if (tsc.code !== 0) {
    fail("tsc (skipLibCheck false) on an import of @iter8/engine without @iter8/grpc", tsc);
    return;
  }
  const check = await run(process.execPath, [join("dist", "check.js")], {
    cwd: project,
    timeoutMs: 2 * MINUTE,
  });
  if (check.code !== 0) fail("a grpc task without @iter8/grpc", check);
  else console.log(`types check with skipLibCheck false; the grpc task: ${check.output.trim()}`);
}

async function main() {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    console.error(`pack-check: ${error.message}\n${USAGE}`);
    return 2;
  }
  const scratch = await mkdtemp(join(tmpdir(), "iter8-pack-check-"));
  const tarballDir = join(scratch, "tarballs");
  const project = join(scratch, "embed");
  const engineProject = join(scratch, "engine-only");

  try {
    if (!flags.skipBuild) {
      step("Build");
      const build = await run("pnpm", ["build"]);
      if (build.code !== 0) {
        fail("pnpm build", build);
        return 1;
      }
    }

    step("Pack every published package");
    // In dependency order, from the one list `pnpm release` also uses.
    const packages = publishedPackages(ROOT).map(({ dir, manifest }) => ({
      dir: join(ROOT, dir),
      manifest,
    }));
    const manifests = new Map(packages.map(({ manifest }) => [manifest.name, manifest]));
    const tarballs = new Map();
    for (const { dir, manifest } of packages) {
      const packed = await run("pnpm", ["pack", "--json", "--pack-destination", tarballDir], {
        cwd: dir,
        timeoutMs: 2 * MINUTE,
      });
      let filename;
      try {
        filename = packed.code === 0 ? JSON.parse(packed.output).filename : undefined;
      } catch {
        filename = undefined;
      }
      if (typeof filename !== "string") {
        fail(`pnpm pack ${relative(ROOT, dir)}`, packed);
        return 1;
      }
      tarballs.set(manifest.name, filename);
      console.log(`${manifest.name}: ${basename(filename)}`);
    }

    step("Lint each tarball (publint; attw, esm-only profile)");
    for (const [name, tarball] of tarballs) {
      const publint = await run(join(BIN, "publint"), [tarball], { timeoutMs: 2 * MINUTE });
      if (publint.code !== 0) fail(`publint ${name}`, publint);
      const attw = await run(
        join(BIN, "attw"),
        [tarball, "--profile", "esm-only", "--no-definitely-typed", "--format", "ascii"],
        { timeoutMs: 2 * MINUTE, env: { NO_COLOR: "1", FORCE_COLOR: "0" } },
      );
      if (attw.code !== 0) fail(`attw ${name}`, attw);
      const warnings = publint.output
        .split("\n")
        .filter((line) => /^\s*\d+\.|warning|suggestion/i.test(line));
      console.log(
        `${name}: publint ${publint.code === 0 ? "ok" : "FAILED"}, attw ${attw.code === 0 ? "ok" : "FAILED"}` +
          (warnings.length > 0 ? `\n${indent(warnings.join("\n"))}` : ""),
      );
    }

    step(`Scratch project with every tarball (${project})`);
    const typescript = (await readJson(join(ROOT, "node_modules", "typescript", "package.json")))
      .version;
    const typesNode = (await readJson(join(ROOT, "node_modules", "@types", "node", "package.json")))
      .version;
    const devTools = [`typescript@${typescript}`, `@types/node@${typesNode}`];
    try {
      await npmInstall(project, [...tarballs.values(), ...devTools]);
    } catch (error) {
      fail("npm install of the tarballs", { output: error.message });
      return 1;
    }
    console.log(`installed ${(await installedPackages(project)).length} packages`);

    step(`Type-check docs/examples (tsc ${typescript}, docs/examples/tsconfig.json)`);
    await cp(EXAMPLES_DIR, join(project, "examples"), { recursive: true });
    await cp(join(EXAMPLES_DIR, "tsconfig.json"), join(project, "tsconfig.json"));
    const examples = (await readdir(EXAMPLES_DIR)).filter((file) => file.endsWith(".ts")).sort();
    // --skipLibCheck false also checks the declarations the tarballs ship. Errors inside other
    // projects' declarations (a third-party .d.ts importing an untyped module) are not ours: the
    // examples' tsconfig skips library checks, as most projects do, and they are only listed here.
    const tsc = await run(
      join(project, "node_modules", ".bin", "tsc"),
      ["-p", ".", "--skipLibCheck", "false"],
      { cwd: project, timeoutMs: 5 * MINUTE },
    );
    const errors = tsc.output.split("\n").filter((line) => /: error TS\d+:/.test(line));
    const foreign = errors.filter((line) => /^node_modules\/(?!@iter8\/)/.test(line));
    const ours = errors.filter((line) => !foreign.includes(line));
    const typeChecks = tsc.code === 0 || (ours.length === 0 && foreign.length > 0 && !tsc.timedOut);
    if (!typeChecks) fail("tsc on docs/examples", tsc);
    else console.log(`${examples.length} examples type-check, with the packages' declarations`);
    if (foreign.length > 0) {
      console.log(`third-party declaration errors (not failing):\n${indent(foreign.join("\n"))}`);
    }

    step("Run each example with node");
    if (typeChecks) {
      for (const example of examples) {
        const script = join("dist", example.replace(/\.ts$/, ".js"));
        const t0 = Date.now();
        const outcome = await run(process.execPath, [script], {
          cwd: project,
          timeoutMs: EXAMPLE_TIMEOUT_MS,
        });
        const seconds = ((Date.now() - t0) / 1000).toFixed(1);
        if (outcome.code !== 0) {
          fail(`example ${example} (exit ${String(outcome.code)}, ${seconds} s)`, outcome);
        } else {
          console.log(`ok ${example} (${seconds} s)\n${indent(outcome.output)}`);
        }
      }
    } else {
      console.log("skipped: the examples do not type-check");
    }

    step("The CLI from its tarball");
    const cli = await run(join(project, "node_modules", ".bin", "iter8"), ["version"], {
      cwd: project,
      timeoutMs: MINUTE,
    });
    if (cli.code !== 0) fail("iter8 version from the installed @iter8/cli", cli);
    else console.log(`iter8 version: ${cli.output.trim()}`);

    step("Install footprint of @iter8/engine alone (.ci/footprint.mjs)");
    let footprint;
    try {
      footprint = await measureInstall({
        name: "@iter8/engine",
        tarballs,
        manifests,
        project: engineProject,
      });
    } catch (error) {
      fail("npm install of @iter8/engine", { output: error.message });
    }
    if (footprint !== undefined) {
      console.log(formatFootprint(footprint).join("\n"));
      console.log(
        `limits: ${flags.maxPackages} packages, ${flags.maxMb} MB (--max-packages, --max-mb)`,
      );
      for (const over of overLimits(footprint, flags)) fail(over);

      // After the measurement: TypeScript is the check's, not the engine's.
      step("@iter8/engine without its optional peer @iter8/grpc (.ci/engine-without-grpc.ts)");
      await withoutGrpc(engineProject, devTools);
    }
  } finally {
    if (flags.keep) console.log(`\nkept ${scratch}`);
    else await rm(scratch, { recursive: true, force: true });
  }

  const seconds = ((Date.now() - STARTED) / 1000).toFixed(0);
  if (problems.length > 0) {
    console.log(`\npack-check: ${problems.length} failed (${seconds} s):`);
    for (const problem of problems) console.log(`  - ${problem}`);
    return 1;
  }
  console.log(`\npack-check: all passed (${seconds} s)`);
  return 0;
}

process.exitCode = await main();
