import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";
import { SpecError } from "./errors.js";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["1h", 3_600_000],
    ["1h0m5s", 3_605_000],
    ["1.5s", 1500],
    [".5s", 500],
    ["250us", 0.25],
    ["250µs", 0.25],
    ["1500ns", 0.0015],
    ["0", 0],
    ["2m", 120_000],
  ])("reads %s as %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ["10", 'invalid duration "10": missing a unit (ns, us, ms, s, m or h), e.g. "10s"'],
    [
      "1 minute",
      'invalid duration "1 minute": use Go syntax such as "500ms", "10s", "1m30s" or "1h"',
    ],
    ["10sec", 'invalid duration "10sec": use Go syntax such as "500ms", "10s", "1m30s" or "1h"'],
    ["-5s", 'invalid duration "-5s": durations cannot be negative or signed'],
    ["", 'a duration cannot be empty; use Go syntax such as "500ms", "10s", "1m30s" or "1h"'],
  ])("rejects %j with a message naming the fix", (text, message) => {
    expect(() => parseDuration(text)).toThrow(message);
    try {
      parseDuration(text);
    } catch (error) {
      expect(error).toBeInstanceOf(SpecError);
      expect((error as SpecError).code).toBe("ITER8_SPEC_INVALID");
    }
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [500, "500ms"],
    [1500, "1.5s"],
    [10_000, "10s"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [3_605_000, "1h0m5s"],
    [5_400_000, "1h30m"],
    [0.25, "250us"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 1, 999, 1000, 61_500, 3_599_999, 86_400_000, 0.5])(
    "round-trips %d ms through parseDuration",
    (ms) => {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    },
  );

  it("rejects negative and non-finite values", () => {
    expect(() => formatDuration(-1)).toThrow(SpecError);
    expect(() => formatDuration(Number.NaN)).toThrow(SpecError);
  });
});
