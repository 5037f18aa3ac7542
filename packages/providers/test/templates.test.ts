import { readdir, readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { BUILT_IN_TEMPLATES, builtInTemplatePath, renderProviderSpec } from "../src/index.js";
import type { ProviderMetricSpec } from "../src/index.js";

const PACKAGE = join(import.meta.dirname, "..");
const read = (name: "istio-prom" | "prometheus-http") =>
  readFile(builtInTemplatePath(`${name}.tpl`), "utf8");
/** The first query parameter of a single-value metric. */
const firstParam = (m: ProviderMetricSpec | undefined): string | undefined =>
  m !== undefined && "params" in m ? m.params[0]?.value : undefined;

describe("the provider templates @iter8/providers ships", () => {
  it("prometheus-http renders the demo app's queries for one version", async () => {
    const spec = renderProviderSpec("prometheus-http", await read("prometheus-http"), {
      version: "v2",
      elapsedTimeSeconds: 30,
    });
    expect(spec.url).toBe("http://127.0.0.1:9090/api/v1/query");
    expect(spec.method).toBe("GET");
    expect(spec.metrics.map((m) => m.name)).toEqual([
      "request-count",
      "error-count",
      "error-rate",
      "latency-mean",
      "latency-p50",
      "latency-p95",
      "latency-p99",
    ]);
    const query = (name: string) => firstParam(spec.metrics.find((m) => m.name === name))?.trim();
    expect(query("request-count")).toBe(
      'sum(last_over_time(demo_app_requests_total{version="v2"}[30s]))',
    );
    expect(query("error-count")).toBe(
      '(sum(last_over_time(demo_app_requests_total{version="v2",code=~"5.."}[30s])) or (0 * sum(last_over_time(demo_app_requests_total{version="v2"}[30s]))))',
    );
    expect(query("latency-p95")).toBe(
      '1000 * histogram_quantile(0.95, sum by (le) (last_over_time(demo_app_request_duration_seconds_bucket{version="v2"}[30s])))',
    );
    expect(spec.metrics.find((m) => m.name === "latency-mean")?.units).toBe("msec");
  });

  it("prometheus-http takes other metric names, labels and percentiles", async () => {
    const spec = renderProviderSpec("prometheus-http", await read("prometheus-http"), {
      version: "canary",
      versionLabel: "track",
      requestsMetric: "http_requests_total",
      labels: { job: "api", env: "prod" },
      latencyPercentiles: [99.9],
      prometheusURL: "http://prom:9090",
      elapsedTimeSeconds: 5,
    });
    expect(spec.url).toBe("http://prom:9090/api/v1/query");
    expect(spec.metrics.at(-1)?.name).toBe("latency-p99.9");
    expect(firstParam(spec.metrics.at(-1))).toContain("histogram_quantile(0.999,");
    expect(firstParam(spec.metrics[0])?.trim()).toBe(
      'sum(last_over_time(http_requests_total{track="canary",env="prod",job="api"}[5s]))',
    );
  });

  it("prometheus-http names the missing version value", async () => {
    expect(() => renderProviderSpec("prometheus-http", "", {}) && undefined).toThrow(
      /provider prometheus-http/,
    );
    const template = await read("prometheus-http");
    expect(() =>
      renderProviderSpec("prometheus-http", template, { elapsedTimeSeconds: 5 }),
    ).toThrow(
      /template of provider prometheus-http: line \d+: template variable \.version is not set/,
    );
  });

  it("istio-prom renders Istio's queries by destination workload", async () => {
    const spec = renderProviderSpec("istio-prom", await read("istio-prom"), {
      destinationWorkload: "httpbin-v2",
      destinationWorkloadNamespace: "default",
      reporter: "destination",
      elapsedTimeSeconds: 60,
    });
    expect(spec.url).toBe("http://prometheus.istio-system:9090/api/v1/query");
    expect(spec.metrics.map((m) => m.name)).toEqual([
      "request-count",
      "error-count",
      "error-rate",
      "latency-mean",
      "latency-p50",
      "latency-p75",
      "latency-p90",
      "latency-p95",
      "latency-p99",
    ]);
    expect(firstParam(spec.metrics[0])?.trim()).toBe(
      'sum(last_over_time(istio_requests_total{reporter="destination",destination_workload="httpbin-v2",destination_workload_namespace="default"}[60s]))',
    );
  });

  it("ships every template of templates/ and names each in BUILT_IN_TEMPLATES", async () => {
    const files = (await readdir(join(PACKAGE, "templates"))).sort();
    expect(files).toEqual([...BUILT_IN_TEMPLATES].sort());
    for (const name of BUILT_IN_TEMPLATES) {
      expect(dirname(builtInTemplatePath(name))).toBe(join(PACKAGE, "templates"));
    }
    const manifest = JSON.parse(await readFile(join(PACKAGE, "package.json"), "utf8")) as {
      files: string[];
    };
    expect(manifest.files).toContain("templates");
  });
});
