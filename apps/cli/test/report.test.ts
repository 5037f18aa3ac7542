// `iter8 report` in-process: every format from a result.yaml on disk, to stdout or a file.
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveResult } from "@iter8/spec";
import type { ExperimentResult } from "@iter8/spec";
import { renderReport } from "@iter8/report";
import { main } from "../src/main.js";
import type { CliIO } from "../src/io.js";

const fixture = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "packages",
  "report",
  "test",
  "fixtures",
  "load-details-result.json",
);
const result = JSON.parse(readFileSync(fixture, "utf8")) as ExperimentResult;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-report-"));
  await saveResult(join(dir, "result.yaml"), result);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function iter8(args: string[]) {
  let out = "";
  let err = "";
  const io: CliIO = {
    out: (text) => (out += text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => (err += `${text}\n`),
    progress: () => {},
  };
  const code = await main(args, { cwd: dir, io, env: { ...process.env, ITER8HUB: "" } });
  return { code, out, err };
}

describe("iter8 report", () => {
  it.each(["text", "markdown", "json", "html"] as const)(
    "prints the %s report of result.yaml",
    async (format) => {
      const { code, out } = await iter8(["report", "-o", format]);
      expect(code).toBe(0);
      expect(out).toBe(renderReport(undefined, result, { format }));
    },
  );

  it("prints the text report by default, the same as iter8 gen", async () => {
    const report = await iter8(["report"]);
    const gen = await iter8(["gen"]);
    expect(report.out).toBe(gen.out);
    expect(report.out).toContain("Experiment summary|");
  });

  it("writes the report to --output and says where", async () => {
    const { code, out } = await iter8(["report", "-o", "markdown", "--output", "report.md"]);
    expect(code).toBe(0);
    expect(out).toBe("Report written to report.md\n");
    const written = await readFile(join(dir, "report.md"), "utf8");
    expect(written).toBe(renderReport(undefined, result, { format: "markdown" }));
  });

  it("draws log-scale histograms with --log-scale", async () => {
    const { out } = await iter8(["report", "-o", "html", "--log-scale"]);
    expect(out).toContain('data-scale="log"');
    expect(out).not.toContain('data-scale="linear"');
  });

  it("exits 2 naming the formats for an unknown one", async () => {
    const { code, err } = await iter8(["report", "-o", "pdf"]);
    expect(code).toBe(2);
    expect(err).toContain("text");
    expect(err).toContain("html");
  });

  it("exits 2 when there is no result.yaml", async () => {
    const empty = await mkdtemp(join(tmpdir(), "iter8-report-empty-"));
    try {
      const { code, err } = await iter8(["report", "--dir", empty, "-o", "json"]);
      expect(code).toBe(2);
      expect(err).toContain("result.yaml");
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
