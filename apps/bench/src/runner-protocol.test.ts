import { describe, expect, it } from "vitest";
import { parseGrpcRunnerSpec, pickRssAt } from "./runner-protocol.js";

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

describe("parseGrpcRunnerSpec", () => {
  const good = {
    host: "127.0.0.1:1",
    proto: "p.proto",
    call: "a.B/C",
    data: {},
    connections: 2,
    concurrency: 4,
    qps: 0,
    durationMs: 1000,
    warmupMs: 0,
    rssSampleEveryMs: 0,
  };

  it("reads a valid spec", () => {
    expect(parseGrpcRunnerSpec(JSON.stringify(good), "r")).toEqual(good);
  });

  it.each([
    ["host", { host: 1 }],
    ["connections", { connections: 0 }],
    ["concurrency", { concurrency: 1 }],
    ["durationMs", { durationMs: 0 }],
  ])("names %s when it is wrong", (key, change) => {
    expect(() => parseGrpcRunnerSpec(JSON.stringify({ ...good, ...change }), "r")).toThrow(
      `r: invalid spec at "${key}"`,
    );
  });
});
