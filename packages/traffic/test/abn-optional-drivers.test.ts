import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// better-sqlite3 and ioredis are optional peer dependencies: a user who installs @iter8/traffic
// (or @iter8/engine) without them gets everything but the A/B/n store that needs them. These tests
// run the built package in a real Node process where the driver cannot be found, as after
// `npm install @iter8/traffic`, and check the one-line instruction.
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const register = fileURLToPath(new URL("./fixtures/hide-package/register.mjs", import.meta.url));
const builtStore = join(packageDir, "dist", "abn", "store.js");

let dir = "";

beforeAll(() => {
  // The child process runs dist/ (Node 20 cannot run the TypeScript sources): rebuild when stale.
  const built = (() => {
    try {
      return statSync(builtStore).mtimeMs;
    } catch {
      return 0;
    }
  })();
  if (built < statSync(join(packageDir, "src", "abn", "store.ts")).mtimeMs) {
    execFileSync("pnpm", ["exec", "tsc", "-p", "tsconfig.build.json"], { cwd: packageDir });
  }
  dir = mkdtempSync(join(tmpdir(), "iter8-abn-drivers-"));
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a store in a fresh Node process with `hide` made unresolvable; returns its outcome. */
function openInChild(
  location: string,
  hide: string[],
): { ok: boolean; code?: string; message?: string } {
  const script = `
    const { openAbnStore } = await import(${JSON.stringify(pathToFileURL(join(packageDir, "dist", "index.js")).href)});
    try {
      const store = await openAbnStore(${JSON.stringify(location)});
      await store.close();
      console.log(JSON.stringify({ ok: true }));
    } catch (error) {
      console.log(JSON.stringify({ ok: false, code: error.code, message: error.message }));
    }`;
  const out = execFileSync(
    process.execPath,
    ["--import", register, "--input-type=module", "-e", script],
    {
      env: { ...process.env, ITER8_HIDE_PACKAGES: hide.join(",") },
      encoding: "utf8",
      timeout: 60_000,
    },
  );
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as {
    ok: boolean;
    code?: string;
    message?: string;
  };
}

describe("A/B/n store drivers are optional", () => {
  it("opens the SQLite store when better-sqlite3 is installed", () => {
    expect(openInChild(join(dir, "present.db"), [])).toEqual({ ok: true });
  });

  it("says to install better-sqlite3 when the SQLite store is asked for without it", () => {
    const outcome = openInChild(join(dir, "absent.db"), ["better-sqlite3"]);
    expect(outcome.ok).toBe(false);
    expect(outcome.code).toBe("ITER8_ABN_STORAGE");
    expect(outcome.message).toMatch(
      /^install better-sqlite3 to use the sqlite store \(npm install better-sqlite3\)/,
    );
  });

  it("says to install ioredis when the Redis store is asked for without it", () => {
    // Port 1 is never reached: the driver is missing before any connection is tried.
    const outcome = openInChild("redis://127.0.0.1:1/0", ["ioredis"]);
    expect(outcome.ok).toBe(false);
    expect(outcome.code).toBe("ITER8_ABN_STORAGE");
    expect(outcome.message).toMatch(
      /^install ioredis to use the redis store \(npm install ioredis\)/,
    );
  });

  it("still opens the SQLite store when only ioredis is missing", () => {
    expect(openInChild(join(dir, "sqlite-only.db"), ["ioredis"])).toEqual({ ok: true });
  });
});
