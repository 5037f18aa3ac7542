// Results written by Iter8 v0.8.0 to v0.14 through `iter8 assert`, `report` and `gen` (main()):
// our own fixtures in each format, then the real files of ../shared/iter8-compat when present.
import { existsSync } from "node:fs";
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadResult, parseCondition } from "@iter8/spec";
import { evaluateCondition } from "@iter8/slo";
import { main } from "../src/main.js";
import type { CliIO } from "../src/io.js";

const fixtures = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "packages",
  "spec",
  "test",
  "fixtures",
  "results",
);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "iter8-old-results-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A directory holding `file` under the name `as`. */
async function dirWith(file: string, as: "result.yaml" | "experiment.yaml"): Promise<string> {
  const dir = await mkdtemp(join(root, "d-"));
  await copyFile(file, join(dir, as));
  return dir;
}

async function iter8(dir: string, args: string[]) {
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

interface JsonReport {
  metrics: Array<{ name: string; values: Array<number | null> }>;
  slos: Array<{ label: string; checks: Array<{ satisfied: boolean | null }> }>;
}

async function jsonReport(dir: string): Promise<JsonReport> {
  const { code, out, err } = await iter8(dir, ["report", "-o", "json"]);
  expect(err).toBe("");
  expect(code).toBe(0);
  return JSON.parse(out) as JsonReport;
}

function valuesOf(report: JsonReport): Record<string, Array<number | null>> {
  return Object.fromEntries(report.metrics.map((m) => [m.name, m.values]));
}

describe("our fixtures in every Iter8 result format", () => {
  it("v0.8.0 result.yaml: assert gives Iter8's verdicts, report the file's metrics", async () => {
    const dir = await dirWith(join(fixtures, "v0.8-result.yaml"), "result.yaml");
    expect((await iter8(dir, ["assert", "-c", "nofailure", "-c", "slos"])).code).toBe(1);
    expect((await iter8(dir, ["assert", "-c", "slosby=0"])).code).toBe(0);
    expect((await iter8(dir, ["assert", "-c", "slosby=1"])).code).toBe(1);
    const values = valuesOf(await jsonReport(dir));
    expect(values["built-in/mean-latency"]).toEqual([21.5, 130.75]);
    expect(values["built-in/p95.0"]).toEqual([48.25, 190.5]);
    expect(values["built-in/latency"]).toBeUndefined();
  });

  it("v0.9/v0.10 result.yaml: SLOsSatisfiedBy derived, nonHistMetricValues reported", async () => {
    const dir = await dirWith(join(fixtures, "v0.9-result.yaml"), "result.yaml");
    expect((await iter8(dir, ["assert", "-c", "slos"])).code).toBe(1);
    expect((await iter8(dir, ["assert", "-c", "slosby=1"])).code).toBe(0);
    const report = await jsonReport(dir);
    expect(valuesOf(report)["http/latency-p90"]).toEqual([33.125, 9.5]);
    expect(report.slos.map((s) => s.label)).toEqual([
      "http/error-rate <= 0.01",
      "http/latency-p90 <= 30",
    ]);
    expect(report.slos[1]?.checks.map((c) => c.satisfied)).toEqual([false, true]);
    const text = await iter8(dir, ["report"]);
    expect(text.out).toContain("http/latency-p90");
    expect((await iter8(dir, ["gen"])).out).toBe(text.out);
  });

  it("v0.9 result.yaml without insights: nofailure fails as the file says", async () => {
    const dir = await dirWith(join(fixtures, "v0.9-no-insights-result.yaml"), "result.yaml");
    expect((await iter8(dir, ["assert", "-c", "nofailure"])).code).toBe(1);
    expect((await iter8(dir, ["report"])).code).toBe(0);
  });

  it("v0.11+ experiment.yaml carrying its result: assert and report read the result in it", async () => {
    const dir = await dirWith(join(fixtures, "v0.11-experiment.yaml"), "experiment.yaml");
    const passing = await iter8(dir, ["assert", "-c", "completed", "-c", "nofailure"]);
    expect(passing.code).toBe(0);
    // The lower SLO (user/conversions >= 100, value 42) is not satisfied.
    expect((await iter8(dir, ["assert", "-c", "slos"])).code).toBe(1);
    const report = await jsonReport(dir);
    expect(valuesOf(report)).toEqual({
      "http/latency-mean": [17.75],
      "user/conversions": [42],
    });
    expect(report.slos.map((s) => s.checks[0]?.satisfied)).toEqual([true, false]);
  });

  it("an experiment.yaml without a result still means no result yet", async () => {
    const dir = await mkdtemp(join(root, "d-"));
    await writeFile(join(dir, "experiment.yaml"), "spec:\n  - run: echo hi\n");
    const report = await iter8(dir, ["report"]);
    expect(report.code).toBe(2);
    expect(report.err).toContain("result.yaml does not exist");
  });

  it("v0.13+ rewards: the file's metrics are reported", async () => {
    const dir = await dirWith(join(fixtures, "v0.13-experiment.yaml"), "result.yaml");
    const values = valuesOf(await jsonReport(dir));
    expect(values["user/revenue"]).toEqual([1000, 1500]);
    expect(values["http/latency-mean"]).toEqual([20.5, 12.25]);
  });

  it("v0.13+ summary metrics: report shows their aggregations", async () => {
    const dir = await dirWith(join(fixtures, "v0.14-summary-experiment.yaml"), "result.yaml");
    const values = valuesOf(await jsonReport(dir));
    expect(values["abn/basket-size/mean"]).toEqual([2.5, 3]);
    expect(values["abn/basket-size/count"]).toEqual([4, 2]);
    expect((await iter8(dir, ["assert", "-c", "nofailure", "-c", "slos"])).code).toBe(0);
  });

  it("if: conditions read old results as Iter8 did", async () => {
    const v09 = await loadResult(join(fixtures, "v0.9-result.yaml"));
    expect(evaluateCondition(parseCondition("SLOs()"), v09)).toBe(false);
    expect(evaluateCondition(parseCondition("not SLOs()"), v09)).toBe(true);
    expect(evaluateCondition(parseCondition("SLOsBy(1)"), v09)).toBe(true);
    const v08 = await loadResult(join(fixtures, "v0.8-result.yaml"));
    expect(evaluateCondition(parseCondition("SLOsBy(0)"), v08)).toBe(true);
    expect(evaluateCondition(parseCondition("SLOsBy(1)"), v08)).toBe(false);
  });
});

// The real files Iter8 wrote live beside the checkout (../shared); a worktree sits one level deeper.
const repoRoot = resolve(import.meta.dirname, "..", "..", "..");
const compat = [
  process.env.ITER8_COMPAT_DIR,
  join(repoRoot, "..", "shared", "iter8-compat"),
  join(repoRoot, "..", "..", "shared", "iter8-compat"),
].find((dir): dir is string => dir !== undefined && existsSync(join(dir, "results")));

/** Rows `name | value` of a table of an Iter8 text report, after its `title` line. */
function tableOf(report: string, title: string): Array<[string, string]> {
  const start = report.indexOf(title);
  const rows: Array<[string, string]> = [];
  for (const line of report.slice(start).split("\n").slice(5)) {
    if (!line.includes("|")) break;
    const [left = "", right = ""] = line.split("|").map((s) => s.trim());
    rows.push([left, right]);
  }
  return rows;
}

const realTitle =
  compat === undefined
    ? "real results written by Iter8: SKIPPED, no ../shared/iter8-compat/results beside the checkout (set ITER8_COMPAT_DIR)"
    : `real results written by Iter8 (${compat})`;

describe.skipIf(compat === undefined)(realTitle, () => {
  const dir = compat ?? "";
  // Exit codes of `iter8 assert -c nofailure -c slos`, from the README of that folder.
  const verdicts: Record<string, number> = {
    "v0.9.4-assertinputs-result.yaml": 0,
    "v0.9.4-assertinputsfail-result.yaml": 1,
    "v0.11.16-assertinputs-experiment.yaml": 0,
    "v0.11.16-lowerslos-experiment.yaml": 0,
  };

  it.each(Object.entries(verdicts))(
    "assert on %s gives Iter8's exit code %i",
    async (name, code) => {
      const workDir = await dirWith(join(dir, "results", name), "result.yaml");
      expect((await iter8(workDir, ["assert", "-c", "nofailure", "-c", "slos"])).code).toBe(code);
    },
  );

  it("every result in the folder is read", async () => {
    const names = (await readdir(join(dir, "results"))).filter((n) => n.endsWith(".yaml"));
    for (const name of names) {
      const text = await readFile(join(dir, "results", name), "utf8");
      if (name.endsWith("-experiment.yaml") && !/^result\s*:/m.test(text)) continue;
      const result = await loadResult(join(dir, "results", name));
      expect(result.insights?.SLOsSatisfiedBy, name).toBeDefined();
    }
  });

  it.each(["v0.9.4", "v0.11.16"])(
    "report of %s shows the golden report's metric values and SLO verdicts",
    async (version) => {
      const golden = await readFile(join(dir, "reports", `${version}-report.txt`), "utf8");
      const candidates = [
        join(dir, "results", `${version}-assertinputs-result.yaml`),
        join(dir, "results", `${version}-assertinputs-experiment.yaml`),
      ];
      const source = candidates.find((f) => existsSync(f)) ?? "";
      const report = await jsonReport(await dirWith(source, "result.yaml"));
      const values = valuesOf(report);
      const metrics = tableOf(golden, "Latest observed values for metrics:");
      expect(metrics.length).toBeGreaterThan(0);
      for (const [label, value] of metrics) {
        const name = label.replace(/ \(.*\)$/, "");
        expect(values[name]?.[0]?.toFixed(2), name).toBe(value);
      }
      const slos = tableOf(golden, "Whether or not service level objectives");
      expect(report.slos.map((s) => String(s.checks[0]?.satisfied))).toEqual(
        slos.map(([, satisfied]) => satisfied),
      );
    },
  );
});
