// The workspace packages that are published to the npm registry (every package.json under
// packages/ and apps/ without `"private": true`), in dependency order, and the repository facts
// their package.json files repeat. The repository URL is recorded once, in the root package.json's
// `repository`; everything else is derived from it here.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const WORKSPACE_GROUPS = ["packages", "apps"];
const RUNTIME_DEPENDENCY_FIELDS = ["dependencies", "optionalDependencies", "peerDependencies"];

/**
 * @typedef {object} WorkspacePackage
 * @property {string} name
 * @property {string} version
 * @property {string} dir       path relative to the repository root, e.g. "packages/spec"
 * @property {string} manifestPath
 * @property {Record<string, unknown>} manifest
 */

/** Reads a JSON file; a bad file fails with one line naming it. */
export function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(`${file}: not readable JSON (${error.message})`);
  }
}

/**
 * The repository facts every published package.json repeats, derived from the root package.json:
 * `repository.url` (git+https://github.com/OWNER/NAME.git), `license`, `engines.node`.
 */
export function repositoryFacts(root) {
  const file = join(root, "package.json");
  const manifest = readJson(file);
  const url = manifest.repository?.url;
  const match =
    typeof url === "string" && /^git\+(https:\/\/github\.com\/[^/]+\/[^/]+?)\.git$/.exec(url);
  if (!match) {
    throw new Error(
      `${file}: repository.url must be "git+https://github.com/OWNER/NAME.git", got ${JSON.stringify(url)}`,
    );
  }
  const web = match[1];
  return {
    gitUrl: url,
    web,
    issues: `${web}/issues`,
    /** Absolute link to a file of the main branch, e.g. blobUrl("docs/traffic.md"). */
    blobUrl: (path) => `${web}/blob/main/${path}`,
    /** Absolute link to a folder of the main branch. */
    treeUrl: (path) => `${web}/tree/main/${path}`,
    license: manifest.license,
    node: manifest.engines?.node,
  };
}

/** Every workspace package (private or not), unordered. @returns {WorkspacePackage[]} */
function workspacePackages(root) {
  const found = [];
  for (const group of WORKSPACE_GROUPS) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = `${group}/${entry.name}`;
      const manifestPath = join(root, dir, "package.json");
      if (!existsSync(manifestPath)) continue;
      const manifest = readJson(manifestPath);
      found.push({ name: manifest.name, version: manifest.version, dir, manifestPath, manifest });
    }
  }
  return found;
}

/** The names of the workspace packages `pkg` needs at run time (not its devDependencies). */
export function runtimeWorkspaceDependencies(pkg, names) {
  const deps = new Set();
  for (const field of RUNTIME_DEPENDENCY_FIELDS) {
    for (const dep of Object.keys(pkg.manifest[field] ?? {})) if (names.has(dep)) deps.add(dep);
  }
  return [...deps].sort();
}

/**
 * The published packages, each after the workspace packages it depends on at run time, so that
 * publishing in this order never leaves a package on the registry whose dependency is not there.
 * Throws when a published package needs a private one at run time, or on a dependency cycle.
 * @returns {WorkspacePackage[]}
 */
export function publishedPackages(root) {
  const all = workspacePackages(root);
  const byName = new Map(all.map((pkg) => [pkg.name, pkg]));
  const names = new Set(byName.keys());
  const published = all.filter((pkg) => pkg.manifest.private !== true);
  for (const pkg of published) {
    for (const dep of runtimeWorkspaceDependencies(pkg, names)) {
      if (byName.get(dep)?.manifest.private === true) {
        throw new Error(
          `${pkg.manifestPath}: dependencies name the private package ${dep}, which is never published`,
        );
      }
    }
  }
  const ordered = [];
  const state = new Map();
  const visit = (pkg, chain) => {
    if (state.get(pkg.name) === "done") return;
    if (state.get(pkg.name) === "visiting") {
      throw new Error(`dependency cycle: ${[...chain, pkg.name].join(" -> ")}`);
    }
    state.set(pkg.name, "visiting");
    for (const dep of runtimeWorkspaceDependencies(pkg, names)) {
      visit(byName.get(dep), [...chain, pkg.name]);
    }
    state.set(pkg.name, "done");
    ordered.push(pkg);
  };
  for (const pkg of [...published].sort((a, b) => a.name.localeCompare(b.name))) visit(pkg, []);
  return ordered;
}
