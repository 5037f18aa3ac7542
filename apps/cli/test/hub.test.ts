// `iter8 hub -e` and the provider templates: the one copy of each ships in @iter8/providers, and the
// built-in hub's experiment folders still come out self-contained.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtInTemplatePath } from "@iter8/providers";
import { validateExperimentFile } from "@iter8/spec";
import { main } from "../src/main.js";
import type { CliIO } from "../src/io.js";

const execFileAsync = promisify(execFile);
const HUB = join(import.meta.dirname, "..", "hub");
const bin = join(import.meta.dirname, "..", "dist", "bin.js");

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-hub-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function iter8(args: string[], cwd: string) {
  let out = "";
  let err = "";
  const io: CliIO = {
    out: (text) => (out += `${text}\n`),
    err: (text) => (err += `${text}\n`),
    progress: () => {},
  };
  const code = await main(args, { cwd, io, env: { ...process.env, ITER8HUB: "" } });
  return { code, out, err };
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe("iter8 hub -e and provider templates", () => {
  it("copies the prometheus-http template @iter8/providers ships next to slo-validation-prometheus", async () => {
    const dest = await mkdtemp(join(dir, "in-process-"));
    const { code, err } = await iter8(["hub", "-e", "slo-validation-prometheus"], dest);
    expect(err).toBe("");
    expect(code).toBe(0);
    const folder = join(dest, "slo-validation-prometheus");
    expect((await readdir(folder)).sort()).toEqual(["experiment.yaml", "prometheus-http.tpl"]);
    expect(await readFile(join(folder, "prometheus-http.tpl"), "utf8")).toBe(
      await readFile(builtInTemplatePath("prometheus-http.tpl"), "utf8"),
    );
    expect((await validateExperimentFile(join(folder, "experiment.yaml"))).ok).toBe(true);
  });

  it("the built binary copies the same template", async () => {
    const dest = await mkdtemp(join(dir, "built-"));
    await execFileAsync(process.execPath, [bin, "hub", "-e", "slo-validation-prometheus"], {
      cwd: dest,
      env: { ...process.env, NO_COLOR: "1", ITER8HUB: "" },
      timeout: 60_000,
    });
    expect(
      await readFile(join(dest, "slo-validation-prometheus", "prometheus-http.tpl"), "utf8"),
    ).toBe(await readFile(builtInTemplatePath("prometheus-http.tpl"), "utf8"));
  });

  it("copies no template to an experiment without custommetrics", async () => {
    const dest = await mkdtemp(join(dir, "plain-"));
    expect((await iter8(["hub", "-e", "load-test"], dest)).code).toBe(0);
    expect(await readdir(join(dest, "load-test"))).toEqual(["experiment.yaml"]);
  });

  it("the hub keeps no provider template of its own (the one copy is in @iter8/providers)", async () => {
    const templates = (await filesUnder(HUB)).filter((file) => file.endsWith(".tpl"));
    expect(templates).toEqual([]);
  });
});
