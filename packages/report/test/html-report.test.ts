import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ExperimentResult } from "@iter8/spec";
import { renderReport } from "../src/render-report.js";

function resultFixture(name: string): ExperimentResult {
  const file = fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(file, "utf8")) as ExperimentResult;
}

function html(result: ExperimentResult, histogramScale?: "linear" | "log"): string {
  return renderReport(undefined, result, {
    format: "html",
    ...(histogramScale ? { histogramScale } : {}),
  });
}

/** The `<svg ...>...</svg>` elements whose class list contains `className`. */
function svgsOf(page: string, className: string): string[] {
  return [...page.matchAll(/<svg class="chart ([^"]*)"[\s\S]*?<\/svg>/g)]
    .filter((match) => match[1]?.split(" ").includes(className))
    .map((match) => match[0]);
}

describe("the HTML report", () => {
  const loaded = resultFixture("load-details-result.json");

  it("draws one histogram per version with one bar per bucket", () => {
    const histograms = svgsOf(html(loaded), "histogram");
    const details = loaded.insights?.loadDetails ?? [];
    expect(histograms).toHaveLength(details.length);
    histograms.forEach((svg, v) => {
      expect(svg).toContain(`data-version="${v}"`);
      expect(svg.match(/<rect /g)).toHaveLength(details[v]?.histogram.length ?? -1);
    });
  });

  it("gives every chart a title, both axis labels and a legend", () => {
    const page = html(loaded);
    const charts = [...page.matchAll(/<svg class="chart[\s\S]*?<\/svg>/g)].map((m) => m[0]);
    // 2 histograms, the percentile curves, the responses breakdown, throughput and latency over time.
    expect(charts).toHaveLength(6);
    for (const svg of charts) {
      expect(svg).toMatch(/<text class="chart-title"[^>]*>[^<]+<\/text>/);
      expect(svg).toMatch(/class="axis-label x-label"[^>]*>[^<]+\((ms|s|%)\)<\/text>/);
      expect(svg).toMatch(/class="axis-label y-label"[^>]*>[^<]+<\/text>/);
      expect(svg).toMatch(/<g class="legend"><g class="legend-entry">/);
    }
  });

  it("references nothing outside the page", () => {
    const page = html(loaded);
    expect(page).not.toMatch(/<(script|link|img|iframe|object|embed)\b/i);
    expect(page).not.toMatch(/\b(src|href)=/i);
    expect(page).not.toMatch(/url\(|@import/i);
    // The only URL is the SVG namespace, which is a name, not a request.
    const urls = [...page.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
    expect(new Set(urls)).toEqual(new Set(["http://www.w3.org/2000/svg"]));
  });

  it("escapes metric names, descriptions and task messages", () => {
    const page = html(resultFixture("missing-metrics-result.json"));
    expect(page).toContain("<code>custom/cpu_seconds|total</code>");
    expect(page).toContain('title="CPU seconds &lt;from Prometheus&gt; &amp; more · units: s"');
    const failed = html({
      startTime: "2021-12-01T10:00:00.000Z",
      numCompletedTasks: 0,
      numTasks: 1,
      failure: true,
      failedTask: { index: 0, task: "run", message: '<script>alert("x")</script>\n& exit 1' },
    });
    expect(failed).not.toContain("<script>");
    expect(failed).toContain(
      '<pre class="failure-message">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\n&amp; exit 1</pre>',
    );
  });

  it("states the run's status, which task failed and the tasks done of the total", () => {
    const page = html(resultFixture("failed-result.json"));
    expect(page).toContain('<p class="state" data-state="failed">✗ failed</p>');
    expect(page).toContain("<dt>Tasks done</dt><dd>0</dd>");
    expect(page).toContain(
      "Task <strong>1</strong> (<code>gen-load-and-collect-metrics</code>) failed:",
    );
    expect(page).toContain("version 0: connect ECONNREFUSED 127.0.0.1:8080");
    const done = html({ ...resultFixture("seed-result.json"), numTasks: 2 });
    expect(done).toContain("<dt>Tasks done</dt><dd>2 of 2</dd>");
  });

  it("marks each SLO cell with a symbol and a word, matching the result", () => {
    const page = html(resultFixture("three-versions-result.json"));
    const cells = [
      ...page.matchAll(
        /<td class="mark ([a-z-]+)" data-slo="(\d)" data-version="(\d)"[^>]*>(.*?)<\/td>/g,
      ),
    ];
    expect(cells.map((m) => [m[2], m[3], m[1]])).toEqual([
      ["0", "0", "pass"],
      ["0", "1", "no-data"],
      ["0", "2", "pass"],
      ["1", "0", "pass"],
      ["1", "1", "no-data"],
      ["1", "2", "pass"],
      ["2", "0", "pass"],
      ["2", "1", "no-data"],
      ["2", "2", "fail"],
    ]);
    expect(cells[8]?.[4]).toBe(
      '<span aria-hidden="true">✗</span> fail <span class="value">(1234.57)</span>',
    );
    expect(cells[1]?.[4]).toBe('<span aria-hidden="true">—</span> no data');
  });

  it("marks the best value of a metric row", () => {
    const page = html(loaded).split('id="metrics"')[1] ?? "";
    const rowOf = (name: string) =>
      new RegExp(`<tr data-metric="${name}" data-better="(\\w+)"><th scope="row".*?</tr>`).exec(
        page,
      );
    const row = rowOf("built-in/p95.0")?.[0];
    expect(rowOf("built-in/p95.0")?.[1]).toBe("lower");
    expect(row).toContain(
      '<td class="num best" data-best="true">19.29 <span class="best-mark">★ best</span></td>',
    );
    expect(row).toContain('<td class="num">30.04</td>');
  });

  it("ranks no standard deviation, and a reward by its preferred direction", () => {
    // Version 1 is 14 times slower on every request, with the smaller spread.
    const result: ExperimentResult = {
      startTime: "2026-12-01T10:00:00Z",
      numCompletedTasks: 2,
      failure: false,
      insights: {
        numVersions: 2,
        metricsInfo: {},
        metricValues: [
          { "built-in/mean-latency": [2], "built-in/stddev-latency": [3], "abn/cost": [5] },
          { "built-in/mean-latency": [28], "built-in/stddev-latency": [0.5], "abn/cost": [4] },
        ],
        rewards: [{ metric: "abn/cost", preferredDirection: "low" }],
      },
    };
    const page = html(result).split('id="metrics"')[1] ?? "";
    const rowOf = (name: string) =>
      new RegExp(`<tr data-metric="${name}" data-better="(\\w+)"><th scope="row".*?</tr>`).exec(
        page,
      );
    expect(rowOf("built-in/stddev-latency")?.[1]).toBe("unranked");
    expect(rowOf("built-in/stddev-latency")?.[0]).not.toContain("★");
    expect(rowOf("built-in/mean-latency")?.[0]).toMatch(/data-best="true">2 <span/);
    expect(rowOf("abn/cost")?.[1]).toBe("lower");
    expect(rowOf("abn/cost")?.[0]).toMatch(/data-best="true">4 <span/);
  });

  it("switches the histograms' count axis to a log scale on request", () => {
    const [linear] = svgsOf(html(loaded), "histogram");
    const [log] = svgsOf(html(loaded, "log"), "histogram");
    expect(linear).toContain('data-scale="linear"');
    expect(log).toContain('data-scale="log"');
    expect(log).toContain("requests (log scale)");
  });

  it("leaves out charts it has no data for", () => {
    const page = html(resultFixture("seed-result.json"));
    expect(page).not.toContain('class="chart');
    expect(page).toContain('id="slos"');
    expect(page).toContain('id="metrics"');
  });
});
