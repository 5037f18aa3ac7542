import { describe, expect, it } from "vitest";
import {
  BenchParseError,
  parseAutocannonOutput,
  parseTimeOutput,
  parseWrkOutput,
} from "./parse.js";

describe("parseWrkOutput", () => {
  const stdout = `Running 3s test @ http://127.0.0.1:18080/
  1 threads and 10 connections
Requests/sec:  45230.89
{"requests":135955,"durationUs":3005800,"errors":2,"p50":124,"p75":300,"p99":8296,"max":20835}
`;

  it("reads the JSON line from the done hook, latency in µs → ms", () => {
    const r = parseWrkOutput(stdout);
    expect(r.requests).toBe(135955);
    expect(r.errors).toBe(2);
    expect(r.durationS).toBeCloseTo(3.0058, 6);
    expect(r.rate).toBeCloseTo(135955 / 3.0058, 3);
    expect(r.latencyMs).toEqual({ p50: 0.124, p75: 0.3, p99: 8.296, max: 20.835 });
  });

  it("fails clearly without a JSON line", () => {
    expect(() => parseWrkOutput("Requests/sec: 1\n")).toThrow(BenchParseError);
  });
});

describe("parseAutocannonOutput", () => {
  const json = JSON.stringify({
    duration: 3.03,
    errors: 1,
    non2xx: 4,
    latency: { p50: 0, p75: 1, p99: 5, max: 21 },
    requests: { total: 111942, average: 37314 },
  });

  it("uses total / duration as the rate and counts non-2xx as errors", () => {
    const r = parseAutocannonOutput(`${json}\n`);
    expect(r.requests).toBe(111942);
    expect(r.rate).toBeCloseTo(111942 / 3.03, 6);
    expect(r.errors).toBe(5);
    expect(r.latencyMs).toEqual({ p50: 0, p75: 1, p99: 5, max: 21 });
  });

  it("names the missing field", () => {
    expect(() =>
      parseAutocannonOutput(`{"duration":1,"errors":0,"non2xx":0,"latency":{},"requests":{}}`),
    ).toThrow(/"total"/);
  });
});

describe("parseTimeOutput", () => {
  it("reads peak RSS (KiB), user, system and elapsed seconds", () => {
    expect(parseTimeOutput("77700 1.80 1.53 3.53\n")).toEqual({
      maxRssKb: 77700,
      userS: 1.8,
      systemS: 1.53,
      elapsedS: 3.53,
    });
  });

  it("takes the last line when GNU time reports a non-zero exit first", () => {
    expect(
      parseTimeOutput("Command exited with non-zero status 1\n5424 0.39 1.43 3.02\n").maxRssKb,
    ).toBe(5424);
  });

  it("rejects anything else", () => {
    expect(() => parseTimeOutput("")).toThrow(BenchParseError);
    expect(() => parseTimeOutput("1 2 3\n")).toThrow(BenchParseError);
  });
});
