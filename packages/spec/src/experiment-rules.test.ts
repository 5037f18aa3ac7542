import { load } from "js-yaml";
import { describe, expect, it } from "vitest";
import type { DocumentRule, RuleFinding } from "./document.js";
import {
  EXPERIMENT_RULES,
  percentileIsCollected,
  sloConditionFollowsAssess,
  sloNamesAProducedMetric,
  grpcSloFollowsGrpcTask,
  versionIndexInRange,
} from "./experiment-rules.js";
import type { ExperimentRuleContext } from "./experiment-rules.js";
import type { Task } from "./model.js";
import type { PathSegment } from "./path.js";
import { runTaskSchema, TASK_SCHEMAS } from "./schema/index.js";
import type { KnownTaskName } from "./schema/index.js";

// A rule's input: tasks that their schemas accept, as parseExperiment hands them to the rules.
function contextOf(lines: string[], base: PathSegment[] = []): ExperimentRuleContext {
  const items = load(lines.join("\n")) as Array<Record<string, unknown>>;
  const tasks = items.map((item) => {
    const schema = "run" in item ? runTaskSchema : TASK_SCHEMAS[item.task as KnownTaskName];
    const task: Task = schema.parse(item);
    return task;
  });
  return { tasks, items, base };
}

const load2 =
  "- {task: gen-load-and-collect-metrics, with: {versionInfo: [{url: 'http://127.0.0.1:1/'}, {url: 'http://127.0.0.1:2/'}]}}";
const load1 =
  "- {task: gen-load-and-collect-metrics, with: {versionInfo: [{url: 'http://127.0.0.1:1/'}]}}";
const load1p50 =
  "- {task: gen-load-and-collect-metrics, with: {percentiles: [50], versionInfo: [{url: 'http://127.0.0.1:1/'}]}}";
const proxy = "- {task: proxymetrics, with: {admin: 'http://127.0.0.1:9901'}}";
const proxy3 =
  "- {task: proxymetrics, with: {admin: 'http://127.0.0.1:9901', versions: [a, b, c]}}";
const assess = (metric: string) =>
  `- {task: assess-app-versions, with: {SLOs: [{metric: ${metric}, upperLimit: 1}]}}`;
const runIf = (condition: string) => `- {run: 'echo hi', if: '${condition}'}`;

type Case = [name: string, lines: string[], expected: RuleFinding[]];

function check(rule: DocumentRule<ExperimentRuleContext>, lines: string[], base?: PathSegment[]) {
  return rule(contextOf(lines, base));
}

describe("versionIndexInRange", () => {
  it.each<Case>([
    ["an index below the number of versions", [load2, runIf("SLOsBy(1)")], []],
    [
      "SLOsBy past the last version",
      [load2, runIf("SLOsBy(2)")],
      [
        {
          severity: "issue",
          path: [1, "if"],
          message:
            "SLOsBy(2) refers to version 2, but the experiment has 2 versions (indexes 0 to 1)",
        },
      ],
    ],
    [
      "Winner(i) inside not, with one version",
      [load1, runIf("not Winner(1)")],
      [
        {
          severity: "issue",
          path: [1, "if"],
          message: "Winner(1) refers to version 1, but the experiment has 1 version (index 0)",
        },
      ],
    ],
    ["proxymetrics' listed versions count", [proxy3, runIf("SLOsBy(2)")], []],
    [
      "versions unknown before the run (proxymetrics without versions)",
      [proxy, runIf("SLOsBy(5)")],
      [],
    ],
    ["versions unknown before the run (no load task)", [runIf("SLOsBy(3)")], []],
  ])("%s", (_name, lines, expected) => {
    expect(check(versionIndexInRange, lines)).toEqual(expected);
  });
});

describe("sloConditionFollowsAssess", () => {
  it.each<Case>([
    [
      "SLOs() before any assess task",
      [runIf("SLOs()"), assess("built-in/error-rate")],
      [
        {
          severity: "warning",
          path: [0, "if"],
          message:
            "no assess-app-versions task runs before this one, so its SLO conditions have no SLOs to check",
        },
      ],
    ],
    [
      "SLOsBy(i) nested in and and not, no assess task",
      [load2, runIf("Winner() and not SLOsBy(1)")],
      [
        {
          severity: "warning",
          path: [1, "if"],
          message:
            "no assess-app-versions task runs before this one, so its SLO conditions have no SLOs to check",
        },
      ],
    ],
    ["SLOs() after an assess task", [load1, assess("built-in/error-rate"), runIf("SLOs()")], []],
    ["a condition that checks no SLO", [runIf("Winner()")], []],
  ])("%s", (_name, lines, expected) => {
    expect(check(sloConditionFollowsAssess, lines)).toEqual(expected);
  });
});

describe("sloNamesAProducedMetric", () => {
  it.each<Case>([
    [
      "a built-in metric with no load task before",
      [assess("built-in/error-rate"), load1],
      [
        {
          severity: "warning",
          path: [0, "with", "SLOs", 0, "metric"],
          message:
            "no gen-load-and-collect-metrics or proxymetrics task runs before this one, so built-in/error-rate will have no value",
        },
      ],
    ],
    ["a built-in metric after a load task", [load1, assess("built-in/error-rate")], []],
    ["a built-in metric after proxymetrics", [proxy, assess("built-in/mean-latency")], []],
    ["a backend metric needs no load task", [assess("prom/latency")], []],
  ])("%s", (_name, lines, expected) => {
    expect(check(sloNamesAProducedMetric, lines)).toEqual(expected);
  });

  it("points into an Iter8 v0.11 spec: list", () => {
    expect(check(sloNamesAProducedMetric, [assess("built-in/error-rate")], ["spec"])).toEqual([
      expect.objectContaining({ path: ["spec", 0, "with", "SLOs", 0, "metric"] }),
    ]);
  });
});

describe("percentileIsCollected", () => {
  it.each<Case>([
    [
      "a percentile the load task does not collect",
      [load1p50, assess("built-in/p95.0")],
      [
        {
          severity: "issue",
          path: [1, "with", "SLOs", 0, "metric"],
          message: "built-in/p95.0 is not collected: add 95 to the percentiles of task [0]",
        },
      ],
    ],
    ["a default percentile", [load1, assess("built-in/p95.0")], []],
    ["a percentile the proxy collects by default", [proxy, assess("built-in/p99.0")], []],
    ["no load task before (sloNamesAProducedMetric warns instead)", [assess("built-in/p95.0")], []],
    ["not a percentile", [load1p50, assess("built-in/error-rate")], []],
  ])("%s", (_name, lines, expected) => {
    expect(check(percentileIsCollected, lines)).toEqual(expected);
  });
});

describe("EXPERIMENT_RULES", () => {
  it("lists every experiment rule once", () => {
    expect(EXPERIMENT_RULES).toEqual([
      versionIndexInRange,
      sloConditionFollowsAssess,
      sloNamesAProducedMetric,
      grpcSloFollowsGrpcTask,
      percentileIsCollected,
    ]);
  });
});
