import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const PACKAGES = fileURLToPath(new URL("../../../packages/", import.meta.url));

/** The names a package's `src/index.ts` exports (values and types), from its `export { ... }` lines. */
function exportedNames(indexSource: string): string[] {
  const code = indexSource.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  const names: string[] = [];
  for (const match of code.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of (match[1] ?? "").split(",")) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) names.push(name);
    }
  }
  return names;
}

/** The README's `## API` section, up to the next second-level heading. */
function apiSection(readme: string): string {
  const start = readme.indexOf("\n## API");
  if (start < 0) return "";
  const end = readme.indexOf("\n## ", start + 1);
  return end < 0 ? readme.slice(start) : readme.slice(start, end);
}

const packages = readdirSync(PACKAGES).filter((name) =>
  existsSync(join(PACKAGES, name, "src", "index.ts")),
);

describe("package READMEs", () => {
  it("finds the packages", () => {
    expect(packages).toEqual(expect.arrayContaining(["spec", "traffic", "engine", "loadgen"]));
  });

  it.each(packages)("%s: index.ts names its exports (no export *)", (name) => {
    const source = readFileSync(join(PACKAGES, name, "src", "index.ts"), "utf8");
    expect(source).not.toMatch(/export\s+(?:type\s+)?\*/);
  });

  it.each(packages)("%s: the README's API section documents every export", (name) => {
    const source = readFileSync(join(PACKAGES, name, "src", "index.ts"), "utf8");
    const api = apiSection(readFileSync(join(PACKAGES, name, "README.md"), "utf8"));
    const undocumented = exportedNames(source).filter(
      (exported) => !new RegExp("`[^`]*\\b" + exported + "\\b[^`]*`").test(api),
    );
    expect(undocumented).toEqual([]);
  });
});
