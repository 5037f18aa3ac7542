import { readFileSync } from "node:fs";
import { Int32Histogram, decodeFromCompressedBase64 } from "hdr-histogram-js";
import type { JsHistogram } from "hdr-histogram-js";
import { mean, standardDeviation } from "simple-statistics";
import { describe, expect, it } from "vitest";
import { createSeededRandom } from "@iter8/test-utils";
import { HdrHistogram } from "./hdr.js";
import { LatencyHistogram } from "./latency-histogram.js";

/** Latency-like samples in µs: log-normal around ~300 µs with a long tail up to seconds. */
function sampleLatencies(n: number, seed: number): number[] {
  const random = createSeededRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    const v = random();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    out.push(Math.round(Math.exp(5.7 + 1.2 * normal)) + 1);
  }
  return out;
}

/** Nearest-rank percentile of raw samples: the smallest value with at least p% of samples ≤ it. */
function exactPercentile(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length - 1e-9));
  return sorted[rank - 1] as number;
}

function recordAll(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

describe("LatencyHistogram", () => {
  it("keeps count, min, max, mean and standard deviation exact", () => {
    const values = sampleLatencies(20_000, 1).map((v) => v + 0.25);
    const h = recordAll(values);
    expect(h.count).toBe(values.length);
    expect(h.min).toBe(Math.min(...values));
    expect(h.max).toBe(Math.max(...values));
    expect(h.mean).toBeCloseTo(mean(values), 6);
    expect(h.stddev).toBeCloseTo(standardDeviation(values), 6);
  });

  it.each(PERCENTILES)(
    "reports percentile %d within HdrHistogram's precision of the exact one",
    (p) => {
      const values = sampleLatencies(50_000, 2);
      const sorted = [...values].sort((a, b) => a - b);
      const h = recordAll(values);
      const exact = exactPercentile(sorted, p);
      const [low, high] = LatencyHistogram.equivalentRange(exact);
      expect(h.percentile(p)).toBeGreaterThanOrEqual(Math.min(low, exact));
      expect(h.percentile(p)).toBeLessThanOrEqual(high);
      // The equivalence range is HdrHistogram's 3-significant-digit precision.
      expect(high - low + 1).toBeLessThanOrEqual(Math.max(1, exact / 1000) * 2);
    },
  );

  it("records into the same buckets as HdrHistogram's own recordValue, across bucket boundaries", () => {
    const values = [0, 1, 2, 1023, 1024, 2047, 2048, 2049, 4095, 4096, 4097, 65_535, 65_536, 1e6];
    for (let v = 1; v < 5e7; v = Math.ceil(v * 1.37)) values.push(v, v + 1);
    const ours = recordAll(values);
    const reference = new Int32Histogram(1, 60_000_000, 3);
    for (const v of values) reference.recordValue(v);
    for (let p = 0; p <= 100; p += 0.5) {
      const expected = Math.min(ours.max, Math.max(ours.min, reference.getValueAtPercentile(p)));
      expect(ours.percentile(p)).toBe(expected);
    }
  });

  it("merging histograms equals recording every value in one histogram", () => {
    const values = sampleLatencies(30_000, 3);
    const whole = recordAll(values);
    const parts = [values.slice(0, 7_000), values.slice(7_000, 7_001), values.slice(7_001)];
    const merged = new LatencyHistogram();
    for (const part of parts) merged.merge(recordAll(part));
    merged.merge(new LatencyHistogram());

    expect(merged.count).toBe(whole.count);
    expect(merged.min).toBe(whole.min);
    expect(merged.max).toBe(whole.max);
    expect(merged.mean).toBeCloseTo(whole.mean, 6);
    expect(merged.stddev).toBeCloseTo(whole.stddev, 6);
    for (const p of PERCENTILES) expect(merged.percentile(p)).toBe(whole.percentile(p));
    expect(merged.buckets(40)).toEqual(whole.buckets(40));
  });

  it("encodes compactly and decodes to an equal histogram", () => {
    const values = sampleLatencies(10_000, 4);
    const h = recordAll(values);
    const text = h.encode();
    expect(text.length).toBeLessThan(4_000);
    const back = LatencyHistogram.decode(text);
    expect(back.count).toBe(h.count);
    expect(back.min).toBe(h.min);
    expect(back.max).toBe(h.max);
    expect(back.mean).toBe(h.mean);
    expect(back.stddev).toBe(h.stddev);
    for (const p of PERCENTILES) expect(back.percentile(p)).toBe(h.percentile(p));
    // A decoded histogram keeps working: it records and merges.
    back.record(5);
    back.merge(h);
    expect(back.count).toBe(2 * h.count + 1);
    expect(back.min).toBe(Math.min(5, h.min));
  });

  it("round-trips an empty histogram", () => {
    const back = LatencyHistogram.decode(new LatencyHistogram().encode());
    expect(back.count).toBe(0);
    expect(back.percentile(50)).toBeNaN();
  });

  it("rejects text that is not an encoded histogram", () => {
    expect(() => LatencyHistogram.decode("hello")).toThrow(RangeError);
    expect(() => LatencyHistogram.decode("ih1;1,2,3,4,5;bm90IGhkcg==")).toThrow(RangeError);
    // An HdrHistogram, but not of a LatencyHistogram's precision.
    const twoDigits = new HdrHistogram(1, 60_000_000, 2);
    twoDigits.record(5);
    expect(() =>
      LatencyHistogram.decode(`ih1;1,5,5,5,0;${twoDigits.encodeCompressedBase64()}`),
    ).toThrow(/2 significant digits, not 1 and 3/);
  });

  it("refuses a latency HdrHistogram cannot hold (past 2^53 - 1 µs), recording nothing", () => {
    const h = recordAll([10]);
    expect(() => h.record(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => h.record(2 ** 60)).toThrow(RangeError);
    expect([h.count, h.max, h.mean]).toEqual([1, 10, 10]);
  });

  it("tracks values beyond 60 s by growing", () => {
    const h = recordAll([100, 90_000_000, 5_000_000_000]);
    expect(h.max).toBe(5_000_000_000);
    expect(h.percentile(100)).toBe(5_000_000_000);
    const [, high] = LatencyHistogram.equivalentRange(90_000_000);
    expect(h.percentile(60)).toBeGreaterThanOrEqual(90_000_000);
    expect(h.percentile(60)).toBeLessThanOrEqual(high);
  });

  it("reports NaN statistics and no buckets when empty, and reset empties it", () => {
    const h = recordAll([10, 20]);
    h.reset();
    expect(h.count).toBe(0);
    for (const value of [h.min, h.max, h.mean, h.stddev, h.percentile(50)]) {
      expect(value).toBeNaN();
    }
    expect(h.buckets()).toEqual([]);
    h.record(7);
    expect([h.min, h.max, h.count]).toEqual([7, 7, 1]);
  });

  it("counts negative values as 0", () => {
    const h = recordAll([-5]);
    expect(h.min).toBe(0);
    expect(h.percentile(50)).toBe(0);
  });

  it("rejects percentiles outside [0, 100]", () => {
    const h = recordAll([1]);
    expect(() => h.percentile(101)).toThrow(RangeError);
    expect(() => h.percentile(-1)).toThrow(RangeError);
  });

  it.each([1, 7, 50])(
    "makes at most %d equal, round-width chart buckets in ms that hold every value",
    (max) => {
      const values = sampleLatencies(5_000, 5);
      const h = recordAll(values);
      const buckets = h.buckets(max);
      expect(buckets.length).toBeGreaterThan(0);
      expect(buckets.length).toBeLessThanOrEqual(max);
      expect(buckets.reduce((sum, [, , c]) => sum + c, 0)).toBe(values.length);
      const first = buckets[0] as [number, number, number];
      const last = buckets.at(-1) as [number, number, number];
      expect(first[0]).toBeLessThanOrEqual(h.min / 1000);
      expect(last[1]).toBeGreaterThan(h.max / 1000);
      const width = first[1] - first[0];
      expect(Number((width * 1000).toPrecision(1))).toBe(width * 1000);
      for (let i = 0; i < buckets.length; i++) {
        const [lower, upper] = buckets[i] as [number, number, number];
        expect(upper - lower).toBeCloseTo(width, 9);
        if (i > 0) expect(lower).toBe((buckets[i - 1] as [number, number, number])[1]);
      }
    },
  );

  it("puts each value in the bucket that covers it", () => {
    const h = recordAll([1000, 1000, 1500, 2999]);
    expect(h.buckets(2)).toEqual([
      [1, 2, 3],
      [2, 3, 1],
    ]);
  });
});

/** test/fixtures/encoded-latency-histograms.json (scripts/record-encoded-histograms.mjs). */
interface EncodedFixture {
  writtenBy: string;
  percentiles: number[];
  cases: Record<
    string,
    {
      encoded: string;
      count: number;
      min: number | null;
      max: number | null;
      mean: number | null;
      stddev: number | null;
      percentiles: Record<string, number | null>;
      buckets: Array<[number, number, number]>;
    }
  >;
}

const fixture = JSON.parse(
  readFileSync(
    new URL("../test/fixtures/encoded-latency-histograms.json", import.meta.url),
    "utf8",
  ),
) as EncodedFixture;
/** JSON wrote NaN as null. */
const orNaN = (value: number | null): number => value ?? Number.NaN;

describe("strings written by earlier versions (on hdr-histogram-js 3.0.1)", () => {
  it("were recorded by the hdr-histogram-js-based LatencyHistogram", () => {
    expect(fixture.writtenBy).toMatch(/hdr-histogram-js 3\.0\.1/);
    expect(Object.keys(fixture.cases).length).toBeGreaterThanOrEqual(9);
  });

  it.each(Object.keys(fixture.cases))(
    "%s: decodes to the histogram that wrote it (statistics, percentiles, chart buckets)",
    (name) => {
      const recorded = fixture.cases[name]!;
      const h = LatencyHistogram.decode(recorded.encoded);
      expect(h.count).toBe(recorded.count);
      expect(h.min).toBe(orNaN(recorded.min));
      expect(h.max).toBe(orNaN(recorded.max));
      expect(h.mean).toBe(orNaN(recorded.mean));
      expect(h.stddev).toBe(orNaN(recorded.stddev));
      for (const p of fixture.percentiles) {
        expect([p, h.percentile(p)]).toEqual([p, orNaN(recorded.percentiles[String(p)] ?? null)]);
      }
      expect(h.buckets(20)).toEqual(recorded.buckets);
    },
  );

  it.each(Object.keys(fixture.cases))(
    "%s: its HdrHistogram decodes as hdr-histogram-js decodes it, and re-encodes readably",
    (name) => {
      const payload = fixture.cases[name]!.encoded.split(";")[2]!;
      const ours = HdrHistogram.decodeCompressedBase64(payload);
      const ref = decodeFromCompressedBase64(payload, 32, false) as JsHistogram;
      const back = decodeFromCompressedBase64(
        ours.encodeCompressedBase64(),
        32,
        false,
      ) as JsHistogram;
      for (const other of [ref, back]) {
        expect(other.totalCount).toBe(ours.totalCount);
        expect(other.highestTrackableValue).toBe(ours.highestTrackableValue);
        for (const p of [0, 1, 10, 50, 90, 95, 99, 99.9, 99.99, 100]) {
          expect(ours.valueAtPercentile(p)).toBe(other.getValueAtPercentile(p));
        }
        const counts: Array<[number, number]> = [];
        ours.forEachRecorded((value, count) => counts.push([value, count]));
        for (const [value, count] of counts)
          expect(other.getCountAtIndex(other.countsArrayIndex(value))).toBe(count);
      }
    },
  );

  it("merges a decoded old string with a new histogram as it merged before", () => {
    const recorded = fixture.cases["typical latencies"]!;
    const old = LatencyHistogram.decode(recorded.encoded);
    const fresh = new LatencyHistogram();
    for (const v of sampleLatencies(1_000, 9)) fresh.record(v);
    const merged = old.clone().merge(fresh);
    expect(merged.count).toBe(recorded.count + 1_000);
    const reference = decodeFromCompressedBase64(recorded.encoded.split(";")[2]!, 32, false);
    const freshReference = new Int32Histogram(1, 60_000_000, 3);
    for (const v of sampleLatencies(1_000, 9)) freshReference.recordValue(v);
    reference.add(freshReference);
    for (const p of PERCENTILES) {
      const expected = Math.min(
        merged.max,
        Math.max(merged.min, reference.getValueAtPercentile(p)),
      );
      expect(merged.percentile(p)).toBe(expected);
    }
  });
});
