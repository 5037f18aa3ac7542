import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ExperimentResult } from "@iter8/spec";
import { renderReport } from "../src/render-report.js";
import { reportJsonSchemaDocument } from "../src/json-report.js";
import type { ReportJson } from "../src/json-report.js";

const schemaFile = fileURLToPath(new URL("../report.schema.json", import.meta.url));

function resultFixture(name: string): ExperimentResult {
  const file = fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(file, "utf8")) as ExperimentResult;
}

const FIXTURES = [
  "seed-result.json",
  "two-versions-result.json",
  "three-versions-result.json",
  "missing-metrics-result.json",
  "failed-result.json",
  "no-slos-result.json",
  "load-details-result.json",
  "grpc-result.json",
];

describe("report.schema.json", () => {
  // Compared as data, so formatting the file (prettier) does not break the check.
  it("matches the schema generated from the zod schema (ITER8_UPDATE_SCHEMA=1 rewrites it)", () => {
    const generated = reportJsonSchemaDocument();
    if (process.env.ITER8_UPDATE_SCHEMA === "1") {
      writeFileSync(schemaFile, `${JSON.stringify(generated, null, 2)}\n`);
    }
    expect(JSON.parse(readFileSync(schemaFile, "utf8"))).toEqual(generated);
  });
});

describe("the JSON report", () => {
  // Validates against the committed JSON Schema file itself, read back into a validator.
  const published = {
    safeParse: (value: unknown) =>
      z
        .fromJSONSchema(
          JSON.parse(readFileSync(schemaFile, "utf8")) as z.core.JSONSchema.JSONSchema,
        )
        .safeParse(value),
  };

  it.each(FIXTURES)("of %s conforms to report.schema.json", (name) => {
    const json: unknown = JSON.parse(
      renderReport(undefined, resultFixture(name), { format: "json" }),
    );
    const parsed = published.safeParse(json);
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it("is rejected by the schema when a field is missing or has the wrong version", () => {
    const json = JSON.parse(
      renderReport(undefined, resultFixture("seed-result.json"), { format: "json" }),
    ) as Record<string, unknown>;
    expect(published.safeParse({ ...json, reportVersion: 2 }).success).toBe(false);
    const { summary: _summary, ...withoutSummary } = json;
    expect(published.safeParse(withoutSummary).success).toBe(false);
  });

  it("carries the same content as the other formats, with nulls for what is missing", () => {
    const report = JSON.parse(
      renderReport(undefined, resultFixture("three-versions-result.json"), { format: "json" }),
    ) as ReportJson;
    expect(report.reportVersion).toBe(1);
    expect(report.summary).toMatchObject({ completed: null, failed: false, numCompletedTasks: 3 });
    expect(report.versions.map((v) => v.slosSatisfied)).toEqual([true, false, false]);
    expect(report.slos[2]).toMatchObject({
      label: "0 <= built-in/p99.9 <= 1000",
      lowerLimit: 0,
      upperLimit: 1000,
      units: "msec",
    });
    expect(report.slos[2]?.checks.map((c) => [c.status, c.reason, c.value])).toEqual([
      ["pass", "ok", 250.125],
      ["no-data", "no-data", null],
      ["fail", "above-upper", 1234.5678],
    ]);
    const throughput = report.metrics.find((m) => m.name === "custom/throughput");
    expect(throughput).toMatchObject({ values: [97.5, null, 99.75], better: "higher", best: [2] });
    expect(report.loads).toEqual([null, null, null]);
  });

  it("keeps the load details of each version", () => {
    const result = resultFixture("load-details-result.json");
    const report = JSON.parse(renderReport(undefined, result, { format: "json" })) as ReportJson;
    const details = result.insights?.loadDetails?.[1];
    expect(report.loads[1]?.histogram).toEqual(details?.histogram);
    expect(report.loads[1]?.statusCodes).toEqual(details?.statusCodes);
    expect(report.loads[1]?.timeline).toHaveLength(details?.timeline?.length ?? -1);
    expect(report.loads[1]?.percentiles.at(-1)).toEqual({ percentile: 99.9, latencyMs: 106.097 });
  });
});
