import type { ExperimentResult } from "@iter8/spec";
import { describe, expect, it } from "vitest";
import { renderComparisonText } from "./comparison-table.js";
import { renderTextReport } from "./text-report.js";
import { renderReport } from "./render-report.js";
import { reportJsonSchema } from "./json-report.js";

const base: ExperimentResult = {
  startTime: "2026-01-01T00:00:00Z",
  numCompletedTasks: 2,
  numTasks: 2,
  failure: false,
  insights: { numVersions: 2, metricsInfo: {}, metricValues: [{}, {}] },
};

const compared: ExperimentResult = {
  ...base,
  insights: {
    numVersions: 2,
    metricsInfo: {},
    metricValues: [{}, {}],
    comparisons: [
      {
        metric: "abn/conversion",
        version: 1,
        preferredDirection: "high",
        estimate: 0.5,
        standardError: 0.1,
        ci: [0.3, 0.7],
        pValue: 0.00002,
        adjustedPValue: 0.00002,
        better: true,
        worse: false,
      },
    ],
    winner: {
      method: "welch",
      version: 1,
      reason: "version 1 wins: abn/conversion +50.0% vs version 0",
      warnings: ["sample ratio mismatch: counts 6000/4000 do not fit weights 50/50"],
    },
  },
};

describe("comparison table", () => {
  it("shows lift, interval, adjusted p-value, verdict, the winner and warnings", () => {
    expect(renderComparisonText(compared)).toBe(
      [
        "",
        "",
        "Comparisons with version 0 (welch)",
        "",
        "metric         | version | lift vs v0 | interval         | p (Holm) | verdict",
        "---------------|---------|------------|------------------|----------|--------",
        "abn/conversion | 1       | +50.0%     | +30.0% .. +70.0% | 2.0e-5   | better",
        "",
        "Winner: version 1 wins: abn/conversion +50.0% vs version 0",
        "Warning: sample ratio mismatch: counts 6000/4000 do not fit weights 50/50",
        "",
      ].join("\n"),
    );
  });

  it("is appended to the text report when comparisons exist, and absent otherwise", () => {
    expect(renderTextReport(compared)).toContain("Comparisons with version 0 (welch)");
    expect(renderTextReport(base)).not.toContain("Comparisons");
  });

  it("is part of the Markdown report, with the winner and warnings", () => {
    const markdown = renderReport(undefined, compared, { format: "markdown" });
    expect(markdown).toContain("## Comparisons with version 0 (welch)");
    expect(markdown).toMatch(
      /\| `abn\/conversion` \| +1 \| +\+50\.0% \| +\+30\.0% \.\. \+70\.0% \| +2\.0e-5 \| better +\|/,
    );
    expect(markdown).toContain("**Winner:** version 1 wins: abn/conversion +50.0% vs version 0");
    expect(markdown).toContain("> Warning: sample ratio mismatch");
    expect(renderReport(undefined, base, { format: "markdown" })).not.toContain("Comparisons");
  });

  it("is part of the HTML report, marking the winner's row", () => {
    const html = renderReport(undefined, compared, { format: "html" });
    expect(html).toContain('<section id="comparisons">');
    expect(html).toContain('<tr class="winner"><th scope="row"><code>abn/conversion</code></th>');
    expect(html).toContain("<strong>Winner: version 1.</strong>");
    expect(renderReport(undefined, base, { format: "html" })).not.toContain('id="comparisons"');
  });

  it("is part of the JSON report and fits its schema", () => {
    const json: unknown = JSON.parse(renderReport(undefined, compared, { format: "json" }));
    const parsed = reportJsonSchema.parse(json);
    expect(parsed.comparisons).toMatchObject({
      method: "welch",
      winner: 1,
      rows: [{ metric: "abn/conversion", version: 1, lift: "+50.0%", evidence: "2.0e-5" }],
    });
    const none: unknown = JSON.parse(renderReport(undefined, base, { format: "json" }));
    expect(reportJsonSchema.parse(none).comparisons).toBeUndefined();
  });
});
