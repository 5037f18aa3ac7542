import { describe, expect, it } from "vitest";
import { LoadgenError } from "./errors.js";
import { pacedWarmupRequests, resolveLoadOptions } from "./options.js";
import type { LoadOptions } from "./types.js";

const base: LoadOptions = { url: "http://127.0.0.1:8080/x", qps: 8, connections: 4 };

describe("resolveLoadOptions", () => {
  it("applies Iter8's defaults: 100 requests, errors from 400, GET, 3 s timeout", () => {
    const o = resolveLoadOptions(base);
    expect(o).toMatchObject({
      numRequests: 100,
      durationMs: Number.POSITIVE_INFINITY,
      method: "GET",
      timeoutMs: 3000,
      errorRanges: [{ lower: 400 }],
      workers: 1,
      pipelining: 1,
      pacing: "precise",
    });
    expect(o.contentType).toBeUndefined();
  });

  it.each([
    // 5% of 100 requests (5) is less than 1 s at 8 qps (8).
    [{ numRequests: 100, qps: 8 }, 5],
    // 1 s at 100 qps (100) is less than 5% of 10 000 requests (500).
    [{ numRequests: 10_000, qps: 100 }, 100],
    // Duration runs: 5% of 30 s is more than 1 s, so 1 s at 50 qps.
    [{ durationMs: 30_000, qps: 50 }, 50],
    // 5% of 2 s is 100 ms: 10 requests at 100 qps.
    [{ durationMs: 2_000, qps: 100 }, 10],
    [{ numRequests: 100, qps: 8, warmupMs: 0 }, 0],
    // 5% of 19 requests is less than one request: no warm-up.
    [{ numRequests: 19, qps: 8 }, 0],
    [{ numRequests: 100, qps: 10, warmupMs: 500 }, 5],
    [{ numRequests: 100, qps: 10, warmupRequests: 7 }, 7],
    // A ramp warms up at its start rate: 1 s at 20/s, not at qps.
    [
      {
        durationMs: 60_000,
        qps: 500,
        schedule: { kind: "step", start: 20, step: 10, stepDurationMs: 1000 },
      } as const,
      20,
    ],
  ])(
    "defaults the warm-up to 1 s or 5 percent of the run, whichever is smaller: %j",
    (o, expected) => {
      expect(pacedWarmupRequests(resolveLoadOptions({ ...base, ...o }))).toBe(expected);
    },
  );

  it("uses POST and application/octet-stream when a body is given, unless told otherwise", () => {
    expect(resolveLoadOptions({ ...base, body: "x" })).toMatchObject({
      method: "POST",
      contentType: "application/octet-stream",
    });
    expect(
      resolveLoadOptions({ ...base, body: "x", method: "put", contentType: "text/plain" }),
    ).toMatchObject({ method: "PUT", contentType: "text/plain" });
    expect(
      resolveLoadOptions({ ...base, body: "x", headers: { "Content-Type": "a/b" } }).contentType,
    ).toBeUndefined();
  });

  it("paces a ramp even with qps 0, and reads a const schedule as qps", () => {
    const ramp = { kind: "line", start: 10, step: 5, end: 50 } as const;
    expect(resolveLoadOptions({ ...base, qps: 0, schedule: ramp })).toMatchObject({
      paced: true,
      schedule: ramp,
    });
    const constant = resolveLoadOptions({ ...base, qps: 0, schedule: { kind: "const" } });
    expect(constant).toMatchObject({ paced: false, schedule: undefined });
  });

  it("never runs more workers than connections", () => {
    expect(resolveLoadOptions({ ...base, connections: 2, workers: 8 }).workers).toBe(2);
  });

  it.each([
    [{ url: "not a url" }, "url"],
    [{ url: "ftp://h/" }, "http"],
    [{ qps: -1 }, "qps"],
    [{ qps: Number.POSITIVE_INFINITY }, "qps"],
    [{ connections: 0 }, "connections"],
    [{ connections: 1.5 }, "connections"],
    [{ numRequests: 0 }, "numRequests"],
    [{ durationMs: 0 }, "durationMs"],
    [{ timeoutMs: -5 }, "timeoutMs"],
    [{ workers: 0 }, "workers"],
    [{ pipelining: 0 }, "pipelining"],
    [{ pacing: "fast" as LoadOptions["pacing"] }, "pacing"],
    [{ method: "GE T" }, "method"],
    [{ headers: { "bad name": "x" } }, "header"],
    [{ headers: { ok: "a\r\nb" } }, "header"],
    [{ headers: { ok: "a\0b" } }, "header ok: header values may hold only visible ASCII"],
    [{ headers: { ok: "€" } }, "found U+20AC"],
    [{ connections: 1e6 }, "connections must be at most 10000, got 1000000"],
    [{ qps: 1e7 }, "qps must be at most 1000000, got 10000000"],
    [{ workers: 1000 }, "workers must be at most 256"],
    [{ pipelining: 1000 }, "pipelining must be at most 256"],
    [
      { durationMs: 600 * 3_600_000 },
      "durationMs must be at most 604800000 ms, 168h (7 days), got 2160000000",
    ],
    [{ timeoutMs: 2 ** 31 }, "timeoutMs must be at most 604800000"],
    [{ errorRanges: [{}] }, "errorRanges[0]"],
    [{ errorRanges: [{ lower: 500, upper: 400 }] }, "errorRanges[0]"],
    [{ schedule: { kind: "curve" } }, 'schedule.kind must be "const", "step" or "line"'],
    [{ schedule: { kind: "line", start: 0, step: 1 } }, "schedule.start must be a number > 0"],
    [{ schedule: { kind: "line", start: 5, step: 0 } }, "schedule.step must not be 0"],
    [
      { schedule: { kind: "step", start: 5, step: 1 } },
      "a step schedule needs schedule.stepDurationMs",
    ],
    [
      { schedule: { kind: "step", start: 5, step: 1, stepDurationMs: 0 } },
      "schedule.stepDurationMs must be a number > 0",
    ],
    [{ schedule: { kind: "line", start: 5, step: 1, end: 5 } }, "schedule.end cannot equal"],
    [
      { schedule: { kind: "line", start: 50, step: 1, end: 10 } },
      "schedule.end 10 is below schedule.start 50 but schedule.step 1 goes up",
    ],
    [
      { schedule: { kind: "line", start: 50, step: -1 } },
      "a ramp down (schedule.step < 0) needs schedule.end or schedule.maxDurationMs",
    ],
    [
      {
        schedule: { kind: "step", start: 50, step: -10, stepDurationMs: 1000, maxDurationMs: 5000 },
      },
      "reaches 0 requests/s within schedule.maxDurationMs",
    ],
    [{ schedule: { kind: "line", start: 2e6, step: 1 } }, "schedule.start must be at most 1000000"],
  ])("rejects %j naming %s", (o, name) => {
    let error: unknown;
    try {
      resolveLoadOptions({ ...base, ...o } as LoadOptions);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LoadgenError);
    expect((error as LoadgenError).code).toBe("ITER8_LOAD_OPTIONS");
    expect((error as LoadgenError).message).toContain(name);
  });
});
