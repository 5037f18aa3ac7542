import { describe, expect, it } from "vitest";
import { parseExperiment, planLoadRamp } from "../src/index.js";
import type { LoadInputs } from "../src/index.js";

/** The experiment text of one load task with `keys` added to its inputs. */
function withKeys(keys: string): string {
  return [
    "- task: gen-load-and-collect-metrics",
    "  with:",
    "    duration: 30s",
    ...keys
      .trim()
      .split("\n")
      .map((line) => `    ${line.trim()}`),
    "    versionInfo:",
    "    - url: http://127.0.0.1:8080/get",
  ].join("\n");
}

function loadInputs(keys: string): LoadInputs {
  const result = parseExperiment(withKeys(keys));
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  const task = result.value.tasks[0];
  if (task?.task !== "gen-load-and-collect-metrics") throw new Error("not a load task");
  return task.with;
}

function issues(keys: string): string[] {
  const result = parseExperiment(withKeys(keys));
  return result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("load ramps in gen-load-and-collect-metrics", () => {
  it("reads a step ramp into the load inputs' schedule (durations in ms)", () => {
    const inputs = loadInputs(`
      loadSchedule: step
      loadStart: 50
      loadStep: 10
      loadStepDuration: 5s
      loadEnd: 150
      loadMaxDuration: 1m`);
    expect(inputs.schedule).toEqual({
      kind: "step",
      start: 50,
      step: 10,
      stepDurationMs: 5000,
      end: 150,
      maxDurationMs: 60_000,
    });
  });

  it("reads a line ramp down, and const as no ramp", () => {
    expect(
      loadInputs("loadSchedule: line\nloadStart: 200\nloadStep: -2\nloadEnd: 100").schedule,
    ).toEqual({ kind: "line", start: 200, step: -2, end: 100 });
    expect(loadInputs("loadSchedule: const\nqps: 20").schedule).toBeUndefined();
  });

  it.each([
    [
      "loadStart: 10",
      "[0].with.loadStart: loadStart is for a ramp: set loadSchedule to step or line (it is const, the default)",
    ],
    [
      "loadSchedule: step\nloadStart: 10",
      "[0].with.loadSchedule: loadSchedule step needs loadStep and loadStepDuration, e.g. loadStart: 10, loadStep: 10, loadStepDuration: 5s",
    ],
    [
      "loadSchedule: line\nloadStart: 10\nloadStep: 5\nloadStepDuration: 1s",
      "[0].with.loadStepDuration: loadStepDuration is for loadSchedule step; a line ramp changes its rate continuously, loadStep per second",
    ],
    [
      "loadSchedule: line\nloadStart: 0\nloadStep: 5",
      "[0].with.loadStart: loadStart must be greater than 0 (requests per second)",
    ],
    ["loadSchedule: line\nloadStart: 10\nloadStep: 0", "[0].with.loadStep: loadStep must not be 0"],
    [
      "loadSchedule: line\nloadStart: 10\nloadStep: 5\nloadEnd: 10",
      "[0].with.loadEnd: loadEnd cannot equal loadStart (10)",
    ],
    [
      "loadSchedule: line\nloadStart: 100\nloadStep: 5\nloadEnd: 10",
      "[0].with.loadEnd: loadEnd 10 is below loadStart 100 but loadStep 5 goes up",
    ],
    [
      "loadSchedule: step\nloadStart: 100\nloadStep: -10\nloadStepDuration: 1s",
      "[0].with.loadStep: a ramp down (loadStep < 0) needs loadEnd or loadMaxDuration, or its rate would reach 0",
    ],
    [
      "loadSchedule: step\nloadStart: 100\nloadStep: -10\nloadStepDuration: 1s\nloadMaxDuration: 10s",
      "[0].with.loadMaxDuration: loadStep -10 from loadStart 100 reaches 0 requests/s within loadMaxDuration; set loadEnd or a shorter loadMaxDuration",
    ],
    [
      "loadSchedule: step\nloadStart: 10\nloadStep: 1\nloadStepDuration: 0s",
      "[0].with.loadStepDuration: loadStepDuration must be longer than 0",
    ],
    [
      "loadSchedule: ramp",
      '[0].with.loadSchedule: expected one of "const", "step", "line", got the text "ramp"',
    ],
  ])("rejects %j: %s", (keys, message) => {
    expect(issues(keys)).toEqual([message]);
  });

  it("suggests the camelCase key for ghz's kebab-case name", () => {
    const [issue] = issues("loadSchedule: line\nloadStart: 10\nloadStep: 5\nload-end: 50");
    expect(issue).toContain('did you mean "loadEnd"?');
  });
});

describe("planLoadRamp", () => {
  it.each([
    // ghz's step-up example: 50 → 150 in steps of 10 every 5 s; 150 from 50 s on.
    [{ kind: "step", start: 50, step: 10, stepDurationMs: 5000, end: 150 }, 50, 150],
    // Its step-down example: 200, -10 every 5 s, for 40 s; then the rate reached.
    [{ kind: "step", start: 200, step: -10, stepDurationMs: 5000, maxDurationMs: 40_000 }, 40, 120],
    // Whichever comes first: the max duration here.
    [
      { kind: "step", start: 50, step: 10, stepDurationMs: 5000, end: 150, maxDurationMs: 22_000 },
      20,
      90,
    ],
    // An end between two steps cuts the last one to the end rate.
    [{ kind: "step", start: 50, step: 30, stepDurationMs: 5000, end: 100 }, 10, 100],
    [{ kind: "line", start: 200, step: -2, end: 100 }, 50, 100],
    [{ kind: "line", start: 5, step: 5, maxDurationMs: 2500 }, 2.5, 17.5],
    // A ramp up with neither bound stops at the qps limit.
    [{ kind: "line", start: 1, step: 1000 }, 999.999, 1_000_000],
  ] as const)("%j ramps for %d s, then holds %d/s", (schedule, rampS, holdRate) => {
    expect(planLoadRamp(schedule)).toEqual({ rampS, holdRate });
  });
});
