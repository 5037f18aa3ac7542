import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseExperiment } from "../src/index.js";

const dir = join(import.meta.dirname, "fixtures", "invalid");

/** What iter8 adds to every unknown-key message: Iter8 (Go) ignored such keys. */
const IGNORED = " (Iter8 silently ignored it; --lenient ignores it with a warning)";
// [fixture, path, line, column, message]: each fixture has exactly one problem.
const cases: Array<[string, string, number | undefined, number | undefined, string]> = [
  [
    "condition-incomplete.yaml",
    "[2].if",
    10,
    3,
    'invalid condition "SLOs() and": the condition ends too early; expected SLOs(), SLOsBy(i), not or ( (column 11)',
  ],
  [
    "condition-unknown-function.yaml",
    "[2].if",
    10,
    3,
    'invalid condition "not SLO()": unexpected "SLO" (did you mean SLOs()?); expected SLOs(), SLOsBy(i), not or ( (column 5)',
  ],
  [
    "duplicate-key.yaml",
    "[0].with.qps",
    6,
    5,
    'duplicate key "qps"; a key may appear only once in a mapping',
  ],
  [
    "duration-not-go-syntax.yaml",
    "[0].with.duration",
    3,
    5,
    'invalid duration "1 minute": use Go syntax such as "500ms", "10s", "1m30s" or "1h"',
  ],
  [
    "duration-without-unit.yaml",
    "[0].with.duration",
    3,
    5,
    'invalid duration 10: missing a unit (ns, us, ms, s, m or h), e.g. "10s"',
  ],
  [
    "empty-list.yaml",
    "",
    1,
    1,
    'the experiment has no tasks; list at least one, e.g. "- task: gen-load-and-collect-metrics"',
  ],
  ["empty-run-script.yaml", "[0].run", 1, 3, "the script is empty"],
  [
    "empty-slos.yaml",
    "[1].with.SLOs",
    7,
    5,
    "SLOs must list at least one SLO, e.g. - metric: built-in/error-rate",
  ],
  [
    "empty.yaml",
    "",
    undefined,
    undefined,
    'the experiment is empty; it is a list of tasks, e.g. "- task: gen-load-and-collect-metrics"',
  ],
  [
    "error-range-upper-below-lower.yaml",
    "[0].with.errorRanges[0].upper",
    5,
    7,
    "upper (400) is below lower (500)",
  ],
  [
    "error-range-without-bound.yaml",
    "[0].with.errorRanges[1]",
    5,
    7,
    "an error range needs a lower bound, an upper bound or both, e.g. {lower: 400}",
  ],
  [
    "fractional-num-requests.yaml",
    "[0].with.numRequests",
    3,
    5,
    "expected a whole number, got 2.5",
  ],
  [
    "header-value-list.yaml",
    "[0].with.headers.X-Tenant",
    4,
    7,
    "header values must be text, got a list",
  ],
  [
    "metric-without-backend.yaml",
    "[1].with.SLOs[0].metric",
    8,
    7,
    'metric "error-rate" names no backend; write "<backend>/<metric>"; did you mean "built-in/error-rate"?',
  ],
  [
    "negative-qps.yaml",
    "[0].with.qps",
    3,
    5,
    "qps cannot be negative; use 0 to send as fast as the connections allow",
  ],
  ["neither-task-nor-run.yaml", "[0]", 1, 3, 'a task needs "task: <name>" or "run: <script>"'],
  [
    "num-queries-and-num-requests.yaml",
    "[0].with.numQueries",
    4,
    5,
    "numQueries is the old name of numRequests; set only numRequests",
  ],
  [
    "payload-url-not-http.yaml",
    "[0].with.payloadURL",
    3,
    5,
    'invalid URL "file:///etc/passwd": expected an absolute http:// or https:// URL, e.g. "http://127.0.0.1:8080/get"',
  ],
  [
    "percentile-above-100.yaml",
    "[0].with.percentiles[2]",
    3,
    27,
    "percentiles must be greater than 0 and at most 100, got 150",
  ],
  [
    "percentile-not-collected.yaml",
    "[1].with.SLOs[0].metric",
    8,
    7,
    "built-in/p97.5 is not collected: add 97.5 to the percentiles of task [0]",
  ],
  [
    "percentile-zero.yaml",
    "[0].with.percentiles[0]",
    4,
    7,
    "percentiles must be greater than 0 and at most 100, got 0",
  ],
  [
    "proxymetrics-slosby-out-of-range.yaml",
    "[2].if",
    10,
    3,
    "SLOsBy(2) refers to version 2, but the experiment has 2 versions (indexes 0 to 1)",
  ],
  [
    "scalar-document.yaml",
    "",
    1,
    1,
    'expected a list of tasks (or an Iter8 v0.11 file with spec:), got the text "gen-load-and-collect-metrics"',
  ],
  [
    "several-documents.yaml",
    "",
    5,
    1,
    "the file holds several YAML documents (---); an experiment is one document",
  ],
  [
    "slo-limit-not-a-number.yaml",
    "[1].with.SLOs[0].upperLimit",
    9,
    7,
    'expected a number, got the text "fast"',
  ],
  [
    "slo-lower-above-upper.yaml",
    "[1].with.SLOs[0].lowerLimit",
    10,
    7,
    "lowerLimit (50) is above upperLimit (10); no value can satisfy it",
  ],
  [
    "slo-without-limit.yaml",
    "[1].with.SLOs[0]",
    8,
    7,
    "the SLO for built-in/error-rate has no limit; set upperLimit, lowerLimit or both",
  ],
  [
    "slosby-out-of-range.yaml",
    "[2].if",
    10,
    3,
    "SLOsBy(1) refers to version 1, but the experiment has 1 version (index 0)",
  ],
  [
    "task-and-run.yaml",
    "[0].run",
    2,
    3,
    'a task has either "task:" (a task name) or "run:" (a shell script), not both',
  ],
  [
    "task-not-in-a-list.yaml",
    "",
    1,
    1,
    'an experiment is a list of tasks; start each task with "- ", e.g. "- task: ..."',
  ],
  [
    "two-payloads.yaml",
    "[0].with.payloadFile",
    4,
    5,
    "set only one of payloadStr, payloadURL and payloadFile (found payloadStr and payloadFile)",
  ],
  [
    "unknown-built-in-metric.yaml",
    "[1].with.SLOs[0].metric",
    8,
    7,
    'unknown built-in metric "built-in/error-rates"; did you mean "built-in/error-rate"?',
  ],
  [
    "unknown-key-typo.yaml",
    "[1].with.SLOs[0].upperLimt",
    9,
    7,
    `unknown key "upperLimt"; did you mean "upperLimit"?${IGNORED}`,
  ],
  [
    "unknown-pacing.yaml",
    "[0].with.pacing",
    4,
    5,
    'expected one of "precise", "timer", got the text "timers"; did you mean "timer"?',
  ],
  [
    "unknown-method.yaml",
    "[0].with.method",
    3,
    5,
    'expected one of "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", got the text "POTS"; did you mean "POST"?',
  ],
  [
    "unknown-task.yaml",
    "[0].task",
    1,
    3,
    'unknown task "gen-load-and-collect-metric"; did you mean "gen-load-and-collect-metrics"?',
  ],
  [
    "unknown-top-level-key.yaml",
    "[0].width",
    2,
    3,
    `unknown key "width"; did you mean "with"?${IGNORED}`,
  ],
  [
    "url-on-load-task.yaml",
    "[0].with.url",
    3,
    5,
    `unknown key "url"; gen-load-and-collect-metrics takes versionInfo: [{url: ...}], one entry per version${IGNORED}`,
  ],
  [
    "url-without-scheme.yaml",
    "[0].with.versionInfo[0].url",
    4,
    7,
    'invalid URL "127.0.0.1:8080/get": expected an absolute http:// or https:// URL, e.g. "http://127.0.0.1:8080/get"',
  ],
  [
    "v011-http-without-url.yaml",
    "spec[0].with",
    3,
    3,
    "missing url: give url (one version) or versionInfo (one entry per version)",
  ],
  [
    "v011-limit-missing.yaml",
    "spec[1].with.SLOs.upper[0].limit",
    9,
    9,
    'missing required key "limit"',
  ],
  [
    "v011-unsupported-task.yaml",
    "spec[0].task",
    2,
    3,
    'the Iter8 task "notify" (send an HTTP notification) is not supported yet; remove it or use a run: task with curl',
  ],
  [
    "version-entry-not-a-mapping.yaml",
    "[0].with.versionInfo[0]",
    4,
    7,
    'expected a mapping (key: value), got the text "http://127.0.0.1:8080/get"',
  ],
  [
    "version-info-all-null.yaml",
    "[0].with.versionInfo",
    3,
    5,
    "every versionInfo entry is null; at least one version needs a url",
  ],
  ["version-info-missing.yaml", "[0].with.versionInfo", 2, 3, 'missing required key "versionInfo"'],
  ["yaml-syntax-error.yaml", "", 5, 4, "invalid YAML: bad indentation of a mapping entry"],
  ["zero-connections.yaml", "[0].with.connections", 3, 5, "must be at least 1, got 0"],
  ["zero-duration.yaml", "[0].with.duration", 3, 5, "duration must be longer than 0"],
  ["zero-timeout.yaml", "[0].with.timeout", 3, 5, "timeout must be longer than 0"],
];

describe("parseExperiment on invalid experiments", () => {
  it("has a case for every fixture in test/fixtures/invalid (and at least 25)", () => {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort();
    expect(cases.map(([file]) => file).sort()).toEqual(files);
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  it.each(cases)("%s → [%s] at %s:%s", (file, path, line, column, message) => {
    const result = parseExperiment(readFileSync(join(dir, file), "utf8"), { filename: file });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      {
        path,
        message,
        file,
        ...(line === undefined ? {} : { line }),
        ...(column === undefined ? {} : { column }),
      },
    ]);
  });
});
