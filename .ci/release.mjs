// `pnpm release`: builds the published packages from clean, packs each one with pnpm (which
// rewrites `workspace:*` to the exact version), checks every tarball, then publishes the checked
// tarballs in dependency order and tags the release in git. See docs/releasing.md.
//
//   pnpm release --dry-run          build, pack, check, print what would be published; no network
//   pnpm release                    the same, then publish the versions not yet on the registry
//   options: --skip-build (use the dist/ already built), --out DIR (keep the tarballs there),
//            --tag TAG (npm dist-tag, default latest)
import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import {
  publishedPackages,
  readJson,
  runtimeWorkspaceDependencies,
} from "./published-packages.mjs";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEPENDENCY_FIELDS = [
  "dependencies",
  "optionalDependencies",
  "peerDependencies",
  "devDependencies",
];
const CODE_WITH_MAPS = /\.(?:js|mjs|cjs|d\.ts|d\.mts|d\.cts)$/;

function parseArgs(argv) {
  const options = { dryRun: false, skipBuild: false, out: undefined, tag: "latest" };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--dry-run") options.dryRun = true;
    else if (arg === "--skip-build") options.skipBuild = true;
    else if (arg === "--out" || arg === "--tag") {
      const value = argv[++i];
      if (!value || value.startsWith("--")) throw new Error(`${arg} needs a value`);
      if (arg === "--out") options.out = resolve(value);
      else options.tag = value;
    } else if (arg === "--") continue;
    else
      throw new Error(
        `unknown option ${arg} (expected --dry-run, --skip-build, --out DIR, --tag TAG)`,
      );
  }
  return options;
}

function run(command, args, cwd = ROOT) {
  return execFileSync(command, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
}

/** The version of pkg on the registry, or "" when this version (or the package) is not there. */
function registryVersion(pkg) {
  try {
    return execFileSync("npm", ["view", `${pkg.name}@${pkg.version}`, "version"], {
      cwd: ROOT,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  } catch (error) {
    if (String(error.stderr).includes("E404")) return "";
    throw new Error(`npm view ${pkg.name}@${pkg.version} failed: ${String(error.stderr).trim()}`);
  }
}

/** Why publishing now would publish something other than what is committed, or undefined. */
function notReadyToPublish() {
  const pending = readdirSync(join(ROOT, ".changeset")).filter(
    (file) => file.endsWith(".md") && file !== "README.md",
  );
  if (pending.length > 0) {
    return `.changeset/ has changesets not yet applied (${pending.join(", ")}); run pnpm version-packages and commit first`;
  }
  if (run("git", ["status", "--porcelain"]).trim() !== "") {
    return "the working tree has uncommitted changes; commit the release first";
  }
  return undefined;
}

/** Removes each published package's dist/ and builds them (and what they need) without the cache. */
function cleanBuild(packages) {
  for (const pkg of packages) rmSync(join(ROOT, pkg.dir, "dist"), { recursive: true, force: true });
  const filters = packages.map((pkg) => `--filter=${pkg.name}`);
  execFileSync(
    "pnpm",
    ["exec", "turbo", "run", "build", "--force", "--output-logs=errors-only", ...filters],
    {
      cwd: ROOT,
      stdio: "inherit",
    },
  );
}

/** Packs one package with pnpm; returns the tarball's path. */
function pack(pkg, out) {
  const report = JSON.parse(
    run("pnpm", ["pack", "--json", "--pack-destination", out], join(ROOT, pkg.dir)),
  );
  const filename = (Array.isArray(report) ? report[0] : report)?.filename;
  if (typeof filename !== "string" || !existsSync(filename)) {
    throw new Error(`${pkg.dir}: pnpm pack did not report a tarball`);
  }
  return filename;
}

/** Every file under dir, as paths relative to it with forward slashes. */
function listFiles(dir, prefix = "") {
  const files = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(dir, path));
    else files.push(path);
  }
  return files;
}

/** The file paths an `exports` map names (every condition, nested), as written. */
function exportTargets(value) {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.values(value).flatMap(exportTargets);
}

/** Problems of one unpacked tarball (its `package/` folder), each naming the file. */
function tarballProblems(pkg, unpacked, versions, license) {
  const problems = [];
  const at = (file, message) => problems.push(`${pkg.name}: ${file}: ${message}`);
  const files = new Set(listFiles(unpacked));
  const inside = (from, target) => {
    const path = relative(unpacked, resolve(unpacked, from, target))
      .split(sep)
      .join("/");
    return path.startsWith("../") ? undefined : path;
  };
  const manifest = readJson(join(unpacked, "package.json"));

  for (const field of DEPENDENCY_FIELDS) {
    for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
      if (/^(?:workspace|link|file|portal):/.test(range))
        at("package.json", `${field}.${dep} is ${range}`);
    }
  }
  for (const dep of runtimeWorkspaceDependencies({ manifest }, new Set(versions.keys()))) {
    const range =
      manifest.dependencies?.[dep] ??
      manifest.optionalDependencies?.[dep] ??
      manifest.peerDependencies?.[dep];
    if (range !== versions.get(dep))
      at("package.json", `${dep} is ${range}, expected ${versions.get(dep)}`);
  }

  const named = [
    ...exportTargets(manifest.exports),
    ...[manifest.types, manifest.main].filter((v) => typeof v === "string"),
    ...Object.values(
      typeof manifest.bin === "string" ? { bin: manifest.bin } : (manifest.bin ?? {}),
    ),
  ];
  for (const target of named) {
    const star = target.indexOf("*");
    const path = inside("", star < 0 ? target : target.slice(0, star));
    const found = star < 0 ? files.has(path) : [...files].some((f) => f.startsWith(path));
    if (!path || !found) at("package.json", `names ${target}, which is not in the tarball`);
  }

  if (!files.has("LICENSE")) at("LICENSE", "missing");
  else if (readFileSync(join(unpacked, "LICENSE"), "utf8") !== license)
    at("LICENSE", "differs from the root LICENSE");
  for (const file of ["README.md", "CHANGELOG.md"]) if (!files.has(file)) at(file, "missing");

  for (const file of files) {
    if (/\.test\.[cm]?[jt]s$/.test(file)) at(file, "a test file is shipped");
    if (CODE_WITH_MAPS.test(file)) {
      const text = readFileSync(join(unpacked, file), "utf8");
      const url = [...text.matchAll(/^\/\/# sourceMappingURL=(\S+)\s*$/gm)].pop()?.[1];
      if (url && !url.startsWith("data:")) {
        const mapFile = inside(dirname(file), decodeURIComponent(url));
        if (!mapFile || !files.has(mapFile))
          at(file, `sourceMappingURL ${url} is not in the tarball`);
      }
    }
    if (file.endsWith(".map")) {
      let map;
      try {
        map = JSON.parse(readFileSync(join(unpacked, file), "utf8"));
      } catch {
        at(file, "is not JSON");
        continue;
      }
      for (const source of map.sources ?? []) {
        const path = inside(join(dirname(file), map.sourceRoot ?? ""), source);
        if (!path || !files.has(path)) at(file, `source ${source} is not in the tarball`);
      }
    }
  }
  return { problems, fileCount: files.size };
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const packages = publishedPackages(ROOT);
  const versions = new Map(packages.map((pkg) => [pkg.name, pkg.version]));
  const license = readFileSync(join(ROOT, "LICENSE"), "utf8");

  if (!options.dryRun) {
    const reason = notReadyToPublish();
    if (reason) throw new Error(reason);
  }
  if (!options.skipBuild) cleanBuild(packages);
  const out = options.out ?? mkdtempSync(join(tmpdir(), "iter8-release-"));
  mkdirSync(out, { recursive: true });
  const scratch = mkdtempSync(join(tmpdir(), "iter8-release-check-"));

  const packed = [];
  const problems = [];
  try {
    for (const pkg of packages) {
      const tarball = pack(pkg, out);
      const unpackDir = join(scratch, pkg.dir.replace("/", "-"));
      mkdirSync(unpackDir, { recursive: true });
      run("tar", ["-xzf", tarball, "-C", unpackDir]);
      const checked = tarballProblems(pkg, join(unpackDir, "package"), versions, license);
      problems.push(...checked.problems);
      packed.push({ pkg, tarball, fileCount: checked.fileCount, bytes: statSync(tarball).size });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }

  const idWidth = Math.max(...packed.map(({ pkg }) => `${pkg.name}@${pkg.version}`.length));
  const fileWidth = Math.max(...packed.map(({ tarball }) => relative(out, tarball).length));
  packed.forEach(({ pkg, tarball, fileCount, bytes }, i) => {
    const id = `${pkg.name}@${pkg.version}`.padEnd(idWidth);
    const file = relative(out, tarball).padEnd(fileWidth);
    const size = `${(bytes / 1024).toFixed(1)} kB`.padStart(9);
    console.log(
      `${String(i + 1).padStart(2)}. ${id}  ${file}  ${String(fileCount).padStart(4)} files ${size}`,
    );
  });
  console.log(`tarballs in ${out}`);
  if (problems.length > 0) {
    for (const problem of problems) console.error(problem);
    console.error(`release: ${problems.length} problem(s) in the tarballs; nothing published`);
    process.exitCode = 1;
    return;
  }
  console.log(
    `release: ${packed.length} tarballs checked (versions, exports, LICENSE, source maps resolve inside)`,
  );
  if (options.dryRun) {
    console.log(
      `dry run: would publish the ${packed.length} packages above in this order (tag ${options.tag}); nothing was sent`,
    );
    return;
  }

  for (const { pkg, tarball } of packed) {
    const onRegistry = registryVersion(pkg);
    if (onRegistry === pkg.version) {
      console.log(`${pkg.name}@${pkg.version} is already on the registry; skipped`);
      continue;
    }
    execFileSync("npm", ["publish", tarball, "--access", "public", "--tag", options.tag], {
      cwd: ROOT,
      stdio: "inherit",
    });
  }
  execFileSync("pnpm", ["exec", "changeset", "tag"], { cwd: ROOT, stdio: "inherit" });
  console.log("published; push the tags with: git push --follow-tags");
}

try {
  main();
} catch (error) {
  console.error(`release: ${error.message}`);
  process.exitCode = 1;
}
