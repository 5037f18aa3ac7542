// Checks that every published package (see published-packages.mjs) is ready for the npm registry:
// the metadata the registry page and `npm publish` need, the LICENSE, a CHANGELOG.md, and a
// README without relative links that leave the package (they break on the registry's page).
// Prints one line per problem, naming the file and the field, and exits 1 when there is any.
//
//   node .ci/check-packages.mjs         check (run by `pnpm lint`)
//   node .ci/check-packages.mjs --fix   write the fields derived from the root package.json
//                                       (repository, homepage, bugs, license, engines,
//                                       publishConfig), e.g. after the repository moves
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import { publishedPackages, repositoryFacts } from "./published-packages.mjs";

/**
 * Entries every package's `files` lists: `dist` without source maps (a stale map left by an
 * earlier build would point at sources the tarball does not ship), README.md, CHANGELOG.md and
 * LICENSE (the last two are checked below).
 */
const REQUIRED_FILES_ENTRIES = ["dist", "!dist/**/*.map", "README.md", "CHANGELOG.md", "LICENSE"];

/** The export condition the repository's typechecking and tests use: it points at `src/`. */
const SOURCE_CONDITION = "iter8-source";

/** The order `--fix` writes package.json keys in; keys not named here keep their order after. */
const KEY_ORDER = [
  "name",
  "version",
  "private",
  "description",
  "keywords",
  "license",
  "homepage",
  "bugs",
  "repository",
  "type",
  "engines",
  "sideEffects",
  "exports",
  "types",
  "main",
  "bin",
  "files",
  "scripts",
  "dependencies",
  "devDependencies",
  "peerDependencies",
  "optionalDependencies",
  "publishConfig",
];

/** `exports` without the source condition, recursively (what the published package.json says). */
function withoutSourceCondition(exports) {
  if (exports === null || typeof exports !== "object" || Array.isArray(exports)) return exports;
  const out = {};
  for (const [key, value] of Object.entries(exports)) {
    if (key !== SOURCE_CONDITION) out[key] = withoutSourceCondition(value);
  }
  return out;
}

/**
 * The package.json fields that follow from the root package.json, the package's folder and its
 * `exports`. Tarballs ship `dist/` only, so the published `exports` (`publishConfig.exports`,
 * which `pnpm pack` writes into the tarball's package.json) leave out the source condition.
 */
function derivedFields(facts, dir, manifest) {
  const published = withoutSourceCondition(manifest.exports);
  const exportsOverride =
    manifest.exports !== undefined && !sameJson(published, manifest.exports)
      ? { exports: published }
      : {};
  return {
    license: facts.license,
    homepage: `${facts.treeUrl(dir)}#readme`,
    bugs: { url: facts.issues },
    repository: { type: "git", url: facts.gitUrl, directory: dir },
    engines: { node: facts.node },
    publishConfig: { access: "public", provenance: false, ...exportsOverride },
  };
}

/** Link targets of a Markdown text outside code: inline links, reference definitions, HTML. */
function linkTargets(markdown) {
  const prose = markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "")
    .replace(/`[^`\n]*`/g, "");
  const targets = [];
  for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]);
  for (const m of prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) targets.push(m[1]);
  for (const m of prose.matchAll(/\b(?:href|src)\s*=\s*["']([^"']+)["']/gi)) targets.push(m[1]);
  return targets;
}

/** Problems with a README's links: relative links that leave the package, or site-root links. */
function readmeLinkProblems(readme) {
  const problems = [];
  for (const target of linkTargets(readme)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//") || target.startsWith("#")) {
      continue;
    }
    const path = target.split(/[?#]/)[0];
    if (path.startsWith("/")) {
      problems.push(`link ${target} is relative to the site root; use an absolute URL`);
    } else if (posix.normalize(path).startsWith("../")) {
      problems.push(`link ${target} leaves the package; use an absolute URL to the repository`);
    }
  }
  return problems;
}

const sameJson = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The problems of one published package, each a line naming its file. */
function packageProblems(root, facts, license, pkg) {
  const problems = [];
  const at = (file, message) => problems.push(`${pkg.dir}/${file}: ${message}`);
  const m = pkg.manifest;
  for (const [field, expected] of Object.entries(derivedFields(facts, pkg.dir, pkg.manifest))) {
    if (!sameJson(m[field], expected)) {
      at(
        "package.json",
        `${field} must be ${JSON.stringify(expected)} (node .ci/check-packages.mjs --fix)`,
      );
    }
  }
  if (typeof m.description !== "string" || m.description.trim() === "") {
    at("package.json", "description is missing");
  }
  if (
    !Array.isArray(m.keywords) ||
    m.keywords.length === 0 ||
    !m.keywords.every((k) => typeof k === "string" && k !== "")
  ) {
    at("package.json", "keywords must be a non-empty list of words");
  }
  if (typeof m.sideEffects !== "boolean" && !Array.isArray(m.sideEffects)) {
    at("package.json", "sideEffects must be false, or list the modules that have side effects");
  }
  const files = Array.isArray(m.files) ? m.files : [];
  for (const entry of REQUIRED_FILES_ENTRIES) {
    if (!files.includes(entry)) at("package.json", `files must list ${entry}`);
  }
  for (const entry of files) {
    if (typeof entry === "string" && /^!?src(\/|$)/.test(entry)) {
      at("package.json", `files must not list ${entry}: tarballs ship dist/, not the sources`);
    }
  }
  const licensePath = join(root, pkg.dir, "LICENSE");
  if (!existsSync(licensePath)) at("LICENSE", "missing (copy the root LICENSE)");
  else if (readFileSync(licensePath, "utf8") !== license)
    at("LICENSE", "differs from the root LICENSE");
  const changelogPath = join(root, pkg.dir, "CHANGELOG.md");
  if (!existsSync(changelogPath)) {
    at("CHANGELOG.md", "missing");
  } else {
    const changelog = readFileSync(changelogPath, "utf8");
    if (!changelog.startsWith(`# ${m.name}\n`)) at("CHANGELOG.md", `must start with "# ${m.name}"`);
    if (!changelog.includes(`\n## ${m.version}\n`)) {
      at("CHANGELOG.md", `has no entry "## ${m.version}" for the current version`);
    }
  }
  const readmePath = join(root, pkg.dir, "README.md");
  if (!existsSync(readmePath)) at("README.md", "missing");
  else
    for (const problem of readmeLinkProblems(readFileSync(readmePath, "utf8")))
      at("README.md", problem);
  return problems;
}

/** `files` without source entries and with every required entry (`dist` ones first). */
function fixedFiles(files) {
  const kept = files.filter((entry) => !/^!?src(\/|$)/.test(entry));
  const missing = REQUIRED_FILES_ENTRIES.filter((entry) => !kept.includes(entry));
  const dist = missing.filter((entry) => entry.includes("dist"));
  const rest = missing.filter((entry) => !entry.includes("dist"));
  const at = kept.includes("dist") ? kept.indexOf("dist") + 1 : 0;
  return [...kept.slice(0, at), ...dist, ...kept.slice(at), ...rest];
}

/** Writes the derived fields into each published package.json, keys in KEY_ORDER. */
function fix(root, facts) {
  for (const pkg of publishedPackages(root)) {
    const merged = { ...pkg.manifest, ...derivedFields(facts, pkg.dir, pkg.manifest) };
    merged.files = fixedFiles(Array.isArray(merged.files) ? merged.files : []);
    const ordered = {};
    for (const key of KEY_ORDER) if (key in merged) ordered[key] = merged[key];
    for (const key of Object.keys(merged)) if (!(key in ordered)) ordered[key] = merged[key];
    writeFileSync(pkg.manifestPath, `${JSON.stringify(ordered, null, 2)}\n`);
  }
}

/** All problems of the published packages; empty when they are ready to publish. */
function checkPublishedPackages(root) {
  const facts = repositoryFacts(root);
  const problems = [];
  if (typeof facts.license !== "string") problems.push("package.json: license is missing");
  if (typeof facts.node !== "string") problems.push("package.json: engines.node is missing");
  const licensePath = join(root, "LICENSE");
  if (!existsSync(licensePath)) return [...problems, "LICENSE: missing at the repository root"];
  const license = readFileSync(licensePath, "utf8");
  for (const pkg of publishedPackages(root))
    problems.push(...packageProblems(root, facts, license, pkg));
  return problems;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  try {
    if (process.argv.includes("--fix")) fix(root, repositoryFacts(root));
    const problems = checkPublishedPackages(root);
    for (const problem of problems) console.error(problem);
    const count = publishedPackages(root).length;
    if (problems.length > 0) {
      console.error(`check-packages: ${problems.length} problem(s) in ${count} published packages`);
      process.exitCode = 1;
    } else {
      console.log(
        `check-packages: ${count} published packages ready (metadata, LICENSE, CHANGELOG, README links)`,
      );
    }
  } catch (error) {
    console.error(`check-packages: ${error.message}`);
    process.exitCode = 1;
  }
}
