// The histograms the recording-cost measurement (histogram-record.ts) compares, one call per
// request as the load generator makes it.
import { Int32Histogram } from "hdr-histogram-js";
import { LatencyHistogram } from "@iter8/metrics";

/**
 * `LatencyHistogram.record` as it was on hdr-histogram-js 3.0.1 (up to commit d92a432, before
 * @iter8/metrics had its own HdrHistogram): the same exact statistics, then the index computed
 * directly and the library's counters bumped. Only what recording needs is kept.
 */
export class PreviousLatencyHistogram {
  readonly #hdr = new Int32Histogram(1, 60_000_000, 3);
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #mean = 0;
  #m2 = 0;

  constructor() {
    this.#hdr.autoResize = true;
  }

  /** Records one latency in µs, as the previous LatencyHistogram did. */
  record(us: number): void {
    const value = us > 0 ? us : 0;
    const n = ++this.#count;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    const delta = value - this.#mean;
    this.#mean += delta / n;
    this.#m2 += delta * (value - this.#mean);

    const rounded = Math.round(value);
    const hdr = this.#hdr;
    if (rounded < 0x7fffffff) {
      const bucket = Math.max(0, 31 - Math.clz32(rounded) - 10);
      const index = bucket * 1024 + (rounded >>> bucket);
      if (index < hdr.countsArrayLength) {
        hdr.incrementCountAtIndex(index);
        hdr.incrementTotalCount();
        hdr.updateMinAndMax(rounded);
        return;
      }
    }
    hdr.recordValue(rounded);
  }

  /** Number of recorded values. */
  get count(): number {
    return this.#count;
  }

  /** Population standard deviation in µs (kept exact, as before). */
  get stddev(): number {
    return Math.sqrt(this.#m2 / this.#count);
  }

  /** HdrHistogram's value at percentile `p` (for checking that both record the same). */
  percentile(p: number): number {
    return Math.min(this.#max, Math.max(this.#min, this.#hdr.getValueAtPercentile(p)));
  }
}

/** What the measurement calls: `record` once per value, then a figure read so nothing is elided. */
export interface RecordingVariant {
  record(us: number): void;
  percentile(p: number): number;
}

/** The variants by name: iter8's LatencyHistogram now, and as it was on hdr-histogram-js. */
export const RECORDING_VARIANTS = {
  "LatencyHistogram (own HdrHistogram)": (): RecordingVariant => new LatencyHistogram(),
  "LatencyHistogram on hdr-histogram-js 3.0.1 (before)": (): RecordingVariant =>
    new PreviousLatencyHistogram(),
} as const;

/** A variant's name. */
export type RecordingVariantName = keyof typeof RECORDING_VARIANTS;

/**
 * Latency-like values in µs (log-normal around 300 µs, fractions kept, a tail into seconds),
 * `2^16` of them so that the loop reads them from cache.
 */
export function latencySamples(seed = 1): Float64Array {
  let state = seed >>> 0;
  const random = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float64Array(1 << 16);
  for (let i = 0; i < out.length; i++) {
    const u = Math.max(random(), 1e-12);
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    out[i] = Math.exp(5.7 + 1.2 * normal) + random();
  }
  return out;
}

/** Records `count` values (cycling through `samples`) into a fresh histogram of `name`. */
export function recordMany(
  name: RecordingVariantName,
  samples: Float64Array,
  count: number,
): RecordingVariant {
  const histogram = RECORDING_VARIANTS[name]();
  const mask = samples.length - 1;
  for (let i = 0; i < count; i++) histogram.record(samples[i & mask]!);
  return histogram;
}
