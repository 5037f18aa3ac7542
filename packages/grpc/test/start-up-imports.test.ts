// What the generators load when they start. The main entry of @iter8/spec builds the experiment
// schemas (zod) as it loads, about 0.2 s of CPU and 25 MiB, which a paced run pays per request in
// the bench's CPU figures; @iter8/loadgen and @iter8/grpc take what they need from
// `@iter8/spec/light` and `@iter8/providers/template` instead. Each child imports a built entry
// (`dist`, as users do) with the module log of @iter8/test-utils.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODULE_LOG_REGISTER } from "@iter8/test-utils";

const run = promisify(execFile);

const ZOD = /\/node_modules\/(\.pnpm\/zod@[^/]+\/node_modules\/)?zod\//;
// A workspace package resolves to packages/<name>/, an installed one to node_modules/@iter8/<name>/.
const MAIN_ENTRIES = /(\/packages\/|\/@iter8\/)(spec|providers)\/dist\/index\.js$/;

let dir: string;
let logs = 0;

/** The URLs of the ES modules a fresh process resolves to import `entry`. */
async function modulesOf(entry: string): Promise<string[]> {
  const log = join(dir, `modules-${++logs}.txt`);
  await run(
    process.execPath,
    [
      "--import",
      MODULE_LOG_REGISTER,
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(entry)});`,
    ],
    {
      cwd: fileURLToPath(new URL("..", import.meta.url)),
      env: { ...process.env, MODULE_LOG_FILE: log },
      timeout: 30_000,
    },
  );
  return (await readFile(log, "utf8")).split("\n").filter(Boolean);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-start-up-imports-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("start-up imports", () => {
  it("the log shows zod and the main entry when @iter8/spec's main entry loads", async () => {
    const modules = await modulesOf("@iter8/spec");
    expect(modules.filter((url) => ZOD.test(url))).not.toEqual([]);
    expect(modules.filter((url) => MAIN_ENTRIES.test(url))).not.toEqual([]);
  }, 40_000);

  it.each(["@iter8/loadgen", "@iter8/grpc"])(
    "%s loads neither zod nor the main entries of @iter8/spec and @iter8/providers",
    async (entry) => {
      const modules = await modulesOf(entry);
      expect(modules.some((url) => url.includes("/dist/"))).toBe(true);
      expect(modules.filter((url) => ZOD.test(url) || MAIN_ENTRIES.test(url))).toEqual([]);
    },
    40_000,
  );
});
