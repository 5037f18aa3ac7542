// End to end against a real Prometheus (Debian's `prometheus`; CI installs it via .ci/apt-packages)
// scraping iter8's demo app: load both versions, wait for a scrape, read `prometheus-http` metrics,
// assess SLOs, and check the values against the demo app's own counters.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadResult, parseExperiment } from "@iter8/spec";
import type { ExperimentResult } from "@iter8/spec";
import { builtInTemplatePath, queryPrometheus } from "@iter8/providers";
import { startDemoApp } from "@iter8/demo-app";
import type { DemoApp } from "@iter8/demo-app";
import { findClosedPort } from "@iter8/test-utils";
import { createTaskRegistry, runExperiment } from "../src/index.js";

const HUB = join(import.meta.dirname, "..", "..", "..", "apps", "cli", "hub");
const STARTUP_LIMIT_MS = 30_000;
const SCRAPE_LIMIT_MS = 20_000;

function findPrometheus(): string | undefined {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/bin", "/usr/local/bin"]);
  return dirs.map((d) => join(d, "prometheus")).find((file) => existsSync(file));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Per version: requests, 5xx requests, latency sum and count, from the demo app's /metrics. */
async function demoAppCounters(url: string) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const sample = (line: string) => Number(line.slice(line.lastIndexOf(" ") + 1));
  const lines = text.split("\n").filter((l) => !l.startsWith("#") && l !== "");
  const requests = lines.filter((l) => l.startsWith("demo_app_requests_total{"));
  return {
    requests: requests.reduce((sum, l) => sum + sample(l), 0),
    errors: requests.filter((l) => /code="5\d\d"/.test(l)).reduce((sum, l) => sum + sample(l), 0),
    durationSum: sample(
      lines.find((l) => l.startsWith("demo_app_request_duration_seconds_sum")) ?? "",
    ),
    durationCount: sample(
      lines.find((l) => l.startsWith("demo_app_request_duration_seconds_count")) ?? "",
    ),
  };
}

let demo: DemoApp;
let prometheus: ChildProcess | undefined;
let prometheusUrl: string;
let prometheusLog = "";
let workDir: string;

beforeAll(async () => {
  const binary = findPrometheus();
  if (!binary) {
    throw new Error(
      "prometheus is not installed: run `apt-get install -y prometheus` (CI installs it via .ci/apt-packages)",
    );
  }
  workDir = await mkdtemp(join(tmpdir(), "iter8-prometheus-"));
  demo = await startDemoApp({
    port: 0,
    seed: 7,
    versions: ["v1", { name: "v2", errorRate: 0.25 }],
  });
  const targets = demo.urls.map((u) => `'${new URL(u).host}'`).join(", ");
  await writeFile(
    join(workDir, "prometheus.yml"),
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: demo-app",
      "    static_configs:",
      `      - targets: [${targets}]`,
      "",
    ].join("\n"),
  );
  const port = await findClosedPort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    binary,
    [
      `--config.file=${join(workDir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(workDir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (chunk: Buffer) => {
    prometheusLog = (prometheusLog + chunk.toString()).slice(-4000);
  };
  prometheus.stdout?.on("data", keep);
  prometheus.stderr?.on("data", keep);
  const deadline = Date.now() + STARTUP_LIMIT_MS;
  for (;;) {
    if (prometheus.exitCode !== null) {
      throw new Error(`prometheus exited with ${prometheus.exitCode}:\n${prometheusLog}`);
    }
    const ready = await fetch(`${prometheusUrl}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      throw new Error(`prometheus was not ready within 30 s:\n${prometheusLog}`);
    }
    await sleep(200);
  }
}, STARTUP_LIMIT_MS + 10_000);

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((resolve) => prometheus?.once("exit", resolve));
    prometheus.kill("SIGTERM");
    await Promise.race([exited, sleep(5000)]);
    if (prometheus.exitCode === null) prometheus.kill("SIGKILL");
  }
  await demo?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Waits until Prometheus' latest scrape holds every request the demo app has answered. */
async function waitForScrape(): Promise<void> {
  const served = (await Promise.all(demo.urls.map(demoAppCounters))).reduce(
    (sum, c) => sum + c.requests,
    0,
  );
  const deadline = Date.now() + SCRAPE_LIMIT_MS;
  let seen = Number.NaN;
  while (Date.now() < deadline) {
    const response = await queryPrometheus(
      { query: "sum(demo_app_requests_total)" },
      { baseUrl: prometheusUrl, retries: 0, timeoutMs: 2000 },
    );
    if (response.status === "success" && response.data.resultType === "vector") {
      seen = Number(response.data.result[0]?.value[1]);
      if (seen === served) return;
    }
    await sleep(250);
  }
  throw new Error(`Prometheus saw ${seen} requests, the demo app served ${served}`);
}

describe("custommetrics with prometheus-http against a real Prometheus", () => {
  it("collects both versions' metrics, agreeing with the demo app's counters, and assesses SLOs", async () => {
    const dir = join(workDir, "experiment");
    await cp(join(HUB, "slo-validation-prometheus"), dir, { recursive: true });
    await cp(builtInTemplatePath("prometheus-http.tpl"), join(dir, "prometheus-http.tpl"));
    // The hub experiment, pointed at this test's ports and made quicker.
    const text = (await readFile(join(dir, "experiment.yaml"), "utf8"))
      .replace("http://127.0.0.1:8080", demo.urls[0] ?? "")
      .replace("http://127.0.0.1:8081", demo.urls[1] ?? "")
      .replace("http://127.0.0.1:9090", prometheusUrl)
      .replace("numRequests: 200", "numRequests: 60\n    qps: 200");
    const parsed = parseExperiment(text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    // The hub's `run: sleep 3` becomes a bounded wait for the scrape that holds the whole load.
    const registry = createTaskRegistry();
    registry.register("run", () => waitForScrape());

    const result: ExperimentResult = await runExperiment(parsed.value, { dir, registry });
    expect(result.failedTask).toBeUndefined();
    expect(result.numCompletedTasks).toBe(4);

    const insights = result.insights;
    expect(insights?.numVersions).toBe(2);
    for (const [v, url] of demo.urls.entries()) {
      const own = await demoAppCounters(url);
      const values = insights?.metricValues[v] ?? {};
      const latest = (name: string) => values[`prometheus-http/${name}`]?.at(-1);
      expect(own.requests).toBeGreaterThanOrEqual(60);
      expect(latest("request-count")).toBe(own.requests);
      expect(latest("error-count")).toBe(own.errors);
      expect(latest("error-rate")).toBeCloseTo(own.errors / own.requests, 12);
      expect(latest("latency-mean")).toBeCloseTo((1000 * own.durationSum) / own.durationCount, 9);
      const p95 = latest("latency-p95") ?? Number.NaN;
      expect(p95).toBeGreaterThan(0);
      expect(p95).toBeLessThanOrEqual(1000 * 10);
    }
    // v2 injects errors (25% at seed 7), v1 none: only v1 satisfies error-rate <= 0.
    expect(insights?.metricValues[1]?.["prometheus-http/error-count"]?.at(-1)).toBeGreaterThan(0);
    expect(insights?.SLOs?.map((s) => s.metric)).toEqual([
      "prometheus-http/error-rate",
      "prometheus-http/latency-p95",
    ]);
    expect(insights?.SLOsSatisfied?.[0]).toEqual([true, false]);
    expect(insights?.metricsInfo["prometheus-http/latency-p95"]).toEqual({
      description: "95th percentile latency (from the histogram's buckets)",
      type: "Gauge",
      units: "msec",
    });
    expect(insights?.metricProblems).toBeUndefined();
    // what was written to result.yaml reads back the same
    const saved = await loadResult(join(dir, "result.yaml"));
    expect(saved.insights?.metricValues).toEqual(insights?.metricValues);
  }, 60_000);

  it("reports no data, never 0, for a version Prometheus has never seen", async () => {
    const dir = join(workDir, "no-data");
    await cp(builtInTemplatePath("prometheus-http.tpl"), join(dir, "prometheus-http.tpl"));
    const parsed = parseExperiment(`- task: custommetrics
  with:
    templates: {prometheus-http: prometheus-http.tpl}
    values: {prometheusURL: "${prometheusUrl}"}
    versionValues: [{version: v1}, {version: v9}]
`);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const result = await runExperiment(parsed.value, { dir });
    expect(result.failure).toBe(false);
    expect(result.insights?.metricValues[1]).toEqual({});
    expect(result.insights?.metricProblems?.[1]?.["prometheus-http/request-count"]?.status).toBe(
      "no-data",
    );
    expect(result.insights?.metricProblems?.[1]?.["prometheus-http/latency-mean"]?.status).toBe(
      "no-data",
    );
    expect(
      result.insights?.metricValues[0]?.["prometheus-http/request-count"]?.[0],
    ).toBeGreaterThan(0);
  }, 30_000);

  it("answers a bad query with Prometheus' error envelope, typed", async () => {
    const response = await queryPrometheus(
      { query: "sum(" },
      { baseUrl: prometheusUrl, method: "POST" },
    );
    expect(response.status).toBe("error");
    if (response.status === "error") expect(response.errorType).toBe("bad_data");
  });
});
