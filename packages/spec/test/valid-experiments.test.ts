import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { DEFAULT_LOAD, experimentSchema, parseExperiment } from "../src/index.js";
import type { Experiment } from "../src/index.js";

const dir = join(import.meta.dirname, "fixtures", "valid");

function parseFixture(name: string) {
  const text = readFileSync(join(dir, name), "utf8");
  return { text, result: parseExperiment(text, { filename: name }) };
}

function expectValid(name: string): Experiment {
  const { result } = parseFixture(name);
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return result.value;
}

const defaults = {
  qps: DEFAULT_LOAD.qps,
  connections: DEFAULT_LOAD.connections,
  errorRanges: [{ lower: 400 }],
  percentiles: [50, 75, 90, 95, 99, 99.9],
};

describe("parseExperiment on valid experiments", () => {
  it("reads the hub load-test with Iter8 v0.8 defaults applied", () => {
    expect(parseFixture("load-test.yaml").result).toEqual({
      ok: true,
      warnings: [],
      value: {
        format: "v0.8",
        tasks: [
          {
            task: "gen-load-and-collect-metrics",
            with: {
              ...defaults,
              numRequests: 100,
              versionInfo: [{ url: "http://127.0.0.1:8080/get" }],
            },
          },
          {
            task: "assess-app-versions",
            with: {
              SLOs: [
                { metric: "built-in/error-rate", upperLimit: 0 },
                { metric: "built-in/p95.0", upperLimit: 100 },
              ],
            },
          },
        ],
      },
    });
  });

  it("reads a conditional rollout/rollback experiment: run tasks with parsed if: conditions", () => {
    const experiment = expectValid("conditional-rollout.yaml");
    expect(experiment.tasks.map((t) => t.task)).toEqual([
      "gen-load-and-collect-metrics",
      "assess-app-versions",
      "run",
      "run",
      "run",
    ]);
    expect(experiment.tasks[1]?.with).toEqual({
      SLOs: [
        { metric: "built-in/error-rate", upperLimit: 0 },
        { metric: "built-in/p95.0", upperLimit: 100 },
      ],
    });
    expect(experiment.tasks[2]).toEqual({
      task: "run",
      with: { script: 'echo "version 1 satisfies the SLOs: promoting it"\n' },
      if: { kind: "slosBy", version: 1 },
      ifText: "SLOsBy(1)",
    });
    expect(experiment.tasks[3]?.if).toEqual({
      kind: "not",
      operand: { kind: "slosBy", version: 1 },
    });
    expect(experiment.tasks[4]?.ifText).toBe("SLOs() || !(SLOsBy(0) && SLOsBy(1))");
  });

  it("reads a two-version POST experiment with every load input", () => {
    const experiment = expectValid("two-version-post.yaml");
    expect(experiment.tasks[0]).toEqual({
      task: "gen-load-and-collect-metrics",
      with: {
        durationMs: 10_000,
        qps: 20,
        connections: 8,
        timeoutMs: 1500,
        payloadStr: '{"user": "iter8", "items": [1, 2, 3]}',
        contentType: "application/json",
        headers: { "X-Request-Source": "iter8" },
        errorRanges: [{ lower: 500 }, { lower: 400, upper: 404 }],
        percentiles: [50, 90, 97.5, 99.9],
        versionInfo: [
          { url: "http://127.0.0.1:8080/post", headers: { "X-Version": "v1" } },
          { url: "http://127.0.0.1:8081/post", headers: { "X-Version": "v2" } },
        ],
      },
    });
    expect(experiment.tasks[1]?.with).toEqual({
      SLOs: [
        { metric: "built-in/error-rate", upperLimit: 0.01 },
        { metric: "built-in/mean-latency", upperLimit: 50 },
        { metric: "built-in/p97.5", upperLimit: 200 },
        { metric: "built-in/request-count", lowerLimit: 100 },
      ],
    });
  });

  it("reads an Iter8 v0.11 file, mapping http/... metrics to built-in names with warnings", () => {
    const { result } = parseFixture("v011.yaml");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value).toEqual({
      format: "v0.11",
      tasks: [
        {
          task: "gen-load-and-collect-metrics",
          with: {
            ...defaults,
            durationMs: 2000,
            errorRanges: [{ lower: 500 }],
            versionInfo: [{ url: "http://127.0.0.1:8080/get" }],
          },
        },
        {
          task: "assess-app-versions",
          with: {
            SLOs: [
              { metric: "built-in/error-rate", upperLimit: 0 },
              { metric: "built-in/mean-latency", upperLimit: 500 },
              { metric: "built-in/p50.0", upperLimit: 1000 },
              { metric: "built-in/p95.0", upperLimit: 2500 },
              { metric: "built-in/request-count", lowerLimit: 1 },
            ],
          },
        },
      ],
    });
    expect(result.warnings[0]).toEqual({
      path: "spec[1].with.SLOs.upper[0].metric",
      message: '"http/error-rate" is an Iter8 v0.9+ metric name; read as "built-in/error-rate"',
      line: 14,
      column: 9,
      file: "v011.yaml",
    });
    expect(result.warnings).toHaveLength(5);
  });

  it.each(["load-test.yaml", "conditional-rollout.yaml", "two-version-post.yaml", "v011.yaml"])(
    "gives the same value as experimentSchema for %s",
    (name) => {
      const { text, result } = parseFixture(name);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      expect(experimentSchema.parse(load(text))).toEqual(result.value);
    },
  );
});

describe("parseExperiment aliases, defaults and warnings", () => {
  function parse(text: string) {
    const result = parseExperiment(text);
    if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
    return result;
  }

  it("reads numQueries as numRequests with a warning", () => {
    const result = parse(
      "- task: gen-load-and-collect-metrics\n  with:\n    numQueries: 40\n    versionInfo: [{url: 'http://127.0.0.1:8080/'}]\n",
    );
    expect(result.value.tasks[0]?.with).toMatchObject({ numRequests: 40 });
    expect(result.value.tasks[0]?.with).not.toHaveProperty("numQueries");
    expect(result.warnings).toEqual([
      {
        path: "[0].with.numQueries",
        message: "numQueries is the old name of numRequests; read as numRequests",
        line: 3,
        column: 5,
      },
    ]);
  });

  it("keeps numRequests and ignores duration when both are set, with a warning (as Iter8 did)", () => {
    const result = parse(
      "- task: gen-load-and-collect-metrics\n  with:\n    numRequests: 5\n    duration: 3s\n    versionInfo: [{url: 'http://127.0.0.1:8080/'}]\n",
    );
    expect(result.value.tasks[0]?.with).toMatchObject({ numRequests: 5 });
    expect(result.value.tasks[0]?.with).not.toHaveProperty("durationMs");
    expect(result.warnings.map((w) => w.message)).toEqual([
      "duration is ignored because numRequests is set",
    ]);
  });

  it("uses duration instead of the default numRequests when only duration is set", () => {
    const result = parse(
      "- task: gen-load-and-collect-metrics\n  with:\n    duration: 1m30s\n    warmup: 500ms\n    workers: 2\n    pacing: timer\n    method: PUT\n    versionInfo: [null, {url: 'https://example.test/x'}]\n",
    );
    expect(result.value.tasks[0]?.with).toEqual({
      ...defaults,
      durationMs: 90_000,
      warmupMs: 500,
      workers: 2,
      pacing: "timer",
      method: "PUT",
      versionInfo: [null, { url: "https://example.test/x" }],
    });
  });

  it("accepts the http and assess aliases in a v0.8 list (http with url)", () => {
    const result = parse(
      "- task: http\n  with:\n    url: http://127.0.0.1:8080/get\n- task: assess\n  with:\n    SLOs:\n    - metric: built-in/p95\n      upperLimit: 10\n",
    );
    expect(result.value.tasks).toEqual([
      {
        task: "gen-load-and-collect-metrics",
        with: {
          ...defaults,
          numRequests: 100,
          versionInfo: [{ url: "http://127.0.0.1:8080/get" }],
        },
      },
      {
        task: "assess-app-versions",
        with: { SLOs: [{ metric: "built-in/p95.0", upperLimit: 10 }] },
      },
    ]);
  });

  it("normalises run: and task: run to the same shape, with a timeout", () => {
    const result = parse(
      "- run: echo one\n  with: {timeout: 30s}\n- task: run\n  with: {script: echo two}\n",
    );
    expect(result.value.tasks).toEqual([
      { task: "run", with: { script: "echo one", timeoutMs: 30_000 } },
      { task: "run", with: { script: "echo two" } },
    ]);
  });

  it("coerces numeric and boolean header values to text", () => {
    const result = parse(
      "- task: gen-load-and-collect-metrics\n  with:\n    headers: {X-Count: 5, X-Flag: true}\n    versionInfo: [{url: 'http://127.0.0.1:8080/'}]\n",
    );
    expect(result.value.tasks[0]?.with).toMatchObject({
      headers: { "X-Count": "5", "X-Flag": "true" },
    });
  });
});
