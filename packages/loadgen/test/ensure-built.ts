import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packagesDir = fileURLToPath(new URL("../../", import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (!entry.name.endsWith(".test.ts")) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function oldestOutput(dir: string): number {
  try {
    return statSync(join(dir, "dist", "index.js")).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Worker threads run the built `dist/` (a worker cannot load TypeScript), so tests of `workers > 1`
 * first (re)build @iter8/metrics and @iter8/loadgen when their `dist/` is missing or older than `src/`.
 */
export function ensureBuilt(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  for (const name of ["metrics", "loadgen"]) {
    const dir = join(packagesDir, name);
    if (oldestOutput(dir) >= newestMtime(join(dir, "src"))) continue;
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: dir, stdio: "pipe" });
  }
}
