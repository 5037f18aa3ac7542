import { HdrHistogram } from "./hdr.js";

/** Highest latency tracked without resizing: 60 s in microseconds (the histogram grows past it). */
const HIGHEST_TRACKABLE_US = 60_000_000;
/** Decimal digits of precision: values are kept within 0.1% (HdrHistogram's `numberOfSignificantValueDigits`). */
const SIGNIFICANT_DIGITS = 3;
/** Prefix of the serialised form; bump when the layout changes. */
const ENCODING_VERSION = "ih1";

/**
 * A latency histogram in microseconds (1 µs .. 60 s, growing past 60 s when needed) with 3
 * significant digits, on HdrHistogram (our own, `hdr.ts`). Count, min, max, mean and standard deviation are exact
 * (kept alongside the buckets); percentiles are within HdrHistogram's precision (0.1%).
 * Histograms merge (for worker threads and machines) and serialise to a compact string.
 * `record()` allocates nothing.
 */
export class LatencyHistogram {
  #hdr: HdrHistogram;
  #count = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;
  #mean = 0;
  /** Sum of squared deviations from the mean (Welford), for the standard deviation. */
  #m2 = 0;

  /** An empty histogram. */
  constructor() {
    this.#hdr = createHdr();
  }

  /**
   * Records one latency in microseconds (fractions are kept for the exact statistics; negative
   * values count as 0). Throws a `RangeError` beyond 2^53 - 1 µs (285 years), recording nothing.
   */
  record(us: number): void {
    const value = us > 0 ? us : 0;
    // The error is built in another function: a template of `us` here made optimised callers box
    // every latency on the heap, and a load run's old generation grew by about 1.5 MB/s
    // (measured: peak RSS 82 instead of 68 MB at 10 connections).
    if (value > Number.MAX_SAFE_INTEGER) throw tooLarge(us);
    const n = ++this.#count;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    const delta = value - this.#mean;
    this.#mean += delta / n;
    this.#m2 += delta * (value - this.#mean);
    // After the statistics: measured, the CPU overlaps the division above with the bucket's update.
    this.#hdr.record(Math.round(value));
  }

  /** Adds every value recorded in `other` to this histogram. */
  merge(other: LatencyHistogram): this {
    if (other.#count === 0) return this;
    if (this.#count === 0) {
      this.#mean = other.#mean;
      this.#m2 = other.#m2;
    } else {
      // Chan et al.'s parallel update of mean and sum of squared deviations.
      const n = this.#count + other.#count;
      const delta = other.#mean - this.#mean;
      this.#mean += (delta * other.#count) / n;
      this.#m2 += other.#m2 + (delta * delta * this.#count * other.#count) / n;
    }
    this.#count += other.#count;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
    this.#hdr.add(other.#hdr);
    return this;
  }

  /** Number of recorded values. */
  get count(): number {
    return this.#count;
  }

  /** Smallest recorded value in µs (NaN when empty). */
  get min(): number {
    return this.#count > 0 ? this.#min : Number.NaN;
  }

  /** Largest recorded value in µs (NaN when empty). */
  get max(): number {
    return this.#count > 0 ? this.#max : Number.NaN;
  }

  /** Arithmetic mean in µs (NaN when empty). */
  get mean(): number {
    return this.#count > 0 ? this.#mean : Number.NaN;
  }

  /** Population standard deviation in µs (NaN when empty). */
  get stddev(): number {
    return this.#count > 0 ? Math.sqrt(this.#m2 / this.#count) : Number.NaN;
  }

  /**
   * The value in µs that `p` percent of the recorded values are less than or equal to (within
   * 0.1%), clamped to [min, max]; `p` in [0, 100]. NaN when empty.
   */
  percentile(p: number): number {
    if (this.#count === 0) return Number.NaN;
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
    const value = this.#hdr.valueAtPercentile(p);
    return Math.min(this.#max, Math.max(this.#min, value));
  }

  /**
   * Buckets for a chart: up to `maxBuckets` equal-width bins in milliseconds covering [min, max],
   * each `[lowerMs, upperMs, count]` (lower inclusive, upper exclusive; empty bins included so the
   * axis is continuous). The width is a round number (1, 2 or 5 × 10^k µs). Empty histogram: `[]`.
   */
  buckets(maxBuckets = 50): Array<[number, number, number]> {
    if (this.#count === 0) return [];
    const limit = Math.max(1, Math.floor(maxBuckets));
    const lowUs = Math.floor(this.#min);
    const highUs = Math.floor(this.#max);
    let width = roundWidth((highUs - lowUs + 1) / limit);
    let start = Math.floor(lowUs / width) * width;
    while (Math.floor((highUs - start) / width) + 1 > limit) {
      width = roundWidth(width * 1.0001);
      start = Math.floor(lowUs / width) * width;
    }
    const n = Math.floor((highUs - start) / width) + 1;
    const counts = new Array<number>(n).fill(0);
    const hdr = this.#hdr;
    hdr.forEachRecorded((lowest, c) => {
      const value = hdr.medianEquivalentValue(lowest);
      const bin = Math.min(n - 1, Math.max(0, Math.floor((value - start) / width)));
      counts[bin] = (counts[bin] ?? 0) + c;
    });
    return counts.map((c, i): [number, number, number] => [
      toMs(start + i * width),
      toMs(start + (i + 1) * width),
      c,
    ]);
  }

  /** Forgets every recorded value. */
  reset(): void {
    this.#hdr.reset();
    this.#count = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = Number.NEGATIVE_INFINITY;
    this.#mean = 0;
    this.#m2 = 0;
  }

  /** A copy that can be changed independently. */
  clone(): LatencyHistogram {
    return new LatencyHistogram().merge(this);
  }

  /**
   * A compact string (exact statistics plus HdrHistogram's compressed base64 V2 encoding) that
   * `LatencyHistogram.decode` turns back into an equal histogram.
   */
  encode(): string {
    const stats = [this.#count, this.#min, this.#max, this.#mean, this.#m2].map(String).join(",");
    return `${ENCODING_VERSION};${stats};${this.#hdr.encodeCompressedBase64()}`;
  }

  /** Reads a string written by `encode()`; throws a `RangeError` when it is not one. */
  static decode(text: string): LatencyHistogram {
    const [version, stats, payload] = text.split(";");
    const numbers = (stats ?? "").split(",").map(Number);
    if (version !== ENCODING_VERSION || payload === undefined || numbers.length !== 5) {
      throw new RangeError("not an encoded LatencyHistogram");
    }
    const [count = 0, min = 0, max = 0, mean = 0, m2 = 0] = numbers;
    let hdr: HdrHistogram;
    try {
      hdr = HdrHistogram.decodeCompressedBase64(payload);
    } catch (error) {
      throw new RangeError(`not an encoded LatencyHistogram: ${(error as Error).message}`);
    }
    if (hdr.lowestDiscernibleValue !== 1 || hdr.significantValueDigits !== SIGNIFICANT_DIGITS) {
      throw new RangeError(
        `not an encoded LatencyHistogram: HdrHistogram of lowest discernible value ${hdr.lowestDiscernibleValue} and ${hdr.significantValueDigits} significant digits, not 1 and ${SIGNIFICANT_DIGITS}`,
      );
    }
    if (hdr.totalCount !== count) {
      throw new RangeError("not an encoded LatencyHistogram: counts disagree");
    }
    const histogram = new LatencyHistogram();
    histogram.#hdr = hdr;
    histogram.#count = count;
    histogram.#min = count > 0 ? min : Number.POSITIVE_INFINITY;
    histogram.#max = count > 0 ? max : Number.NEGATIVE_INFINITY;
    histogram.#mean = mean;
    histogram.#m2 = m2;
    return histogram;
  }

  /** The lowest and highest value (µs) HdrHistogram treats as equal to `us`: the precision at `us`. */
  static equivalentRange(us: number): [number, number] {
    const hdr = sharedProbe ?? (sharedProbe = createHdr());
    const value = Math.round(Math.max(0, us));
    return [hdr.lowestEquivalentValue(value), hdr.highestEquivalentValue(value)];
  }
}

let sharedProbe: HdrHistogram | undefined;

/** The error `record()` throws for a value past 2^53 - 1 µs. */
function tooLarge(us: number): RangeError {
  return new RangeError(`LatencyHistogram: cannot record ${us} µs (at most 2^53 - 1)`);
}

function createHdr(): HdrHistogram {
  return new HdrHistogram(1, HIGHEST_TRACKABLE_US, SIGNIFICANT_DIGITS);
}

/** The smallest width of the form 1, 2 or 5 × 10^k µs (k ≥ 0) that is at least `raw`. */
function roundWidth(raw: number): number {
  if (!(raw > 1)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= raw) return step * magnitude;
  }
  return 10 * magnitude;
}

function toMs(us: number): number {
  return Math.round(us) / 1000;
}
