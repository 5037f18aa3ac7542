import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_LOAD, parseExperiment } from "../src/index.js";

const fixture = join(import.meta.dirname, "fixtures", "valid", "proxy-metrics.yaml");

function messages(text: string): string[] {
  const result = parseExperiment(text);
  return [...(result.ok ? [] : result.issues), ...result.warnings].map(
    (i) => `${i.path}: ${i.message}`,
  );
}

describe("proxymetrics task", () => {
  it("reads every input of the fixture, normalised (timeout in ms, p95 → p95.0)", () => {
    const result = parseExperiment(readFileSync(fixture, "utf8"));
    expect(result).toEqual({
      ok: true,
      warnings: [],
      value: {
        format: "v0.8",
        tasks: [
          {
            task: "proxymetrics",
            with: {
              admin: "http://127.0.0.1:9901",
              versions: ["v1", "v2"],
              percentiles: [50, 95],
              window: true,
              traffic: "live",
              timeoutMs: 5000,
            },
          },
          {
            task: "assess-app-versions",
            with: {
              SLOs: [
                { metric: "built-in/error-rate", upperLimit: 0.01 },
                { metric: "built-in/p95.0", upperLimit: 200 },
              ],
            },
          },
        ],
      },
    });
  });

  it("defaults to cumulative live counters, the load task's percentiles and the proxy's versions", () => {
    const result = parseExperiment(
      "- task: proxymetrics\n  with: {admin: 'http://127.0.0.1:9901', traffic: mirror}\n",
    );
    expect(result.ok && result.value.tasks[0]).toEqual({
      task: "proxymetrics",
      with: {
        admin: "http://127.0.0.1:9901",
        percentiles: [...DEFAULT_LOAD.percentiles],
        window: false,
        traffic: "mirror",
      },
    });
  });

  it("counts as a source of built-in metrics: no 'will have no value' warning, percentiles checked", () => {
    const text = (p: string) =>
      `- task: proxymetrics\n  with: {admin: 'http://127.0.0.1:9901', percentiles: [50]}\n- task: assess\n  with:\n    SLOs: [{metric: ${p}, upperLimit: 5}]\n`;
    expect(messages(text("built-in/p50"))).toEqual([]);
    expect(messages(text("built-in/p99"))).toEqual([
      "[1].with.SLOs[0].metric: built-in/p99.0 is not collected: add 99 to the percentiles of task [0]",
    ]);
  });

  it("rejects a missing admin URL, a repeated version, an unknown traffic kind and typos", () => {
    expect(messages("- task: proxymetrics\n  with: {versions: [a]}\n")).toEqual([
      expect.stringMatching(/^\[0\]\.with\.admin: /),
    ]);
    expect(
      messages(
        "- task: proxymetrics\n  with: {admin: 'http://127.0.0.1:9901', versions: [a, a]}\n",
      ),
    ).toEqual(['[0].with.versions[1]: version "a" is listed twice']);
    expect(
      messages("- task: proxymetrics\n  with: {admin: 'http://127.0.0.1:9901', traffic: shadow}\n"),
    ).toEqual([expect.stringMatching(/^\[0\]\.with\.traffic: .*live.*mirror/)]);
    expect(messages("- task: proxymetrics\n  with: {admin: '127.0.0.1:9901'}\n")).toEqual([
      expect.stringMatching(/^\[0\]\.with\.admin: invalid URL/),
    ]);
    expect(
      messages("- task: proxymetrics\n  with: {admin: 'http://127.0.0.1:9901', windows: true}\n"),
    ).toEqual([expect.stringMatching(/^\[0\]\.with\.windows: unknown key "windows".*window/)]);
    expect(messages("- task: proxymetric\n  with: {admin: 'http://127.0.0.1:9901'}\n")).toEqual([
      '[0].task: unknown task "proxymetric"; did you mean "proxymetrics"?',
    ]);
  });
});
