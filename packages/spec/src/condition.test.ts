import { describe, expect, it } from "vitest";
import { formatCondition, parseCondition } from "./condition.js";
import { SpecError } from "./errors.js";
import type { Condition } from "./model.js";

const slos: Condition = { kind: "slos" };
const by = (version: number): Condition => ({ kind: "slosBy", version });
const not = (operand: Condition): Condition => ({ kind: "not", operand });
const and = (left: Condition, right: Condition): Condition => ({ kind: "and", left, right });
const or = (left: Condition, right: Condition): Condition => ({ kind: "or", left, right });

describe("parseCondition", () => {
  it.each<[string, Condition]>([
    ["SLOs()", slos],
    ["SLOsBy(1)", by(1)],
    ["  SLOsBy( 12 ) ", by(12)],
    ["not SLOs()", not(slos)],
    ["!SLOs()", not(slos)],
    ["not not SLOs()", not(not(slos))],
    ["SLOs() and SLOsBy(0)", and(slos, by(0))],
    ["SLOs() && SLOsBy(0)", and(slos, by(0))],
    ["SLOs() or SLOsBy(0)", or(slos, by(0))],
    ["SLOs() || SLOsBy(0)", or(slos, by(0))],
  ])("parses %j", (text, expected) => {
    expect(parseCondition(text)).toEqual(expected);
  });

  it("binds not tighter than and, and tighter than or", () => {
    // not a and b or c  ==  ((not a) and b) or c
    expect(parseCondition("not SLOsBy(0) and SLOsBy(1) or SLOs()")).toEqual(
      or(and(not(by(0)), by(1)), slos),
    );
    // a or b and c  ==  a or (b and c)
    expect(parseCondition("SLOs() or SLOsBy(0) and SLOsBy(1)")).toEqual(
      or(slos, and(by(0), by(1))),
    );
    // the symbol forms follow the same precedence
    expect(parseCondition("!SLOsBy(0) && SLOsBy(1) || SLOs()")).toEqual(
      or(and(not(by(0)), by(1)), slos),
    );
  });

  it("associates and/or to the left", () => {
    expect(parseCondition("SLOsBy(0) and SLOsBy(1) and SLOsBy(2)")).toEqual(
      and(and(by(0), by(1)), by(2)),
    );
    expect(parseCondition("SLOsBy(0) or SLOsBy(1) or SLOsBy(2)")).toEqual(
      or(or(by(0), by(1)), by(2)),
    );
  });

  it("lets parentheses override precedence", () => {
    expect(parseCondition("not (SLOsBy(0) or SLOsBy(1))")).toEqual(not(or(by(0), by(1))));
    expect(parseCondition("(SLOs() or SLOsBy(0)) and SLOsBy(1)")).toEqual(
      and(or(slos, by(0)), by(1)),
    );
  });

  it.each([
    ["", "the condition is empty; expected SLOs(), SLOsBy(i), not or ( (column 1)"],
    [
      "SLOs() and",
      "the condition ends too early; expected SLOs(), SLOsBy(i), not or ( (column 11)",
    ],
    ["SLOs) ", 'expected "(" after SLOs, found ")" (column 5)'],
    ["SLOs(1)", 'expected ")", found "1" (SLOs() takes no arguments) (column 6)'],
    ["SLOsBy()", "SLOsBy needs a version index, e.g. SLOsBy(1) (column 8)"],
    [
      "SLOsBy(x)",
      'the version index of SLOsBy must be a whole number (0, 1, ...), found "x" (column 8)',
    ],
    [
      "SLOsBy(1.5)",
      'the version index of SLOsBy must be a whole number (0, 1, ...), found "1.5" (column 8)',
    ],
    [
      "(SLOs() or SLOsBy(1)",
      'expected ")" to close the "(" at column 1, found the end of the condition (column 21)',
    ],
    [
      "SLOs() SLOsBy(1)",
      'unexpected "SLOsBy"; expected "and", "or" or the end of the condition (column 8)',
    ],
    [
      "slos()",
      'unexpected "slos" (did you mean SLOs()?); expected SLOs(), SLOsBy(i), not or ( (column 1)',
    ],
    ["and SLOs()", 'unexpected "and"; expected SLOs(), SLOsBy(i), not or ( (column 1)'],
    [
      "SLOs() & SLOsBy(1)",
      'unexpected "&"; expected "and", "or" or the end of the condition (column 8)',
    ],
    ["true", 'unexpected "true"; expected SLOs(), SLOsBy(i), not or ( (column 1)'],
  ])("rejects %j naming the column", (text, detail) => {
    let caught: unknown;
    try {
      parseCondition(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecError);
    const error = caught as SpecError;
    expect(error.code).toBe("ITER8_SPEC_INVALID");
    expect(error.message).toBe(`invalid condition "${text}": ${detail}`);
    expect(error.issues[0]?.column).toBe(Number(/column (\d+)\)$/.exec(detail)?.[1]));
  });

  it("accepts 64 levels of parentheses and of not", () => {
    expect(parseCondition(`${"(".repeat(64)}SLOs()${")".repeat(64)}`)).toEqual(slos);
    let expected: Condition = slos;
    for (let i = 0; i < 63; i++) expected = not(expected);
    expect(parseCondition(`${"not ".repeat(63)}SLOs()`)).toEqual(expected);
  });

  it.each([
    ["65 levels of parentheses", `${"(".repeat(65)}SLOs()${")".repeat(65)}`],
    ["10k levels of parentheses", `${"(".repeat(10_000)}SLOs()${")".repeat(10_000)}`],
    ["10k nots", `${"! ".repeat(10_000)}SLOs()`],
    ["a chain of 10k ands", Array(10_000).fill("SLOs()").join(" and ")],
  ])("refuses %s with a clear one-line SpecError, not a RangeError", (_what, text) => {
    let caught: unknown;
    try {
      parseCondition(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SpecError);
    const error = caught as SpecError;
    expect(error.code).toBe("ITER8_SPEC_INVALID");
    expect(error.message).toContain("the condition nests deeper than 64 levels; simplify it");
    expect(error.message).not.toContain("\n");
    expect(error.message.length).toBeLessThan(300);
  });

  it("never evaluates its input as code", () => {
    expect(() => parseCondition("process.exit(1)")).toThrow(SpecError);
    expect(() => parseCondition("SLOs() || (() => true)()")).toThrow(SpecError);
  });
});

describe("formatCondition", () => {
  it.each<[Condition, string]>([
    [slos, "SLOs()"],
    [not(by(1)), "not SLOsBy(1)"],
    [and(slos, not(by(1))), "SLOs() and not SLOsBy(1)"],
    [or(and(by(0), by(1)), slos), "SLOsBy(0) and SLOsBy(1) or SLOs()"],
    [and(or(by(0), by(1)), slos), "(SLOsBy(0) or SLOsBy(1)) and SLOs()"],
    [and(by(0), and(by(1), by(2))), "SLOsBy(0) and (SLOsBy(1) and SLOsBy(2))"],
    [not(or(slos, by(0))), "not (SLOs() or SLOsBy(0))"],
  ])("formats %j as %s and reads it back", (condition, text) => {
    expect(formatCondition(condition)).toBe(text);
    expect(parseCondition(text)).toEqual(condition);
  });
});
