import { describe, expect, it } from "vitest";
import { parseExperiment } from "@iter8/spec";

function parse(text: string) {
  return parseExperiment(text, { filename: "experiment.yaml" });
}

describe("custommetrics in experiment.yaml", () => {
  it("normalises the inputs (defaults, Go durations)", () => {
    const result = parse(`- task: custommetrics
  with:
    templates:
      prometheus-http: prometheus-http.tpl
    values: {prometheusURL: "http://127.0.0.1:9090"}
    versionValues: [{version: v1}, {version: v2}]
    startingTime: "2026-01-02T15:04:05Z"
    timeout: 5s
    retries: 1
`);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.tasks[0]).toEqual({
      task: "custommetrics",
      with: {
        templates: { "prometheus-http": "prometheus-http.tpl" },
        values: { prometheusURL: "http://127.0.0.1:9090" },
        versionValues: [{ version: "v1" }, { version: "v2" }],
        startingTime: "2026-01-02T15:04:05Z",
        timeoutMs: 5000,
        retries: 1,
      },
    });
  });

  it("defaults values and versionValues to empty", () => {
    const result = parse("- task: custommetrics\n  with:\n    templates: {p: p.tpl}\n");
    expect(result.ok && result.value.tasks[0]).toMatchObject({
      with: { values: {}, versionValues: [] },
    });
  });

  it.each([
    ["no templates", "templates: {}", "with.templates", /name at least one provider/],
    [
      "a bad startingTime",
      "templates: {p: p.tpl}\n    startingTime: yesterday",
      "with.startingTime",
      /ISO 8601/,
    ],
    ["too many retries", "templates: {p: p.tpl}\n    retries: 9", "with.retries", /./],
    [
      "a misspelt key",
      // (a key that differs only in case, like versionvalues, is read as Go's JSON decoding
      // read it, with a warning: see the next test)
      "templates: {p: p.tpl}\n    versionValue: []",
      "with.versionValue",
      /did you mean "versionValues"/,
    ],
  ])("rejects %s at its path", (_name, inputs, path, message) => {
    const result = parse(`- task: custommetrics\n  with:\n    ${inputs}\n`);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.path).toBe(`[0].${path}`);
    expect(result.issues[0]?.message).toMatch(message);
  });

  it("reads a key written in another case as Go's JSON decoding did, with a warning", () => {
    const result = parse(
      "- task: custommetrics\n  with:\n    templates: {p: p.tpl}\n    versionvalues: [{}]\n",
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.tasks[0]).toMatchObject({ with: { versionValues: [{}] } });
    expect(result.warnings.map((w) => w.message).join("\n")).toMatch(/versionvalues/);
  });

  it("accepts onNoData on v0.8 and v0.11 SLOs, and refuses other values", () => {
    const v08 = parse(`- task: assess-app-versions
  with:
    SLOs:
      - metric: prom/error-rate
        upperLimit: 0
        onNoData: skip
`);
    expect(v08.ok && v08.value.tasks[0]).toMatchObject({
      with: { SLOs: [{ metric: "prom/error-rate", upperLimit: 0, onNoData: "skip" }] },
    });
    const v011 = parse(`- task: assess
  with:
    SLOs:
      upper:
        - metric: prom/latency-p95
          limit: 100
          onNoData: fail
`);
    expect(v011.ok && v011.value.tasks[0]).toMatchObject({
      with: { SLOs: [{ metric: "prom/latency-p95", upperLimit: 100, onNoData: "fail" }] },
    });
    const bad = parse(`- task: assess-app-versions
  with:
    SLOs:
      - metric: prom/error-rate
        upperLimit: 0
        onNoData: ignore
`);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0]?.message).toMatch(/onNoData must be "fail" or "skip"/);
  });

  it("counts versionValues as versions for SLOsBy(i)", () => {
    const result = parse(`- task: gen-load-and-collect-metrics
  with:
    versionInfo: [{url: "http://127.0.0.1:8080/"}]
- task: custommetrics
  with:
    templates: {p: p.tpl}
    versionValues: [{}, {}]
- task: assess-app-versions
  with:
    SLOs: [{metric: p/m, upperLimit: 1}]
- run: echo ok
  if: SLOsBy(1)
`);
    expect(result.ok).toBe(true);
  });
});
