// What a new user meets first: --version, --help of each command (its flags and examples), and the
// way tasks are numbered when an experiment fails.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";

async function iter8(argv: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (text: string) => out.push(text),
    err: (text: string) => err.push(text),
    progress: () => undefined,
  };
  const code = await main(argv, { io, cwd, env: { ...process.env, NO_COLOR: "1" } });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-cli-surface-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("iter8 --version", () => {
  it("prints the version of @iter8/cli, as iter8 version does", async () => {
    const pkg = JSON.parse(
      await readFile(join(import.meta.dirname, "..", "package.json"), "utf8"),
    ) as { version: string };
    const flag = await iter8(["--version"], dir);
    expect(flag).toEqual({ code: 0, out: pkg.version, err: "" });
    const command = await iter8(["version"], dir);
    expect(command).toEqual({ code: 0, out: pkg.version, err: "" });
  });
});

describe("--dir is an option of the commands that read or write files, and only of them", () => {
  it.each([
    [["run"]],
    [["assert"]],
    [["gen"]],
    [["report"]],
    [["validate"]],
    [["traffic", "proxy"]],
    [["traffic", "render"]],
    [["traffic", "rollout"]],
  ])("iter8 %j --help lists --dir", async (command) => {
    const { code, out } = await iter8([...command, "--help"], dir);
    expect(code).toBe(0);
    expect(out).toMatch(/^\s+--dir\s/m);
  });

  it.each([
    [["hub"]],
    [["demo-app"]],
    [["abn"]],
    [["version"]],
    [["schema"]],
    [["traffic", "schema"]],
  ])("iter8 %j --help does not list --dir", async (command) => {
    const { code, out } = await iter8([...command, "--help"], dir);
    expect(code).toBe(0);
    expect(out).toMatch(/^\s+-h, --help\s/m);
    expect(out).not.toMatch(/--dir/);
  });

  it("refuses --dir on a command that would ignore it", async () => {
    const { code, err } = await iter8(["version", "--dir", "somewhere"], dir);
    expect(code).toBe(2);
    expect(err).toMatch(/Unknown argument: dir/);
  });
});

describe("help has examples", () => {
  it.each([["run"], ["gen"], ["validate"], ["assert"], ["report"]])(
    "iter8 %s --help shows examples of the command",
    async (command) => {
      const { code, out } = await iter8([command, "--help"], dir);
      expect(code).toBe(0);
      const examples = out.split(/^Examples:$/m)[1] ?? "";
      expect(examples).toMatch(new RegExp(`^\\s+iter8 ${command}\\b`, "m"));
    },
  );
});

describe("run and assert number the failed task the same way (1-based, as Iter8 logs it)", () => {
  it("names the second task 'task 2' in both", async () => {
    await writeFile(
      join(dir, "experiment.yaml"),
      '- run: "true"\n- run: "echo no >&2; exit 3"\n- run: "true"\n',
    );
    const run = await iter8(["run"], dir);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^Experiment failed: task 2 \(run\): /m);
    const assert = await iter8(["assert", "-c", "nofailure"], dir);
    expect(assert.code).toBe(1);
    expect(assert.out).toMatch(/^FAIL {2}nofailure: task 2 \(run\) failed: /m);
    const gen = await iter8(["gen"], dir);
    expect(gen.out).toMatch(/Failed task \|task 2 \(run\): /);
  });
});
