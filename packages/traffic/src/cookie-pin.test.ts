import { describe, expect, it } from "vitest";
import { createSeededRandom } from "@iter8/test-utils";
import { choosePinnedVersion, formatPin, parsePin } from "./cookie-pin.js";

describe("cookie pins", () => {
  it("reads back what it writes", () => {
    const text = formatPin("v2", ["v1", "v2"], [90, 10]);
    expect(text).toBe("v2|v1=90|v2=10");
    expect(parsePin(text)).toEqual({
      version: "v2",
      weights: new Map([
        ["v1", 90],
        ["v2", 10],
      ]),
    });
  });

  it.each(["", "v1", "v1|x", "v1|v2=-1", "|v1=1"])("ignores the malformed pin %j", (text) => {
    expect(parsePin(text)).toBeUndefined();
  });

  it("keeps a pin issued under the current weights without reissuing it", () => {
    const pin = parsePin("v1|v1=90|v2=10");
    expect(choosePinnedVersion(pin, ["v1", "v2"], [90, 10])).toEqual({
      version: "v1",
      changed: false,
    });
  });

  it("re-pins baseline users so the split follows the new weights, never moving candidate users back", () => {
    const random = createSeededRandom(42);
    const outcomes = { stayed: 0, moved: 0 };
    for (let i = 0; i < 10_000; i++) {
      const choice = choosePinnedVersion(
        parsePin("v1|v1=90|v2=10"),
        ["v1", "v2"],
        [50, 50],
        random,
      );
      expect(choice.changed).toBe(true);
      if (choice.version === "v1") outcomes.stayed++;
      else outcomes.moved++;
      expect(
        choosePinnedVersion(parsePin("v2|v1=90|v2=10"), ["v1", "v2"], [50, 50], random).version,
      ).toBe("v2");
    }
    // 90% on v1 must become 50%: each stays with probability 50/90.
    expect(outcomes.stayed / 10_000).toBeCloseTo(50 / 90, 1);
  });

  it("re-draws a user whose version left the split", () => {
    const choice = choosePinnedVersion(
      parsePin("v3|v1=50|v3=50"),
      ["v1", "v2"],
      [50, 50],
      () => 0.9,
    );
    expect(choice).toEqual({ version: "v2", changed: true });
  });
});
