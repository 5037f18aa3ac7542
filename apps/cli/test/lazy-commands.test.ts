// The CLI loads a command's packages only when that command runs (`await import` in its handler),
// so `iter8 validate` pays for validation alone. Each case spawns the built `iter8` with a module
// hook (`MODULE_LOG_REGISTER` of @iter8/test-utils) that logs every ES module the process resolves.
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AVAILABLE_REPORT_FORMATS } from "@iter8/report";
import { MODULE_LOG_REGISTER } from "@iter8/test-utils";
import { REPORT_FORMAT_CHOICES } from "../src/commands/report.js";

const bin = join(import.meta.dirname, "..", "dist", "bin.js");
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const UNDICI = /\/node_modules\/(\.pnpm\/undici@[^/]+\/node_modules\/)?undici\//;
// A workspace package resolves to packages/<name>/, an installed one to node_modules/@iter8/<name>/.
const HEAVY_PACKAGES =
  /(\/packages\/|\/@iter8\/)(traffic|report|loadgen|engine|metrics|slo|demo-app)\//;

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
  /** URLs of the ES modules the process resolved (empty without `logModules`). */
  modules: string[];
}

let dir: string;
let logs = 0;

async function iter8(args: string[], cwd: string, logModules = true): Promise<Spawned> {
  const log = join(dir, `modules-${++logs}.txt`);
  const code = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(
        process.execPath,
        [...(logModules ? ["--import", MODULE_LOG_REGISTER] : []), bin, ...args],
        {
          cwd,
          env: { ...process.env, NO_COLOR: "1", ITER8HUB: "", MODULE_LOG_FILE: log },
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      let stdout = "";
      let stderr = "";
      const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (exit) => {
        clearTimeout(timer);
        resolve({ code: exit, stdout, stderr });
      });
    },
  );
  const modules = logModules ? (await readFile(log, "utf8")).split("\n").filter(Boolean) : [];
  return { ...code, modules };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-lazy-"));
  const hub = await iter8(["hub", "-e", "load-test"], dir, false);
  expect(hub.code).toBe(0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("lazy command modules", () => {
  it("iter8 validate loads neither undici nor the proxy, report, load or engine packages", async () => {
    const run = await iter8(["validate"], join(dir, "load-test"));
    expect(run.stdout).toContain("experiment.yaml is valid");
    expect(run.code).toBe(0);
    // The hook saw the modules validate needs (so an empty log cannot pass)...
    expect(run.modules.some((url) => /\/(packages|@iter8)\/spec\//.test(url))).toBe(true);
    // ...and none of the heavy ones.
    expect(run.modules.filter((url) => UNDICI.test(url))).toEqual([]);
    expect(run.modules.filter((url) => HEAVY_PACKAGES.test(url))).toEqual([]);
  });

  // The proxy speaks HTTP/1.1 with @iter8/http1 on net sockets since #20, so no command loads
  // undici before a load needs it; the control is a heavy package the handler imports.
  it("a command that needs a heavy package still loads it, in its handler (the probe's control)", async () => {
    const run = await iter8(["traffic", "rollout", "-f", "no-such-rollout.yaml"], dir);
    expect(run.stderr).toContain("no-such-rollout.yaml");
    expect(run.code).toBe(2);
    expect(run.modules.some((url) => /\/(packages|@iter8)\/traffic\//.test(url))).toBe(true);
    expect(run.modules.some((url) => HEAVY_PACKAGES.test(url))).toBe(true);
  });

  it("iter8 report offers exactly the formats @iter8/report renders", () => {
    expect([...REPORT_FORMAT_CHOICES]).toEqual([...AVAILABLE_REPORT_FORMATS]);
  });
});
