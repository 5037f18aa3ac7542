import { deflateSync, inflateSync } from "node:zlib";
import {
  Float64Histogram,
  Int32Histogram,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
} from "hdr-histogram-js";
import type { JsHistogram } from "hdr-histogram-js";
import { describe, expect, it } from "vitest";
import { createSeededRandom } from "@iter8/test-utils";
import { HdrHistogram } from "./hdr.js";

// hdr-histogram-js 3 (a devDependency) is the reference: every figure our HdrHistogram reports is
// checked against what it reports for the same values, and the encodings are read across.

const HIGHEST = 60_000_000;
const DIGITS = 3;

/** The percentiles of interest and the awkward ones (fp products near an integer rank). */
const KEY_PERCENTILES = [
  0, 50, 90, 95, 99, 99.9, 99.99, 99.999, 100, 1e-9, 0.001, 12.5, 33.333, 66.667, 99.9999,
];
/** With a grid of every quarter percent. */
const PERCENTILES = [...KEY_PERCENTILES, ...Array.from({ length: 401 }, (_, i) => i / 4)];

function reference(bits: 32 | 64 = 32): JsHistogram {
  const h =
    bits === 32 ? new Int32Histogram(1, HIGHEST, DIGITS) : new Float64Histogram(1, HIGHEST, DIGITS);
  h.autoResize = true;
  return h;
}

function both(values: readonly number[]): { ours: HdrHistogram; ref: JsHistogram } {
  const ours = new HdrHistogram(1, HIGHEST, DIGITS);
  const ref = reference();
  for (const v of values) {
    ours.record(v);
    ref.recordValue(v);
  }
  return { ours, ref };
}

/** Non-empty buckets of the reference as [lowest value, count]. */
function referenceBuckets(ref: JsHistogram): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < ref.countsArrayLength; i++) {
    const count = ref.getCountAtIndex(i);
    if (count !== 0) out.push([ref.valueFromIndex(i), count]);
  }
  return out;
}

function ourBuckets(ours: HdrHistogram): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  ours.forEachRecorded((value, count) => out.push([value, count]));
  return out;
}

function expectRelativelyClose(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

function expectSameAsReference(
  ours: HdrHistogram,
  ref: JsHistogram,
  percentiles = PERCENTILES,
): void {
  expect(ours.totalCount).toBe(ref.totalCount);
  expect(ourBuckets(ours)).toEqual(referenceBuckets(ref));
  for (const p of percentiles) {
    const expected = ref.getValueAtPercentile(p);
    if (ours.valueAtPercentile(p) !== expected) {
      expect({ percentile: p, value: ours.valueAtPercentile(p) }).toEqual({
        percentile: p,
        value: expected,
      });
    }
  }
  expect(ours.min).toBe(ref.getValueAtPercentile(0));
  expect(ours.max).toBe(ref.getValueAtPercentile(100));
  expectRelativelyClose(ours.mean, ref.mean, 1e-12);
  expectRelativelyClose(ours.stddev, ref.stdDeviation, 1e-12);
}

/** Log-normal latencies in µs around ~300 µs, tail into seconds. */
function latencies(n: number, seed: number): number[] {
  const random = createSeededRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    out.push(Math.round(Math.exp(5.7 + 1.4 * normal)));
  }
  return out;
}

/** Uniform in log space from 0 to 2^exponentMax: every bucket size gets values. */
function logUniform(n: number, seed: number, exponentMax: number): number[] {
  const random = createSeededRandom(seed);
  return Array.from({ length: n }, () => Math.floor(2 ** (random() * exponentMax)) - 1);
}

/** Values at and next to every bucket boundary and limit the layout has. */
function adversarial(): number[] {
  const values = [0, 0, 1, 2, 3, 1023, 1024, 1025, 2047, 2048, 2049, 2050, 4095, 4096, 4097];
  for (let k = 1; k <= 46; k++) values.push(2 ** k - 1, 2 ** k, 2 ** k + 1);
  values.push(HIGHEST - 1, HIGHEST, HIGHEST + 1, 67_108_863, 67_108_864);
  values.push(0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 1e12, 123_456_789_012);
  return values;
}

const VALUE_SETS: Record<string, () => number[]> = {
  "latency-like (50 000)": () => latencies(50_000, 11),
  "log-uniform up to 2^40 (20 000)": () => logUniform(20_000, 12, 40),
  "log-uniform up to 2^26, within 60 s (20 000)": () => logUniform(20_000, 13, 26),
  "bucket boundaries and limits": adversarial,
  "a single 0": () => [0],
  "a single 1": () => [1],
  "the highest trackable value": () => [HIGHEST],
  "beyond the highest trackable value": () => [HIGHEST * 100],
  "10 000 equal values": () => Array.from({ length: 10_000 }, () => 4242),
  "fractions (dropped, as HdrHistogram does)": () => [0.4, 1.5, 2.999, 2047.9, 2048.5, 1e6 + 0.7],
  "0 and the largest exact value only": () => [0, 2 ** 46, 0, 2 ** 46],
};

describe("HdrHistogram against hdr-histogram-js", () => {
  it.each(Object.keys(VALUE_SETS))(
    "%s: same buckets, percentiles, min, max, mean and stddev",
    (name) => {
      const { ours, ref } = both(VALUE_SETS[name]!());
      expectSameAsReference(ours, ref);
    },
  );

  it("reports 0 for every figure when empty, as the reference does", () => {
    const { ours, ref } = both([]);
    expectSameAsReference(ours, ref);
    expect([ours.min, ours.max, ours.mean, ours.stddev, ours.valueAtPercentile(50)]).toEqual([
      0, 0, 0, 0, 0,
    ]);
  });

  it("has the reference's lowest, highest and median equivalent values", () => {
    const ref = reference();
    const ours = new HdrHistogram(1, HIGHEST, DIGITS);
    for (const v of [...adversarial(), ...logUniform(5_000, 14, 44)]) {
      expect([
        ours.lowestEquivalentValue(v),
        ours.highestEquivalentValue(v),
        ours.medianEquivalentValue(v),
      ]).toEqual([
        ref.lowestEquivalentValue(v),
        ref.highestEquivalentValue(v),
        ref.medianEquivalentValue(v),
      ]);
    }
  });

  it.each([
    [1, 1_000, 0, 41],
    [1, 3_600_000_000, 2, 41],
    [1, 2 ** 20, 5, 24],
    [1_000, 1e12, 3, 41],
    [7, 100_000, 1, 41],
    // A sub-bucket mask past 2^31: record() takes its general path for every value.
    [2 ** 22, 2 ** 45, 3, 44],
  ])(
    "lowest %d, highest %d, %d digits (values up to 2^%d): the same layout and percentiles as the reference",
    (lowest, highest, digits, exponent) => {
      const ours = new HdrHistogram(lowest, highest, digits);
      const ref = new Int32Histogram(lowest, highest, digits);
      ref.autoResize = true;
      for (const v of logUniform(5_000, 15, exponent)) {
        ours.record(v);
        ref.recordValue(v);
      }
      // Key percentiles only: a 5-digit histogram has a million counts to walk.
      expectSameAsReference(ours, ref, KEY_PERCENTILES);
    },
  );

  it("huge counts: recordCount equals the reference's recordValueWithCount", () => {
    const ours = new HdrHistogram(1, HIGHEST, DIGITS);
    const ref = reference();
    const pairs: Array<[number, number]> = [
      [0, 123],
      [100, 4_000_000_000],
      [1_000_000, 3_000_000_000],
      [5_000_000_000, 0xffffffff],
      [7, 1],
    ];
    for (const [value, count] of pairs) {
      ours.recordCount(value, count);
      ref.recordValueWithCount(value, count);
    }
    expectSameAsReference(ours, ref);
  });

  it("counts past 2^32 - 1 in one bucket stay exact (64-bit reference; a 32-bit one would wrap)", () => {
    const ours = new HdrHistogram(1, HIGHEST, DIGITS);
    const ref = reference(64);
    ours.recordCount(500, 0xffffffff);
    ref.recordValueWithCount(500, 0xffffffff);
    // Through record(): the count passes 2^32 - 1 and the counts widen.
    for (let i = 0; i < 3; i++) {
      ours.record(500);
      ref.recordValue(500);
    }
    ours.recordCount(9_000, 2 ** 40);
    ref.recordValueWithCount(9_000, 2 ** 40);
    ours.record(1);
    ref.recordValue(1);
    expect(ourBuckets(ours)).toEqual([
      [1, 1],
      [500, 2 ** 32 + 2],
      [9_000, 2 ** 40],
    ]);
    expectSameAsReference(ours, ref);
    // ... and across an encoding.
    const back = HdrHistogram.decodeCompressedBase64(ours.encodeCompressedBase64());
    expectSameAsReference(back, ref);
    expectSameAsReference(
      back,
      decodeFromCompressedBase64(ours.encodeCompressedBase64(), 64, false) as JsHistogram,
    );
  });

  it("merging equals the reference's add, in either direction and across sizes", () => {
    const small = latencies(20_000, 16);
    const grown = [...logUniform(5_000, 17, 36), 10 * HIGHEST];
    for (const [a, b] of [
      [small, grown],
      [grown, small],
      [small, small],
      [[], grown],
      [grown, []],
    ]) {
      const x = both(a!);
      const y = both(b!);
      x.ours.add(y.ours);
      x.ref.add(y.ref);
      expectSameAsReference(x.ours, x.ref);
      // The added histogram is unchanged.
      expectSameAsReference(y.ours, y.ref);
    }
  });

  it("merging histograms of different layouts records each bucket at its value, as the reference", () => {
    const ours = new HdrHistogram(1, HIGHEST, 3);
    const ref = reference();
    const otherOurs = new HdrHistogram(1, HIGHEST, 2);
    const otherRef = new Int32Histogram(1, HIGHEST, 2);
    for (const v of latencies(5_000, 18)) {
      otherOurs.record(v);
      otherRef.recordValue(v);
      ours.record(v + 1);
      ref.recordValue(v + 1);
    }
    ours.add(otherOurs);
    ref.add(otherRef);
    expectSameAsReference(ours, ref);
  });

  it("reset empties it and copy is independent", () => {
    const { ours, ref } = both([...latencies(1_000, 19), 5 * HIGHEST]);
    const copy = ours.copy();
    expectSameAsReference(copy, ref);
    ours.reset();
    expect(ours.totalCount).toBe(0);
    expect(ourBuckets(ours)).toEqual([]);
    expectSameAsReference(copy, ref);
    ours.record(5);
    expect(ourBuckets(ours)).toEqual([[5, 1]]);
    copy.record(5);
    ref.recordValue(5);
    expectSameAsReference(copy, ref);
  });

  it("grows past the highest trackable value as the reference's auto-resize does", () => {
    const ours = new HdrHistogram(1, HIGHEST, DIGITS);
    expect(ours.highestTrackableValue).toBe(HIGHEST);
    ours.record(HIGHEST * 3);
    const ref = reference();
    ref.recordValue(HIGHEST * 3);
    expect(ours.highestTrackableValue).toBe(ref.highestTrackableValue);
    expect(ours.highestTrackableValue).toBeGreaterThanOrEqual(HIGHEST * 3);
  });

  it.each([-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    "refuses to record %d with a RangeError, recording nothing",
    (value) => {
      const ours = new HdrHistogram(1, HIGHEST, DIGITS);
      expect(() => ours.record(value)).toThrow(RangeError);
      expect(ours.totalCount).toBe(0);
    },
  );

  it("refuses invalid parameters, counts and percentiles", () => {
    expect(() => new HdrHistogram(0, 100, 3)).toThrow(RangeError);
    expect(() => new HdrHistogram(10, 15, 3)).toThrow(RangeError);
    expect(() => new HdrHistogram(1, 100, 6)).toThrow(RangeError);
    const ours = new HdrHistogram(1, HIGHEST, DIGITS);
    expect(() => ours.recordCount(5, -1)).toThrow(RangeError);
    expect(() => ours.recordCount(5, 1.5)).toThrow(RangeError);
    expect(() => ours.valueAtPercentile(100.1)).toThrow(RangeError);
    expect(() => ours.valueAtPercentile(-1)).toThrow(RangeError);
  });
});

describe("HdrHistogram's compressed V2 encoding", () => {
  it.each(["empty", ...Object.keys(VALUE_SETS)])(
    "%s: ours decodes with hdr-histogram-js, and the reference's with ours",
    (name) => {
      const { ours, ref } = both(name === "empty" ? [] : VALUE_SETS[name]!());
      const ourText = ours.encodeCompressedBase64();
      const refText = encodeIntoCompressedBase64(ref);

      const decodedByRef = decodeFromCompressedBase64(ourText, 32, false) as JsHistogram;
      expectSameAsReference(ours, decodedByRef);
      expect(decodedByRef.highestTrackableValue).toBe(ref.highestTrackableValue);

      const decodedByOurs = HdrHistogram.decodeCompressedBase64(refText);
      expectSameAsReference(decodedByOurs, ref);
      expect(decodedByOurs.highestTrackableValue).toBe(ref.highestTrackableValue);
      // What ours re-encodes after decoding still reads back the same.
      expectSameAsReference(
        HdrHistogram.decodeCompressedBase64(decodedByOurs.encodeCompressedBase64()),
        ref,
      );
    },
  );

  it("writes the reference's bytes, but for the two header fields it writes wrongly", () => {
    const { ours, ref } = both([...latencies(5_000, 20), 0, 0, 3 * HIGHEST]);
    const inflate = (text: string): Buffer => {
      const bytes = Buffer.from(text, "base64");
      expect(bytes.readUInt32BE(0)).toBe(0x1c849314);
      expect(bytes.readUInt32BE(4)).toBe(bytes.length - 8);
      return inflateSync(bytes.subarray(8));
    };
    const mine = inflate(ours.encodeCompressedBase64());
    const theirs = inflate(encodeIntoCompressedBase64(ref));
    expect(mine.readUInt32BE(0)).toBe(0x1c849313);
    // Cookie, payload length, digits, lowest, highest and the counts are byte for byte the same.
    expect(mine.subarray(0, 8)).toEqual(theirs.subarray(0, 8));
    expect(mine.subarray(12, 32)).toEqual(theirs.subarray(12, 32));
    expect(mine.subarray(40)).toEqual(theirs.subarray(40));
    // Java's HdrHistogram reads a normalizing index offset (0 for an unshifted histogram) and a
    // double conversion ratio (1.0); hdr-histogram-js writes the integers 1 and 1 there.
    expect(mine.readInt32BE(8)).toBe(0);
    expect(mine.readDoubleBE(32)).toBe(1);
    expect(theirs.readInt32BE(8)).toBe(1);
  });

  it.each([
    ["not base64", "hello!"],
    ["base64 of something else", Buffer.from("not a histogram").toString("base64")],
    [
      "a wrong cookie",
      Buffer.from([0x1c, 0x84, 0x93, 0x13, 0, 0, 0, 0, 1, 2, 3, 4]).toString("base64"),
    ],
    [
      "a compressed length past the end",
      Buffer.from([0x1c, 0x84, 0x93, 0x14, 0, 0, 1, 0, 1, 2, 3, 4]).toString("base64"),
    ],
    [
      "a corrupt deflate stream",
      Buffer.from([0x1c, 0x84, 0x93, 0x14, 0, 0, 0, 4, 1, 2, 3, 4]).toString("base64"),
    ],
  ])("rejects %s with a RangeError", (_name, text) => {
    expect(() => HdrHistogram.decodeCompressedBase64(text)).toThrow(RangeError);
  });

  it("rejects a truncated encoding", () => {
    const bytes = Buffer.from(both(latencies(1_000, 21)).ours.encodeCompressedBase64(), "base64");
    const truncated = Buffer.concat([bytes.subarray(0, 4), Buffer.from([0, 0, 0, 10])]);
    const text = Buffer.concat([truncated, bytes.subarray(8, 18)]).toString("base64");
    expect(() => HdrHistogram.decodeCompressedBase64(text)).toThrow(RangeError);
  });

  it("rejects counts placed past the largest value it can track", () => {
    // A V2 payload (lowest 1, highest 1000, 3 digits): a zero run of 2^52, then the count 1.
    const payload = Buffer.alloc(40 + 9);
    payload.writeUInt32BE(0x1c849313, 0);
    payload.writeInt32BE(9, 4);
    payload.writeInt32BE(3, 12);
    payload.writeUInt32BE(1, 20);
    payload.writeUInt32BE(1000, 28);
    payload.writeDoubleBE(1, 32);
    // ZigZag(-2^52) = 2^53 - 1, in LEB128: seven bytes with the continuation bit, then the rest.
    let encoded = 2 ** 53 - 1;
    for (let i = 0; i < 8; i++) {
      payload[40 + i] = i < 7 ? (encoded % 128) | 0x80 : encoded;
      encoded = Math.floor(encoded / 128);
    }
    payload[48] = 2; // ZigZag(1)
    const compressed = deflateSync(payload);
    const wrapper = Buffer.alloc(8);
    wrapper.writeUInt32BE(0x1c849314, 0);
    wrapper.writeInt32BE(compressed.length, 4);
    const text = Buffer.concat([wrapper, compressed]).toString("base64");
    expect(() => HdrHistogram.decodeCompressedBase64(text)).toThrow(
      /beyond the largest trackable value/,
    );
    // The same payload with a zero run of 2 decodes: the count lands at index 2.
    payload[40] = 3; // ZigZag(-2)
    payload.writeInt32BE(2, 4);
    payload[41] = 2;
    const short = deflateSync(payload.subarray(0, 42));
    wrapper.writeInt32BE(short.length, 4);
    const decoded = HdrHistogram.decodeCompressedBase64(
      Buffer.concat([wrapper, short]).toString("base64"),
    );
    expect(ourBuckets(decoded)).toEqual([[2, 1]]);
  });
});
