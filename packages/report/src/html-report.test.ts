import { describe, expect, it } from "vitest";
import { drawableSamples } from "./html-report.js";

const sample = (elapsedMs: number) => ({ elapsedMs, completed: 0, errors: 0, rate: 1 });

describe("drawableSamples", () => {
  it("leaves out a sample covering less than half the usual interval", () => {
    const timeline = [1000, 2000, 3000, 3020].map(sample);
    expect(drawableSamples(timeline).map((s) => s.elapsedMs)).toEqual([1000, 2000, 3000]);
  });

  it("keeps evenly spaced samples, and a single one", () => {
    expect(drawableSamples([1000, 2000, 2900].map(sample))).toHaveLength(3);
    expect(drawableSamples([sample(400)])).toHaveLength(1);
  });
});

describe("charts of flat data", () => {
  it("labels a y axis of all-zero latencies with round ticks", async () => {
    const { lineChart } = await import("./svg-charts.js");
    const svg = lineChart(
      [
        {
          label: "v0",
          colourClass: "c0",
          dash: "",
          marker: 0,
          points: [
            [1, 0],
            [2, 0],
          ],
        },
      ],
      { title: "t", xLabel: "x (s)", yLabel: "y (ms)", className: "flat" },
    );
    const ticks = [
      ...svg.matchAll(/<text class="tick" x="\d+" y="[\d.]+" text-anchor="end">([^<]*)</g),
    ].map((m) => m[1]);
    expect(ticks).toEqual(["0", "0.5", "1"]);
  });
});

describe("the HTML report of a sharded run", () => {
  it("shows the requests each shard measured and the start skew", async () => {
    const { renderReport } = await import("./render-report.js");
    const load = {
      statusCodes: { "200": 250 },
      errorClasses: {},
      histogram: [[1, 2, 250]] as Array<[number, number, number]>,
      shards: { count: 3, requests: [125, 125, null], startSkewMs: 4.2 },
    };
    const html = renderReport(
      undefined,
      {
        startTime: "2026-01-01T00:00:00Z",
        numCompletedTasks: 1,
        failure: false,
        insights: {
          numVersions: 1,
          metricsInfo: {},
          metricValues: [{ "built-in/request-count": [250] }],
          loadDetails: [load],
        },
      },
      { format: "html" },
    );
    expect(html).toContain("HTTP 200");
    expect(html).toContain("shards: requests each; start skew");
    expect(html).toContain("125 + 125 + —; 4.20 ms");
  });
});
