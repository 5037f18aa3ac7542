// The HTML report in a real browser: Debian's chromium driven by playwright-core. A real run of
// `iter8 run` (in-process, against the demo app on 127.0.0.1) makes the result; `iter8 report -o
// html --output` writes the page, which is opened from a file:// URL with every other request
// recorded and refused.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadResult } from "@iter8/spec";
import type { ExperimentResult } from "@iter8/spec";
import { startDemoApp } from "@iter8/demo-app";
import type { DemoApp } from "@iter8/demo-app";
import { main } from "../src/main.js";
import type { CliIO } from "../src/io.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(import.meta.dirname, "artifacts");
vi.setConfig({ testTimeout: 60_000, hookTimeout: 90_000 });

// Evaluated in the page (this package has no DOM types).
const BODY_BACKGROUND = "getComputedStyle(document.body).backgroundColor";

const quiet: CliIO = { out: () => {}, err: () => {}, progress: () => {} };

let work: string;
let app: DemoApp;
let context: BrowserContext;
let result: ExperimentResult;
let reportUrl: string;

async function iter8(args: string[], cwd: string): Promise<number> {
  return main(args, { cwd, io: quiet, env: { ...process.env, ITER8HUB: "" } });
}

interface OpenedPage {
  page: Page;
  /** Every request the page made other than loading the report itself. */
  requests: string[];
  consoleErrors: string[];
}

async function openReport(
  url: string,
  viewport = { width: 1280, height: 900 },
): Promise<OpenedPage> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  page.on("request", (request) => {
    if (request.url() !== url) requests.push(request.url());
  });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  await page.route("**/*", (route) =>
    route.request().url() === url ? route.continue() : route.abort(),
  );
  await page.goto(url, { waitUntil: "load" });
  return { page, requests, consoleErrors };
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: the HTML report test needs Debian's chromium (apt-get install -y chromium; .ci/run installs it)`,
    );
  }
  work = await mkdtemp(join(tmpdir(), "iter8-report-html-"));
  await mkdir(ARTIFACTS, { recursive: true });
  // Version 1 is slower and answers 10% of requests to /get with 500; the others are healthy.
  app = await startDemoApp({
    port: 0,
    versions: [
      { name: "v1", latencyMs: 4, jitterMs: 2 },
      { name: "v2", latencyMs: 9, jitterMs: 6, errorRate: 0.1 },
      { name: "v3", latencyMs: 3, jitterMs: 1 },
    ],
    seed: 11,
  });
  await writeFile(
    join(work, "experiment.yaml"),
    [
      "- task: gen-load-and-collect-metrics",
      "  with:",
      "    duration: 2s",
      "    warmup: 0s",
      "    qps: 60",
      "    connections: 4",
      "    versionInfo:",
      ...app.urls.map((url) => `    - url: ${new URL("/get", url).href}`),
      "- task: assess-app-versions",
      "  with:",
      "    SLOs:",
      "    - metric: built-in/error-rate",
      "      upperLimit: 0",
      "    - metric: built-in/mean-latency",
      "      upperLimit: 8",
      "    - metric: built-in/p95",
      "      upperLimit: 100",
      "",
    ].join("\n"),
  );
  expect(await iter8(["run"], work)).toBe(0);
  result = await loadResult(join(work, "result.yaml"));
  expect(await iter8(["report", "-o", "html", "--output", "report.html"], work)).toBe(0);
  reportUrl = pathToFileURL(join(work, "report.html")).href;

  const profile = await mkdtemp(join(tmpdir(), "iter8-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await context?.close();
  await app?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the HTML report in headless Chromium", () => {
  it("loads without a single network request and without console errors", async () => {
    const { page, requests, consoleErrors } = await openReport(reportUrl);
    expect(await page.title()).toBe("Iter8 experiment report");
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, "report-html.png"), fullPage: true });
    await page.close();
  });

  it("shows one histogram per version with as many bars as the result has buckets", async () => {
    const { page } = await openReport(reportUrl);
    const details = result.insights?.loadDetails ?? [];
    expect(details).toHaveLength(3);
    const histograms = page.locator("svg.histogram");
    await expect.poll(() => histograms.count()).toBe(3);
    for (const [v, load] of details.entries()) {
      const svg = page.locator(`svg.histogram[data-version="${v}"]`);
      expect(load?.histogram.length).toBeGreaterThan(0);
      expect(await svg.locator("rect").count()).toBe(load?.histogram.length);
      // Drawn: the tallest bar has a height on screen.
      const boxes = await Promise.all(
        (await svg.locator("rect").all()).map((r) => r.boundingBox()),
      );
      expect(Math.max(...boxes.map((box) => box?.height ?? 0))).toBeGreaterThan(10);
    }
    await page.close();
  });

  it("marks every SLO cell as the result says, with a symbol and a word", async () => {
    const { page } = await openReport(reportUrl);
    const insights = result.insights;
    const slos = insights?.SLOs ?? [];
    expect(slos).toHaveLength(3);
    // Version 1 answers errors: it fails error-rate <= 0, the others pass it.
    expect(insights?.SLOsSatisfied?.[0]).toEqual([true, false, true]);
    for (const [i] of slos.entries()) {
      for (let v = 0; v < 3; v++) {
        const cell = page.locator(`td.mark[data-slo="${i}"][data-version="${v}"]`);
        const expected = insights?.SLOsSatisfied?.[i]?.[v] ? "pass" : "fail";
        expect(await cell.getAttribute("data-status")).toBe(expected);
        expect(await cell.innerText()).toMatch(expected === "pass" ? /^✓ pass/ : /^✗ fail/);
      }
    }
    await page.close();
  });

  it("draws the percentile curves, the responses breakdown and the charts over time", async () => {
    const { page } = await openReport(reportUrl);
    for (const selector of [
      "svg.percentiles",
      "svg.breakdown",
      "svg.throughput",
      "svg.latency-over-time",
    ]) {
      const svg = page.locator(selector);
      expect(await svg.count(), selector).toBe(1);
      expect((await svg.boundingBox())?.height ?? 0, selector).toBeGreaterThan(100);
    }
    // One line per version in the percentile chart, and every chart has a legend entry per series.
    expect(await page.locator("svg.percentiles path.line").count()).toBe(3);
    expect(await page.locator("svg.percentiles .legend-entry").count()).toBe(3);
    const codes = await page.locator("table.responses-table tbody th").allInnerTexts();
    expect(codes).toContain("HTTP 200");
    expect(codes).toContain("HTTP 500");
    await page.close();
  });

  it("headlines the versions that fail their SLOs, in the failure colour, above the run's state", async () => {
    const { page } = await openReport(reportUrl);
    const satisfied = result.insights?.SLOsSatisfied ?? [];
    const failing = [0, 1, 2].filter((v) =>
      satisfied.some((perVersion) => perVersion[v] === false),
    );
    expect(failing).toContain(1);
    const state = page.locator(".status .state");
    expect(await state.getAttribute("data-state")).toBe("slos-failed");
    expect(await state.innerText()).toBe(
      `✗ SLOs not satisfied by ${failing.map((v) => `version ${v}`).join(", ")}`,
    );
    const colour = await page.evaluate<string>(
      "getComputedStyle(document.querySelector('.status .state')).color",
    );
    const size = await page.evaluate<number>(
      "parseFloat(getComputedStyle(document.querySelector('.status .state')).fontSize)",
    );
    expect(colour).toBe("rgb(207, 34, 46)");
    expect(size).toBeGreaterThanOrEqual(18);
    // The run itself completed: said in the facts, not in the headline.
    expect(await page.locator(".facts").innerText()).toMatch(/Run\s+✓ completed/);
    expect(await page.locator(".status .state").count()).toBe(1);
    await page.close();
  });

  it("uses the full width at 1280 px: every table and every row of charts", async () => {
    const { page } = await openReport(reportUrl);
    const content = await page.evaluate<number>(
      "(() => { const m = document.querySelector('main'); const s = getComputedStyle(m); return m.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); })()",
    );
    expect(content).toBeGreaterThan(1280 - 80);
    const tables = await page.locator(".table-wrap > table").all();
    expect(tables.length).toBeGreaterThanOrEqual(3);
    for (const table of tables) {
      expect((await table.boundingBox())?.width ?? 0).toBeGreaterThanOrEqual(content - 2);
    }
    const grids = await page.locator(".charts").all();
    expect(grids.length).toBeGreaterThanOrEqual(2);
    for (const grid of grids) {
      const boxes = (
        await Promise.all((await grid.locator("figure").all()).map((f) => f.boundingBox()))
      ).filter((box) => box !== null);
      // Figures in one row span the width; a figure alone in its grid takes all of it.
      const left = Math.min(...boxes.map((box) => box.x));
      const right = Math.max(...boxes.map((box) => box.x + box.width));
      expect(right - left).toBeGreaterThanOrEqual(content - 2);
      if (boxes.length === 1) expect(boxes[0]?.width ?? 0).toBeGreaterThanOrEqual(content - 2);
    }
    await page.close();
  });

  it("labels each stacked bar with its version and its number of requests", async () => {
    const { page } = await openReport(reportUrl);
    const labels = await page.locator("svg.breakdown .breakdown-row text").allTextContents();
    const counts = (result.insights?.metricValues ?? []).map((values) =>
      values["built-in/request-count"]?.at(-1),
    );
    expect(labels).toEqual(counts.map((n, v) => `version ${v}: ${n} requests`));
    await page.close();
  });

  it("gives ★ best to the lowest latency and error values and does not rank the spread", async () => {
    const { page } = await openReport(reportUrl);
    const rows = await page.locator('table.metrics-table tr[data-better="lower"]').all();
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const row of rows) {
      const values = (await row.locator("td.num").allTextContents()).map((text) =>
        parseFloat(text),
      );
      const marked = await Promise.all(
        (await row.locator("td.num").all()).map(
          async (cell) => (await cell.getAttribute("data-best")) === "true",
        ),
      );
      const name = await row.getAttribute("data-metric");
      const minimum = Math.min(...values);
      values.forEach((value, v) => {
        if (marked[v]) expect(value, `${name} version ${v}`).toBe(minimum);
      });
    }
    const spread = page.locator('table.metrics-table tr[data-metric="built-in/stddev-latency"]');
    expect(await spread.getAttribute("data-better")).toBe("unranked");
    expect(await spread.locator("[data-best]").count()).toBe(0);
    await page.close();
  });

  it("fits a phone's width and follows the dark colour scheme", async () => {
    const { page } = await openReport(reportUrl, { width: 375, height: 800 });
    const overflow = await page.evaluate<number>(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, "report-html-phone.png"), fullPage: true });
    const light = await page.evaluate<string>(BODY_BACKGROUND);
    await page.emulateMedia({ colorScheme: "dark" });
    const dark = await page.evaluate<string>(BODY_BACKGROUND);
    expect(light).toBe("rgb(255, 255, 255)");
    expect(dark).toBe("rgb(13, 17, 23)");
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(ARTIFACTS, "report-html-dark.png"), fullPage: true });
    await page.close();
  });

  it("prints: the print stylesheet turns the page light", async () => {
    const { page } = await openReport(reportUrl);
    await page.emulateMedia({ colorScheme: "dark", media: "print" });
    expect(await page.evaluate<string>(BODY_BACKGROUND)).toBe("rgb(255, 255, 255)");
    const pdf = await page.pdf({ format: "A4" });
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    await page.close();
  });

  it("shows a failed run's task and message, escaped, with no request either", async () => {
    const dir = await mkdtemp(join(work, "failed-"));
    await writeFile(
      join(dir, "result.yaml"),
      [
        "startTime: 2021-12-01T10:00:00.000Z",
        "numCompletedTasks: 1",
        "numTasks: 3",
        "failure: true",
        "failedTask:",
        "  index: 1",
        "  task: run",
        "  message: 'script exited with code 4: <img src=x onerror=alert(1)> & done'",
        "",
      ].join("\n"),
    );
    expect(await iter8(["report", "-o", "html", "--output", "report.html"], dir)).toBe(0);
    const url = pathToFileURL(join(dir, "report.html")).href;
    const { page, requests, consoleErrors } = await openReport(url);
    expect(await page.locator(".state").innerText()).toBe("✗ failed");
    expect(await page.locator(".facts").innerText()).toContain("1 of 3");
    expect(await page.locator(".failure-message").innerText()).toBe(
      "script exited with code 4: <img src=x onerror=alert(1)> & done",
    );
    expect(await page.locator("img").count()).toBe(0);
    expect(requests).toEqual([]);
    expect(consoleErrors).toEqual([]);
    await page.close();
  });
});
