import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const packagesDir = fileURLToPath(new URL("../../", import.meta.url));

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function sourcesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesOf(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** What a load worker thread loads: all of loadgen, and all of metrics (histogram, built-in metrics). */
const WORKER_BUILDS = [
  {
    name: "loadgen",
    output: "dist/load-worker.js",
    sources: (dir: string) => sourcesOf(join(dir, "src")),
  },
  {
    name: "metrics",
    output: "dist/index.js",
    sources: (dir: string) => sourcesOf(join(dir, "src")),
  },
];

/**
 * Worker threads run the built `dist/` (a worker cannot load TypeScript), so tests of `workers > 1`
 * first rebuild @iter8/loadgen and @iter8/metrics when the files a worker loads are missing or
 * older than their sources.
 */
export function ensureBuilt(): void {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  for (const build of WORKER_BUILDS) {
    const dir = join(packagesDir, build.name);
    const built = mtime(join(dir, build.output));
    if (build.sources(dir).every((source) => mtime(source) <= built)) continue;
    execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: dir, stdio: "pipe" });
  }
}
