import { describe, expect, it } from "vitest";
import { parseExperiment, parseRollout, SPEC_LIMITS } from "../src/index.js";

const URL_LINE = "    versionInfo:\n      - url: http://127.0.0.1:8080/get\n";

function loadTask(inputs: string): string {
  return `- task: gen-load-and-collect-metrics\n  with:\n${inputs}${URL_LINE}`;
}

function issuesOf(text: string): Array<{ path: string; message: string }> {
  const result = parseExperiment(text);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.issues.map(({ path, message }) => ({ path, message }));
}

describe("bounds on load inputs, with the bound in the message", () => {
  it.each([
    [
      "connections: 1e6",
      "[0].with.connections",
      "connections 1000000 is too many: at most 10000 per version",
    ],
    ["qps: 1e7", "[0].with.qps", "qps 10000000 is too high: at most 1000000 per version"],
    ["workers: 1000", "[0].with.workers", "workers 1000 is too many: at most 256 per version"],
    ["duration: 600h", "[0].with.duration", 'duration "600h" is too long: at most 168h (7 days)'],
    ["timeout: 169h", "[0].with.timeout", 'duration "169h" is too long: at most 168h (7 days)'],
  ])("refuses %s", (input, path, message) => {
    expect(issuesOf(loadTask(`    ${input}\n`))).toEqual([{ path, message }]);
  });

  it("accepts every input at its bound", () => {
    const text = loadTask(
      `    connections: ${SPEC_LIMITS.maxConnections}\n    qps: ${SPEC_LIMITS.maxQps}\n    workers: ${SPEC_LIMITS.maxWorkers}\n    duration: 168h\n`,
    );
    const result = parseExperiment(text);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  it("bounds the durations of run tasks and rollout files too", () => {
    expect(issuesOf("- run: echo hi\n  with:\n    timeout: 200h\n")).toEqual([
      { path: "[0].with.timeout", message: 'duration "200h" is too long: at most 168h (7 days)' },
    ]);
    const rollout = parseRollout("interval: 600h\n");
    expect(rollout.ok).toBe(false);
    if (rollout.ok) return;
    expect(rollout.issues.map((i) => i.message)).toContain(
      'duration "600h" is too long: at most 168h (7 days)',
    );
  });
});

describe("header values follow RFC 9110 field-value rules", () => {
  it.each([
    ["a NUL", '"a\\0b"', "found U+0000 (NUL) at character 2"],
    ["a line feed", '"a\\nb"', "found U+000A (line feed) at character 2"],
    ["a carriage return", '"a\\rb"', "found U+000D (carriage return) at character 2"],
    ["a character beyond Latin-1", '"price €5"', 'found U+20AC ("€") at character 7'],
    ["another control character", '"a\\x1bb"', "found U+001B (a control character) at character 2"],
  ])("refuses %s, naming the header's path", (_what, yamlValue, found) => {
    const text = loadTask(`    headers:\n      X-Test: ${yamlValue}\n`);
    expect(issuesOf(text)).toEqual([
      {
        path: "[0].with.headers.X-Test",
        message: `header values may hold only visible ASCII, Latin-1, spaces and tabs (RFC 9110); ${found}`,
      },
    ]);
  });

  it("refuses them in a version's headers too", () => {
    const text =
      '- task: gen-load-and-collect-metrics\n  with:\n    versionInfo:\n      - url: http://127.0.0.1:8080/get\n        headers:\n          X-Bad: "\\0"\n';
    expect(issuesOf(text)[0]?.path).toBe("[0].with.versionInfo[0].headers.X-Bad");
  });

  it("accepts visible ASCII, tabs, spaces and Latin-1", () => {
    const result = parseExperiment(loadTask('    headers:\n      X-Ok: "a b\\tc é ~"\n'));
    expect(result.ok ? [] : result.issues).toEqual([]);
  });
});
