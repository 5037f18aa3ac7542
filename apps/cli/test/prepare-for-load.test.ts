import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";

// The executable passes applyLoadProcessFlags as prepareForLoad; here a counter stands in, so the
// test process's V8 flags stay as they are.
describe("prepareForLoad", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iter8-prepare-"));
    await writeFile(join(dir, "experiment.yaml"), "- run: echo ok\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const io = { out: () => undefined, err: () => undefined, progress: () => undefined };

  it("is called once by iter8 run, before the experiment runs", async () => {
    let calls = 0;
    const prepareForLoad = () => {
      calls++;
    };
    const code = await main(["run"], { io, cwd: dir, prepareForLoad });
    expect(code).toBe(0);
    expect(calls).toBe(1);
  });

  it("is not called by commands that generate no load", async () => {
    let calls = 0;
    const prepareForLoad = () => {
      calls++;
    };
    const code = await main(["validate"], { io, cwd: dir, prepareForLoad });
    expect(code).toBe(0);
    expect(calls).toBe(0);
  });
});
