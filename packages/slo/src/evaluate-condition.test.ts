import { describe, expect, it } from "vitest";
import type { Condition, ExperimentResult } from "@iter8/spec";
import { evaluateCondition } from "./evaluate-condition.js";

function resultWith(SLOsSatisfiedBy?: boolean[]): ExperimentResult {
  return {
    startTime: "2021-12-01T00:00:00Z",
    numCompletedTasks: 2,
    failure: false,
    insights: {
      numVersions: SLOsSatisfiedBy?.length ?? 0,
      metricsInfo: {},
      metricValues: [],
      ...(SLOsSatisfiedBy ? { SLOsSatisfiedBy } : {}),
    },
  };
}

const SLOS: Condition = { kind: "slos" };
const by = (version: number): Condition => ({ kind: "slosBy", version });

describe("evaluateCondition", () => {
  it.each<[string, Condition, boolean[] | undefined, boolean]>([
    ["SLOs() when every version satisfies them", SLOS, [true, true], true],
    ["SLOs() when one version fails", SLOS, [true, false], false],
    ["SLOs() with no versions", SLOS, [], false],
    ["SLOs() before any assessment", SLOS, undefined, false],
    ["SLOsBy(1) when version 1 satisfies them", by(1), [false, true], true],
    ["SLOsBy(0) when version 0 fails", by(0), [false, true], false],
    ["SLOsBy(2) out of range", by(2), [true, true], false],
    ["SLOsBy(0) before any assessment", by(0), undefined, false],
    ["not SLOs() when one version fails", { kind: "not", operand: SLOS }, [true, false], true],
    ["not SLOs() when all satisfy", { kind: "not", operand: SLOS }, [true], false],
    [
      "SLOsBy(0) and SLOsBy(1), both hold",
      { kind: "and", left: by(0), right: by(1) },
      [true, true],
      true,
    ],
    [
      "SLOsBy(0) and SLOsBy(1), one fails",
      { kind: "and", left: by(0), right: by(1) },
      [true, false],
      false,
    ],
    [
      "SLOsBy(0) or SLOsBy(1), one holds",
      { kind: "or", left: by(0), right: by(1) },
      [false, true],
      true,
    ],
    [
      "SLOsBy(0) or SLOsBy(1), neither holds",
      { kind: "or", left: by(0), right: by(1) },
      [false, false],
      false,
    ],
    [
      "not (SLOsBy(0) or SLOsBy(1)) and not SLOs(), nested",
      {
        kind: "and",
        left: { kind: "not", operand: { kind: "or", left: by(0), right: by(1) } },
        right: { kind: "not", operand: SLOS },
      },
      [false, false],
      true,
    ],
  ])("%s is %s", (_name, condition, satisfiedBy, expected) => {
    expect(evaluateCondition(condition, resultWith(satisfiedBy))).toBe(expected);
  });

  it("is false for SLOs() when the result has no insights", () => {
    const { insights: _none, ...bare } = resultWith([true]);
    expect(evaluateCondition(SLOS, bare)).toBe(false);
  });
});
