import { describe, expect, it } from "vitest";
import {
  BenchParseError,
  parseAutocannonOutput,
  parseH2loadOutput,
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

describe("parseH2loadOutput", () => {
  const stdout = `starting benchmark...
spawning thread #0: 10 total client(s). Timing-based test with 0s of warm-up time and 2s of main duration for measurements.
Application protocol: h2c

finished in 2.03s, 7144.50 req/s, 1.22MB/s
requests: 14289 total, 14339 started, 14289 done, 14280 succeeded, 9 failed, 2 errored, 0 timeout
status codes: 14280 2xx, 0 3xx, 7 4xx, 0 5xx
traffic: 2.44MB (2558208) total, 1.49MB (1557501) headers (space savings 40.11%), 251.17KB (257202) data
                     min         max         mean         sd        +/- sd
time for request:      243us     46.16ms      6.59ms      4.05ms    72.86%
time for connect:      473us       693us       595us        68us    60.00%
`;

  it("reads finished calls, failures, the duration and the max request time", () => {
    const r = parseH2loadOutput(stdout);
    expect(r.requests).toBe(14289);
    expect(r.errors).toBe(9);
    expect(r.durationS).toBeCloseTo(2.03, 6);
    expect(r.rate).toBeCloseTo(14289 / 2.03, 3);
    expect(r.latencyMs.max).toBeCloseTo(46.16, 6);
    // h2load prints no percentiles.
    expect(r.latencyMs.p50).toBeNaN();
    expect(r.latencyMs.p99).toBeNaN();
  });

  it.each([
    ["873.12ms", 0.87312],
    ["10.00s", 10],
    ["950us", 0.00095],
  ])("reads a duration of %s", (text, seconds) => {
    const r = parseH2loadOutput(stdout.replace("finished in 2.03s", `finished in ${text}`));
    expect(r.durationS).toBeCloseTo(seconds, 9);
  });

  it("fails a run in which nothing succeeded (h2load exits 0 when it cannot connect)", () => {
    const refused = stdout.replace(
      /^requests: .*$/m,
      "requests: 10 total, 0 started, 0 done, 0 succeeded, 10 failed, 10 errored, 0 timeout",
    );
    expect(() => parseH2loadOutput(refused)).toThrow(
      /no request succeeded \(10 failed, 10 errored\)/,
    );
  });

  it("fails clearly without its summary", () => {
    expect(() => parseH2loadOutput("starting benchmark...\n")).toThrow(BenchParseError);
  });
});
