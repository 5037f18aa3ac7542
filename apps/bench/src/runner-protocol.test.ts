import { describe, expect, it } from "vitest";
import { pickRssAt } from "./runner-protocol.js";

describe("pickRssAt", () => {
  const samples = [
    { atMs: 1003, rssBytes: 1 },
    { atMs: 2001, rssBytes: 2 },
    { atMs: 10_004, rssBytes: 10 },
    { atMs: 11_002, rssBytes: 11 },
  ];

  it("takes the first sample at or after the time", () => {
    expect(pickRssAt(samples, 10_000)?.rssBytes).toBe(10);
    expect(pickRssAt(samples, 2001)?.rssBytes).toBe(2);
  });

  it("falls back to the last sample when the run ended earlier", () => {
    expect(pickRssAt(samples, 60_000)?.rssBytes).toBe(11);
  });

  it("is undefined without samples", () => {
    expect(pickRssAt([], 1000)).toBeUndefined();
  });
});
