import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseExperiment } from "../src/index.js";
import type { ParseOptions } from "../src/index.js";

const dir = join(import.meta.dirname, "fixtures");

function parse(file: string, options: ParseOptions = {}) {
  return parseExperiment(readFileSync(join(dir, file), "utf8"), { filename: file, ...options });
}

function valid(file: string, options: ParseOptions = {}) {
  const result = parse(file, options);
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return result;
}

function warningsOf(result: { warnings: Array<{ path: string; message: string }> }) {
  return result.warnings.map((w) => [w.path, w.message]);
}

function refusal(file: string) {
  const result = parse(file);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.issues.map((i) => [i.path, i.message]);
}

describe("Iter8 v0.8.0 experiments", () => {
  it("accepts payloadStr beside payloadURL, sending the URL's content as Iter8 did", () => {
    const result = valid("iter8-v0.8.0/payload-str-and-url.yaml");
    const load = result.value.tasks[0];
    expect(load?.task).toBe("gen-load-and-collect-metrics");
    expect(load?.with).toMatchObject({
      numRequests: 20,
      payloadURL: "http://127.0.0.1:8081/body.json",
    });
    expect(load?.with).not.toHaveProperty("payloadStr");
    expect(warningsOf(result)).toEqual([
      ["[0].with.payloadStr", "payloadStr is ignored because payloadURL is set (as Iter8 did)"],
    ]);
  });
});

describe("Iter8 v0.8.29–v0.8.34 experiments", () => {
  it("reads gen-load-and-collect-metrics-http and built-in/http-* metrics, saying so", () => {
    const result = valid("iter8-v0.8.29/http-task.yaml");
    expect(result.value.tasks.map((t) => t.task)).toEqual([
      "gen-load-and-collect-metrics",
      "assess-app-versions",
    ]);
    expect(result.value.tasks[0]?.with).toMatchObject({
      numRequests: 40,
      versionInfo: [{ url: "http://127.0.0.1:8080/get" }],
    });
    expect(result.value.tasks[1]?.with).toMatchObject({
      SLOs: [
        { metric: "built-in/error-rate", upperLimit: 0 },
        { metric: "built-in/mean-latency", upperLimit: 50 },
        { metric: "built-in/p99.0", upperLimit: 200 },
      ],
    });
    const old = "is an Iter8 v0.8.29–v0.8.34 metric name; read as";
    expect(warningsOf(result)).toEqual([
      [
        "[0].task",
        'the Iter8 v0.8.29–v0.10 task "gen-load-and-collect-metrics-http" is read as "http"',
      ],
      ["[1].with.SLOs[0].metric", `"built-in/http-error-rate" ${old} "built-in/error-rate"`],
      ["[1].with.SLOs[1].metric", `"built-in/http-latency-mean" ${old} "built-in/mean-latency"`],
      ["[1].with.SLOs[2].metric", `"built-in/http-latency-p99" ${old} "built-in/p99.0"`],
    ]);
  });

  it("reads v0.8.29's rps as qps", () => {
    const result = valid("iter8-v0.8.29/rps.yaml");
    expect(result.value.tasks[0]?.with).toMatchObject({ qps: 5, numRequests: 25 });
    expect(warningsOf(result)).toContainEqual([
      "[0].with.rps",
      "rps (Iter8 v0.8.29) is read as qps",
    ]);
  });

  it("reads gen-load-and-collect-metrics-grpc as the grpc task, and built-in/grpc-* metrics as grpc/*", () => {
    const result = valid("iter8-v0.8.29/grpc-task.yaml");
    expect(result.value.tasks.map((t) => t.task)).toEqual(["grpc", "assess-app-versions"]);
    expect(warningsOf(result)).toEqual([
      [
        "[1].with.SLOs[0].metric",
        '"built-in/grpc-error-rate" is an Iter8 v0.8.29–v0.8.34 metric name; read as "grpc/error-rate"',
      ],
    ]);
  });

  it("refuses a key Go silently ignored, naming the likely key and saying Iter8 ignored it", () => {
    expect(refusal("iter8-v0.8.29/typo-key.yaml")).toEqual([
      [
        "[0].with.connect-timeeout",
        'unknown key "connect-timeeout"; did you mean "timeout"? (Iter8 silently ignored it; --lenient ignores it with a warning)',
      ],
    ]);
  });

  it("with lenient, ignores that key with a warning, as Iter8 did", () => {
    const result = valid("iter8-v0.8.29/typo-key.yaml", { lenient: true });
    expect(result.value.tasks[0]?.with).not.toHaveProperty("connect-timeeout");
    expect(result.value.tasks[0]?.with).toMatchObject({ numRequests: 10 });
    expect(warningsOf(result)).toContainEqual([
      "[0].with.connect-timeeout",
      'unknown key "connect-timeeout" ignored (--lenient), as Iter8 ignored it; did you mean "timeout"?',
    ]);
  });

  it("lenient does not accept a task without task: or run: (Iter8 refused it too)", () => {
    const result = parseExperiment("- tsk: http\n  with: {url: http://127.0.0.1:8080/}\n", {
      lenient: true,
    });
    expect(result.ok).toBe(false);
  });
});

describe("Iter8 v0.9 experiments", () => {
  it("reads http/* metric names as built-in ones, per version", () => {
    const result = valid("iter8-v0.9/http-metrics.yaml");
    expect(result.value.tasks[0]?.with).toMatchObject({
      durationMs: 3000,
      qps: 4,
      versionInfo: [{ url: "http://127.0.0.1:8080/a" }, { url: "http://127.0.0.1:8080/b" }],
    });
    expect(result.value.tasks[1]?.with).toMatchObject({
      SLOs: [
        { metric: "built-in/error-count", upperLimit: 2 },
        { metric: "built-in/p95.0", upperLimit: 300 },
      ],
    });
    expect(warningsOf(result).map(([, m]) => m)).toEqual([
      'the Iter8 v0.8.29–v0.10 task "gen-load-and-collect-metrics-http" is read as "http"',
      '"http/error-count" is an Iter8 v0.9+ metric name; read as "built-in/error-count"',
      '"http/latency-p95.0" is an Iter8 v0.9+ metric name; read as "built-in/p95.0"',
    ]);
  });
});

describe("Iter8 v0.10 experiments", () => {
  it("reads url directly under with: as the one version", () => {
    const result = valid("iter8-v0.10/url-under-with.yaml");
    expect(result.value.tasks[0]?.with).toMatchObject({
      numRequests: 15,
      versionInfo: [{ url: "http://127.0.0.1:8080/get" }],
      headers: { "x-test": "v010" },
    });
  });

  it("reads collect-metrics-database as custommetrics with provider files and version values", () => {
    const result = valid("iter8-v0.10/database.yaml");
    expect(result.value.tasks[0]).toEqual({
      task: "custommetrics",
      with: {
        templates: { mydb: "mydb.metrics.yaml" },
        values: {},
        versionValues: [{ app: "reviews-v1" }, { app: "reviews-v2" }],
      },
    });
    expect(warningsOf(result)).toEqual([
      ["[0].task", 'the Iter8 v0.10 task "collect-metrics-database" is read as "custommetrics"'],
      [
        "[0].with.providers",
        "providers [mydb] read as templates {mydb: mydb.metrics.yaml} (files beside the experiment, as Iter8 v0.10 looked them up)",
      ],
      ["[0].with.versionInfo", "versionInfo read as versionValues (template values per version)"],
    ]);
  });
});

describe("Iter8 v0.11 experiments", () => {
  it("reads abnmetrics endpoint and application as url and app", () => {
    const result = valid("iter8-v0.11/abn.yaml");
    expect(result.value).toEqual({
      format: "v0.11",
      tasks: [
        { task: "abnmetrics", with: { url: "http://127.0.0.1:50051", app: "shop/frontend" } },
      ],
    });
    expect(warningsOf(result).map(([p]) => p)).toEqual([
      "spec[0].with.endpoint",
      "spec[0].with.application",
    ]);
  });

  it("matches keys in any case, as Go's JSON decoding did (With, Upper, LOWER)", () => {
    const result = valid("iter8-v0.11/key-case.yaml");
    expect(result.value.tasks[1]).toEqual({
      task: "assess-app-versions",
      with: {
        SLOs: [
          { metric: "prom/latency", upperLimit: 250 },
          { metric: "built-in/mean-latency", upperLimit: 100 },
          { metric: "prom/throughput", lowerLimit: 10 },
        ],
      },
    });
    expect(result.warnings.map((w) => [w.path, w.line, w.message])).toEqual([
      ["spec[1].With", 10, '"With" read as "with" (Iter8 matched keys in any case)'],
      ["spec[1].With.SLOs.Upper", 12, '"Upper" read as "upper" (Iter8 matched keys in any case)'],
      [
        "spec[1].With.SLOs.Upper[1].metric",
        15,
        '"http/latency-mean" is an Iter8 v0.9+ metric name; read as "built-in/mean-latency"',
      ],
      [
        "spec[1].With.SLOs.Upper[1].metric",
        15,
        "no gen-load-and-collect-metrics or proxymetrics task runs before this one, so built-in/mean-latency will have no value",
      ],
      ["spec[1].With.SLOs.LOWER", 17, '"LOWER" read as "lower" (Iter8 matched keys in any case)'],
    ]);
  });

  it("names every v0.11 task iter8 reads when a v0.11 task is unknown", () => {
    const result = parseExperiment("spec:\n- task: slack\n  with: {}\n");
    expect(result.ok ? [] : result.issues.map((i) => i.message)).toEqual([
      'the Iter8 v0.11 task "slack" is not supported; iter8 supports http, grpc, assess, custommetrics, abnmetrics and run',
    ]);
  });

  it("reads the grpc task", () => {
    expect(valid("iter8-v0.11/grpc.yaml").value.tasks.map((t) => t.task)).toEqual(["grpc"]);
  });
});

describe("Iter8 v0.13–v0.14 experiments", () => {
  it("reads assess rewards {max, min} as rewards with a preferred direction", () => {
    const result = valid("iter8-v0.13/rewards.yaml");
    expect(result.value.tasks[1]?.with).toMatchObject({
      rewards: [
        { metric: "built-in/request-count", preferredDirection: "high" },
        { metric: "built-in/mean-latency", preferredDirection: "low" },
      ],
    });
    expect(warningsOf(result)).toEqual([
      [
        "spec[1].with.rewards",
        "rewards {max: [...], min: [...]} (Iter8 v0.13+) read as [{metric, preferredDirection: high|low}]",
      ],
    ]);
  });

  it("ignores warmup: false and allowInitialErrors with warnings", () => {
    const result = valid("iter8-v0.13/http-flags.yaml");
    expect(result.value.tasks[0]?.with).toMatchObject({ numRequests: 12 });
    expect(result.value.tasks[0]?.with).not.toHaveProperty("warmupMs");
    expect(warningsOf(result)).toEqual([
      ["spec[0].with.warmup", "warmup: false (Iter8 v0.13+) is the default; ignored"],
      [
        "spec[0].with.allowInitialErrors",
        "allowInitialErrors (Iter8 v0.13+) is ignored: iter8 counts errors and does not abort the load on them",
      ],
    ]);
  });

  it.each([
    [
      "iter8-v0.13/warmup-task.yaml",
      "spec[0].with.warmup",
      'warmup: true (Iter8 v0.13+: run the load but discard its metrics) is not supported yet; use warmup: <duration>, e.g. "5s"',
    ],
    [
      "iter8-v0.13/endpoints.yaml",
      "spec[0].with.endpoints",
      "endpoints (Iter8 v0.13+, several endpoints in one load task) is not supported yet; write one load task per endpoint",
    ],
    [
      "iter8-v0.14/ready.yaml",
      "spec[0].task",
      'the Iter8 task "ready" (wait for a Kubernetes object) is not supported yet; remove it or wait in a run: task',
    ],
    [
      "iter8-v0.14/notify.yaml",
      "spec[1].task",
      'the Iter8 task "notify" (send an HTTP notification) is not supported yet; remove it or use a run: task with curl',
    ],
  ])("refuses %s as not supported yet", (file, path, message) => {
    expect(refusal(file)).toEqual([[path, message]]);
  });
});
