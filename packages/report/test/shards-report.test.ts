import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { ExperimentResult } from "@iter8/spec";
import { renderReport } from "../src/render-report.js";

const schemaFile = fileURLToPath(new URL("../report.schema.json", import.meta.url));

/** A result of `iter8 k run --shard` over three shards, one of which did not report. */
function shardedResult(): ExperimentResult {
  return {
    startTime: "2026-01-01T00:00:00Z",
    numCompletedTasks: 1,
    failure: false,
    insights: {
      numVersions: 1,
      metricsInfo: {},
      metricValues: [{ "built-in/request-count": [250] }],
      loadDetails: [
        {
          statusCodes: { "200": 250 },
          errorClasses: {},
          histogram: [[1, 2, 250]],
          shards: { count: 3, requests: [125, 125, null], startSkewMs: 4.2 },
        },
      ],
    },
  };
}

describe("the reports of a sharded run", () => {
  it("list the shards in Markdown: requests each, the one that did not report, the start skew", () => {
    const markdown = renderReport(undefined, shardedResult(), { format: "markdown" });
    expect(markdown).toContain("## Shards");
    const row = markdown.split("\n").find((line) => line.startsWith("| version 0"));
    expect(row?.split("|").map((cell) => cell.trim())).toEqual([
      "",
      "version 0",
      "3",
      "125 + 125 + —",
      "4.20 ms",
      "",
    ]);
    expect(markdown).toContain("—: the shard did not report.");
  });

  it("carry the shards in JSON, valid against report.schema.json", () => {
    const json = JSON.parse(renderReport(undefined, shardedResult(), { format: "json" })) as {
      loads: Array<{ shards: unknown } | null>;
    };
    expect(json.loads[0]?.shards).toEqual({
      count: 3,
      requests: [125, 125, null],
      startSkewMs: 4.2,
    });
    const schema = z.fromJSONSchema(
      JSON.parse(readFileSync(schemaFile, "utf8")) as z.core.JSONSchema.JSONSchema,
    );
    expect(schema.safeParse(json).error?.issues ?? []).toEqual([]);
  });

  it("leave the shards out of an unsharded run's Markdown and give null in its JSON", () => {
    const result = shardedResult();
    const load = result.insights?.loadDetails?.[0];
    if (load) delete load.shards;
    expect(renderReport(undefined, result, { format: "markdown" })).not.toContain("Shards");
    const json = JSON.parse(renderReport(undefined, result, { format: "json" })) as {
      loads: Array<{ shards: unknown } | null>;
    };
    expect(json.loads[0]?.shards).toBeNull();
  });
});
