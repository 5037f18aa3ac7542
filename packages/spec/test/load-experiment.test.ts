import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatSpecIssue, loadExperiment, SpecError } from "../src/index.js";

describe("loadExperiment", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iter8-load-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("returns the normalised experiment", async () => {
    const file = join(dir, "ok.yaml");
    await writeFile(file, "- run: echo hi\n");
    await expect(loadExperiment(file)).resolves.toEqual({
      format: "v0.8",
      tasks: [{ task: "run", with: { script: "echo hi" } }],
    });
  });

  it("throws ITER8_SPEC_INVALID naming file, line and path of the first issue", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(
      file,
      "- task: gen-load-and-collect-metrics\n  with:\n    qps: fast\n    connections: 0\n    versionInfo: [{url: 'http://127.0.0.1:8080/'}]\n",
    );
    const error = await loadExperiment(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect(error).toMatchObject({
      code: "ITER8_SPEC_INVALID",
      message: `${file}:3:5: [[0].with.qps] expected a number, got the text "fast" (and 1 more)`,
      hint: "run iter8 validate to list every problem",
    });
    expect((error as SpecError).issues.map(formatSpecIssue)).toEqual([
      `${file}:3:5: [[0].with.qps] expected a number, got the text "fast"`,
      `${file}:4:5: [[0].with.connections] must be at least 1, got 0`,
    ]);
  });

  it("throws ITER8_FILE_ACCESS for a missing file or a directory", async () => {
    const missing = join(dir, "missing.yaml");
    await expect(loadExperiment(missing)).rejects.toMatchObject({
      code: "ITER8_FILE_ACCESS",
      message: `cannot read experiment ${missing}: no such file`,
    });
    const folder = join(dir, "folder");
    await mkdir(folder);
    await expect(loadExperiment(folder)).rejects.toMatchObject({
      code: "ITER8_FILE_ACCESS",
      message: `cannot read experiment ${folder}: it is a directory`,
    });
  });
});
