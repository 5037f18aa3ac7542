import { describe, expect, it } from "vitest";
import { closestMatch, editDistance } from "./suggest.js";

describe("suggestions", () => {
  it("measures edit distance", () => {
    expect(editDistance("upperLimt", "upperLimit")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  it("suggests a close key, ignoring case, and nothing for unrelated words", () => {
    const keys = ["numRequests", "duration", "qps", "connections", "versionInfo"];
    expect(closestMatch("numRequest", keys)).toBe("numRequests");
    expect(closestMatch("versioninfo", keys)).toBe("versionInfo");
    expect(closestMatch("conections", keys)).toBe("connections");
    expect(closestMatch("banana", keys)).toBeUndefined();
  });
});
