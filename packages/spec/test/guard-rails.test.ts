import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadExperiment, parseExperiment, validateExperimentFile } from "../src/index.js";

// "Billion laughs": 10 levels of 10 aliases each would expand to 10^10 nodes.
function aliasBomb(indent: string, levels = 10): string {
  const lines = [`${indent}a0: &a0 [${Array(10).fill('"lol"').join(",")}]`];
  for (let i = 1; i < levels; i++) {
    lines.push(
      `${indent}a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(",")}]`,
    );
  }
  return lines.join("\n");
}

describe("guard rails", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iter8-guard-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("refuses a 10 MiB file without parsing it", async () => {
    const file = join(dir, "big.yaml");
    const line = "- run: echo hello world\n";
    await writeFile(file, line.repeat(Math.ceil((10 * 1024 * 1024) / line.length)));
    const result = await validateExperimentFile(file);
    expect(result).toEqual({
      ok: false,
      warnings: [],
      issues: [
        {
          path: "",
          file,
          message: "refused: the file is 10.0 MiB; iter8 reads files smaller than 10 MiB",
        },
      ],
    });
    await expect(loadExperiment(file)).rejects.toMatchObject({
      code: "ITER8_SPEC_INVALID",
      message: `${file}: refused: the file is 10.0 MiB; iter8 reads files smaller than 10 MiB`,
    });
  });

  it("refuses text of 10 MiB or more given to parseExperiment", () => {
    const result = parseExperiment("#".repeat(10 * 1024 * 1024));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.message).toBe(
      "refused: the file is 10.0 MiB; iter8 reads files smaller than 10 MiB",
    );
  });

  it("refuses a YAML alias bomb", () => {
    const result = parseExperiment(aliasBomb(""), { filename: "experiment.yaml" });
    expect(result).toEqual({
      ok: false,
      warnings: [],
      issues: [
        {
          path: "",
          file: "experiment.yaml",
          line: 1,
          column: 1,
          message: "refused: YAML aliases expand this document by more than 100000 nodes",
        },
      ],
    });
  });

  it("refuses an alias bomb hidden inside a task's inputs", () => {
    const result = parseExperiment(
      `- task: run\n  with:\n    script: echo\n${aliasBomb("    ")}\n    bomb: *a9\n`,
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.message)).toEqual([
      "refused: YAML aliases expand this document by more than 100000 nodes",
    ]);
  });

  it("refuses duplicate keys, naming the key and its path", () => {
    const result = parseExperiment("- run: echo one\n  run: echo two\n");
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      {
        path: "[0].run",
        message: 'duplicate key "run"; a key may appear only once in a mapping',
        line: 2,
        column: 3,
      },
    ]);
  });

  it("refuses documents that are not a list of tasks", () => {
    for (const text of ["42\n", "name: load-test\n", '"- task: run"\n']) {
      const result = parseExperiment(text);
      expect(result.ok).toBe(false);
      if (result.ok) continue;
      expect(result.issues[0]?.message).toMatch(/^expected a list of tasks/);
    }
  });
});
