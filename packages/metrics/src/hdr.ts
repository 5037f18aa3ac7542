import { createRequire } from "node:module";
import type * as Zlib from "node:zlib";

// HdrHistogram (Gil Tene's High Dynamic Range histogram, https://hdrhistogram.github.io/HdrHistogram/)
// with the bucket layout, percentile semantics and V2 encoding of the reference implementations
// (Java and hdr-histogram-js): what hdr-histogram-js writes decodes here and the other way round.
//
// Layout: with `unitMagnitude = floor(log2(lowestDiscernibleValue))` and
// `subBucketHalfCountMagnitude = ceil(log2(2 * 10^digits)) - 1`, value v falls in bucket
// `b = max(0, floor(log2 v) - subBucketHalfCountMagnitude - unitMagnitude)` and sub-bucket
// `s = floor(v / 2^(b + unitMagnitude))`, at index `b * subBucketHalfCount + s` of one flat counts
// array. Bucket 0 uses all its sub-buckets; every later bucket only its top half (its bottom half is
// covered, more finely, by the buckets below).

/** V2 encoding cookie base; `| 0x10` marks LEB128-64b9B + ZigZag counts. */
const V2_ENCODING_COOKIE_BASE = 0x1c849303;
/** V2 compressed (zlib deflate) wrapper cookie base. */
const V2_COMPRESSED_COOKIE_BASE = 0x1c849304;
const WORD_SIZE_BITS = 0x10;
/** cookie, payload length, normalizing index offset, digits, lowest (i64), highest (i64), ratio (f64). */
const V2_HEADER_BYTES = 40;
/** A count or zero run takes at most 9 bytes (LEB128-64b9B). */
const V2_MAX_WORD_BYTES = 9;
/** Refuse to inflate more than this: a dense 5-digit histogram up to 2^53 stays below. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
const UINT32_MAX = 0xffffffff;
/** record()'s fast path: values (and the sub-bucket mask) below 2^31. */
const FAST_PATH_LIMIT = 0x7fffffff;
const TWO_POW_32 = 2 ** 32;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

// node:zlib costs about 2.5 ms of CPU to load; only encoding and decoding need it.
const require = createRequire(import.meta.url);
let zlib: typeof Zlib | undefined;
const loadZlib = (): typeof Zlib => (zlib ??= require("node:zlib") as typeof Zlib);

/** Counts: 32-bit while they fit, widened to 64-bit floats (exact to 2^53) when one would not. */
type Counts = Uint32Array | Float64Array;

/**
 * An HdrHistogram of non-negative integers: a fixed relative precision (`significantValueDigits`
 * decimal digits) from `lowestDiscernibleValue` up, growing past `highestTrackableValue` when a
 * larger value is recorded. Counts are 32-bit (widened to 64-bit floats if one passes 2^32 - 1).
 * `record()` allocates nothing unless the histogram grows.
 */
export class HdrHistogram {
  // The layout fields start as small integers (not undefined), so V8 keeps them as such.
  /** The smallest value told apart from 0 (rounded down to a power of two internally). */
  readonly lowestDiscernibleValue: number;
  /** Decimal digits of precision kept at every value (0..5). */
  readonly significantValueDigits: number;
  #highestTrackableValue: number;
  readonly #unitMagnitude: number = 0;
  readonly #subBucketHalfCountMagnitude: number = 0;
  readonly #subBucketHalfCount: number = 0;
  /** Bucket index = this minus clz32(v | subBucketMask), for v < 2^31 (Java's leading-zero trick). */
  readonly #bucketBase: number = 0;
  readonly #subBucketMask: number = 0;
  /** Largest value the fast path of record() handles (-1 when the mask needs more bits). */
  readonly #fastPathLimit: number = 0;
  #counts: Counts;

  /** An empty histogram; throws a `RangeError` on parameters HdrHistogram does not allow. */
  constructor(
    lowestDiscernibleValue: number,
    highestTrackableValue: number,
    significantValueDigits: number,
  ) {
    if (
      !Number.isSafeInteger(lowestDiscernibleValue) ||
      lowestDiscernibleValue < 1 ||
      !Number.isSafeInteger(highestTrackableValue) ||
      highestTrackableValue < 2 * lowestDiscernibleValue ||
      !Number.isInteger(significantValueDigits) ||
      significantValueDigits < 0 ||
      significantValueDigits > 5
    ) {
      throw new RangeError(
        `HdrHistogram: lowest discernible value ${lowestDiscernibleValue} (an integer >= 1), highest trackable value ${highestTrackableValue} (>= 2 * lowest, <= 2^53 - 1) and ${significantValueDigits} significant digits (0..5) are not a valid histogram`,
      );
    }
    this.lowestDiscernibleValue = lowestDiscernibleValue;
    this.significantValueDigits = significantValueDigits;
    // `| 0` everywhere below: small integers, so that V8 keeps the fields untagged integers and
    // record() reads them without a number check (measured: a quarter fewer instructions).
    this.#unitMagnitude = Math.floor(Math.log2(lowestDiscernibleValue)) | 0;
    // Single-unit resolution up to 2 * 10^digits, in a power-of-two number of sub-buckets.
    const subBucketCountMagnitude = Math.ceil(Math.log2(2 * 10 ** significantValueDigits));
    this.#subBucketHalfCountMagnitude = (Math.max(subBucketCountMagnitude, 1) - 1) | 0;
    this.#subBucketHalfCount = (1 << this.#subBucketHalfCountMagnitude) | 0;
    const mask = (2 * this.#subBucketHalfCount - 1) * 2 ** this.#unitMagnitude;
    // The fast path works on values and masks of 31 bits (up to 35 minutes in µs).
    const fast = mask <= FAST_PATH_LIMIT;
    this.#subBucketMask = fast ? mask | 0 : 0;
    this.#bucketBase = (31 - this.#unitMagnitude - this.#subBucketHalfCountMagnitude) | 0;
    this.#fastPathLimit = fast ? FAST_PATH_LIMIT : -1;
    this.#counts = new Uint32Array(this.#lengthToCover(highestTrackableValue));
    this.#highestTrackableValue = highestTrackableValue;
  }

  /** The largest value recordable without growing (grows with the histogram). */
  get highestTrackableValue(): number {
    return this.#highestTrackableValue;
  }

  /**
   * Number of recorded values: the sum of the counts, not kept as a running total, so that
   * record() does one memory update instead of two (the sum is exact to 2^53).
   */
  get totalCount(): number {
    const counts = this.#counts;
    let total = 0;
    for (let i = 0; i < counts.length; i++) total += counts[i]!;
    return total;
  }

  /**
   * Records one value: a non-negative integer up to 2^53 - 1 (fractions are dropped, as
   * HdrHistogram does). Throws a `RangeError` for a negative, NaN or larger value.
   */
  record(value: number): void {
    // The common case on its own, so that the index stays a small integer in optimised code.
    if (value >= 0 && value <= this.#fastPathLimit) {
      const bucket = this.#bucketBase - Math.clz32(value | this.#subBucketMask);
      const index =
        (bucket << this.#subBucketHalfCountMagnitude) + (value >>> (bucket + this.#unitMagnitude));
      const counts = this.#counts;
      if (index < counts.length) {
        const count = counts[index]! + 1;
        if (count <= UINT32_MAX) {
          counts[index] = count;
          return;
        }
      }
    }
    this.recordCount(value, 1);
  }

  /** Records `value` `count` times (`count` a non-negative safe integer). */
  recordCount(value: number, count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(`HdrHistogram: a count must be a non-negative integer, got ${count}`);
    }
    const index = this.#indexOf(value);
    if (index >= this.#counts.length) this.#growToCover(value);
    this.#setCount(index, this.#counts[index]! + count);
  }

  /** The lowest value of the smallest non-empty bucket (0 when empty): `valueAtPercentile(0)`. */
  get min(): number {
    const counts = this.#counts;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] !== 0) return this.#valueFromIndex(i);
    }
    return 0;
  }

  /** The highest value of the largest non-empty bucket (0 when empty): `valueAtPercentile(100)`. */
  get max(): number {
    const last = this.#lastRecordedIndex();
    return last < 0 ? 0 : this.#highestValueAtIndex(last);
  }

  /** Mean of the recorded values, each taken as its bucket's median value (0 when empty). */
  get mean(): number {
    const totalCount = this.totalCount;
    if (totalCount === 0) return 0;
    const counts = this.#counts;
    let total = 0;
    for (let i = 0; i < counts.length; i++) {
      const count = counts[i]!;
      if (count !== 0) total += this.#medianValueAtIndex(i) * count;
    }
    return total / totalCount;
  }

  /** Population standard deviation, values taken as their buckets' median values (0 when empty). */
  get stddev(): number {
    const totalCount = this.totalCount;
    if (totalCount === 0) return 0;
    const mean = this.mean;
    const counts = this.#counts;
    let total = 0;
    for (let i = 0; i < counts.length; i++) {
      const count = counts[i]!;
      if (count === 0) continue;
      const deviation = this.#medianValueAtIndex(i) - mean;
      total += deviation * deviation * count;
    }
    return Math.sqrt(total / totalCount);
  }

  /**
   * The value that `percentile` percent of the recorded values are less than or equivalent to: the
   * highest value of the bucket holding the value of that rank; for 0, the lowest value of the first
   * non-empty bucket. 0 when empty. `percentile` in [0, 100], else a `RangeError`.
   */
  valueAtPercentile(percentile: number): number {
    if (!(percentile >= 0 && percentile <= 100)) {
      throw new RangeError(`HdrHistogram: percentile must be in [0, 100], got ${percentile}`);
    }
    // The rank, rounded up, less one ulp of the floating-point product so that an exact count is
    // not rounded past (HdrHistogram's rule).
    const fpRank = (percentile / 100) * this.totalCount;
    const rank = Math.max(Math.ceil(fpRank - 2 ** (Math.floor(Math.log2(fpRank)) - 52)), 1);
    const counts = this.#counts;
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i]!;
      if (seen >= rank) {
        return percentile === 0 ? this.#valueFromIndex(i) : this.#highestValueAtIndex(i);
      }
    }
    return 0;
  }

  /** The smallest value counted together with `value` (the start of its bucket). */
  lowestEquivalentValue(value: number): number {
    return this.#valueFromIndex(this.#indexOf(value));
  }

  /** The largest value counted together with `value` (the end of its bucket). */
  highestEquivalentValue(value: number): number {
    return this.#highestValueAtIndex(this.#indexOf(value));
  }

  /** The middle (rounded up) of the values counted together with `value`. */
  medianEquivalentValue(value: number): number {
    return this.#medianValueAtIndex(this.#indexOf(value));
  }

  /** Calls `visit` with the lowest value and the count of every non-empty bucket, in value order. */
  forEachRecorded(visit: (lowestValue: number, count: number) => void): void {
    const counts = this.#counts;
    for (let i = 0; i < counts.length; i++) {
      const count = counts[i]!;
      if (count !== 0) visit(this.#valueFromIndex(i), count);
    }
  }

  /** Adds every value of `other` (growing this histogram when needed); returns `this`. */
  add(other: HdrHistogram): this {
    const last = other.#lastRecordedIndex();
    if (last < 0) return this;
    if (
      other.#unitMagnitude === this.#unitMagnitude &&
      other.#subBucketHalfCountMagnitude === this.#subBucketHalfCountMagnitude
    ) {
      // Same layout: index i means the same bucket in both.
      if (last >= this.#counts.length) this.#growToCover(other.#valueFromIndex(last));
      let counts = this.#counts;
      const from = other.#counts;
      for (let i = 0; i <= last; i++) {
        const count = from[i]!;
        if (count === 0) continue;
        const sum = counts[i]! + count;
        if (sum <= UINT32_MAX) {
          counts[i] = sum;
        } else {
          this.#setCount(i, sum);
          counts = this.#counts; // may have been widened
        }
      }
    } else {
      other.forEachRecorded((value, count) => this.recordCount(value, count));
    }
    return this;
  }

  /** Forgets every recorded value (the size it grew to is kept). */
  reset(): void {
    this.#counts.fill(0);
  }

  /** An independent copy. */
  copy(): HdrHistogram {
    const copy = new HdrHistogram(
      this.lowestDiscernibleValue,
      this.#highestTrackableValue,
      this.significantValueDigits,
    );
    copy.#counts = this.#counts.slice();
    return copy;
  }

  /**
   * HdrHistogram's V2 encoding, deflated and in base64 (what `encodeIntoCompressedBase64` of
   * hdr-histogram-js and `Histogram.encodeIntoCompressedByteBuffer` of Java's HdrHistogram write).
   */
  encodeCompressedBase64(): string {
    const encoded = this.#encodeV2();
    const compressed = loadZlib().deflateSync(encoded);
    const out = Buffer.alloc(8 + compressed.length);
    out.writeInt32BE(V2_COMPRESSED_COOKIE_BASE | WORD_SIZE_BITS, 0);
    out.writeInt32BE(compressed.length, 4);
    compressed.copy(out, 8);
    return out.toString("base64");
  }

  /**
   * Reads HdrHistogram's compressed base64 V2 encoding (by this class, hdr-histogram-js or Java's
   * HdrHistogram). Throws a `RangeError` naming what is wrong when `text` is not one.
   */
  static decodeCompressedBase64(text: string): HdrHistogram {
    const trimmed = text.trim();
    if (trimmed.length % 4 !== 0 || !BASE64.test(trimmed)) {
      throw new RangeError("HdrHistogram: not base64");
    }
    const bytes = Buffer.from(trimmed, "base64");
    if (bytes.length < 8) throw new RangeError("HdrHistogram: too short for an encoded histogram");
    const cookie = bytes.readInt32BE(0);
    if ((cookie & ~0xf0) !== V2_COMPRESSED_COOKIE_BASE) {
      throw new RangeError("HdrHistogram: no compressed V2 encoding cookie");
    }
    const compressedLength = bytes.readInt32BE(4);
    if (compressedLength < 0 || compressedLength > bytes.length - 8) {
      throw new RangeError(
        `HdrHistogram: compressed length ${compressedLength} exceeds the ${bytes.length - 8} bytes given`,
      );
    }
    let inflated: Buffer;
    try {
      inflated = loadZlib().inflateSync(bytes.subarray(8, 8 + compressedLength), {
        maxOutputLength: MAX_INFLATED_BYTES,
      });
    } catch (error) {
      throw new RangeError(`HdrHistogram: cannot inflate: ${(error as Error).message}`);
    }
    return HdrHistogram.#decodeV2(inflated);
  }

  #encodeV2(): Buffer {
    const limit = Math.max(this.#lastRecordedIndex() + 1, 1);
    const out = Buffer.alloc(V2_HEADER_BYTES + limit * V2_MAX_WORD_BYTES);
    out.writeInt32BE(V2_ENCODING_COOKIE_BASE | WORD_SIZE_BITS, 0);
    out.writeInt32BE(0, 8); // normalizing index offset
    out.writeInt32BE(this.significantValueDigits, 12);
    writeInt64(out, 16, this.lowestDiscernibleValue);
    writeInt64(out, 24, this.#highestTrackableValue);
    out.writeDoubleBE(1, 32); // integer to double value conversion ratio
    const counts = this.#counts;
    let position = V2_HEADER_BYTES;
    let index = 0;
    while (index < limit) {
      const count = counts[index++]!;
      if (count !== 0) {
        position = writeZigZag(out, position, count);
        continue;
      }
      // A run of zeros is written as its negated length (a single zero as the count 0).
      let zeros = 1;
      while (index < limit && counts[index] === 0) {
        zeros++;
        index++;
      }
      position = writeZigZag(out, position, zeros > 1 ? -zeros : 0);
    }
    out.writeInt32BE(position - V2_HEADER_BYTES, 4);
    return out.subarray(0, position);
  }

  static #decodeV2(bytes: Buffer): HdrHistogram {
    if (bytes.length < V2_HEADER_BYTES) {
      throw new RangeError("HdrHistogram: too short for a V2 header");
    }
    const cookie = bytes.readInt32BE(0);
    if (cookie !== (V2_ENCODING_COOKIE_BASE | WORD_SIZE_BITS)) {
      throw new RangeError("HdrHistogram: no V2 encoding cookie");
    }
    const payloadLength = bytes.readInt32BE(4);
    if (payloadLength < 0 || payloadLength > bytes.length - V2_HEADER_BYTES) {
      throw new RangeError(
        `HdrHistogram: payload length ${payloadLength} exceeds the ${bytes.length - V2_HEADER_BYTES} bytes given`,
      );
    }
    // The normalizing index offset (8) and the conversion ratio (32) matter only to shifted and
    // double histograms; hdr-histogram-js writes 1 in both, so neither is checked.
    const digits = bytes.readInt32BE(12);
    const lowest = readInt64(bytes, 16);
    const highest = readInt64(bytes, 24);
    const histogram = new HdrHistogram(lowest, highest, digits);
    const maxLength = histogram.#lengthToCover(Number.MAX_SAFE_INTEGER);
    const end = V2_HEADER_BYTES + payloadLength;
    let position = V2_HEADER_BYTES;
    let index = 0;
    while (position < end) {
      let encoded = 0;
      let scale = 1;
      let done = false;
      for (let i = 0; i < V2_MAX_WORD_BYTES && !done; i++) {
        if (position >= end) throw new RangeError("HdrHistogram: counts end inside a number");
        const byte = bytes[position++]!;
        // The ninth byte carries 8 bits; the others 7 and a continuation bit.
        encoded += (i < V2_MAX_WORD_BYTES - 1 ? byte & 0x7f : byte) * scale;
        scale *= 128;
        done = i === V2_MAX_WORD_BYTES - 1 || (byte & 0x80) === 0;
      }
      const value = encoded % 2 === 0 ? encoded / 2 : -(encoded + 1) / 2;
      if (!Number.isSafeInteger(value)) {
        throw new RangeError("HdrHistogram: a count beyond 2^53 - 1");
      }
      if (value < 0) {
        index -= value;
        continue;
      }
      if (index >= maxLength) {
        throw new RangeError("HdrHistogram: counts beyond the largest trackable value");
      }
      if (value !== 0) {
        if (index >= histogram.#counts.length) {
          histogram.#growToCover(histogram.#valueFromIndex(index));
        }
        histogram.#setCount(index, value);
      }
      index++;
    }
    return histogram;
  }

  /** Index of `value` in the counts, by exact arithmetic for any value up to 2^53 - 1. */
  #indexOf(value: number): number {
    if (!(value >= 0 && value <= Number.MAX_SAFE_INTEGER)) {
      throw new RangeError(`HdrHistogram: cannot record ${value} (want 0 .. 2^53 - 1)`);
    }
    const shift = this.#subBucketHalfCountMagnitude + this.#unitMagnitude;
    let bucket = Math.max(0, Math.floor(Math.log2(value)) - shift);
    // Math.log2 may round up just below a power of two; the sub-bucket then lands in the lower half.
    if (bucket > 0 && value < 2 ** (bucket + shift)) bucket--;
    const subBucket = Math.floor(value / 2 ** (bucket + this.#unitMagnitude));
    return bucket * this.#subBucketHalfCount + subBucket;
  }

  #bucketOfIndex(index: number): number {
    return Math.max(0, Math.floor(index / this.#subBucketHalfCount) - 1);
  }

  /** The lowest value counted at `index`. */
  #valueFromIndex(index: number): number {
    const bucket = this.#bucketOfIndex(index);
    return (index - bucket * this.#subBucketHalfCount) * 2 ** (bucket + this.#unitMagnitude);
  }

  #highestValueAtIndex(index: number): number {
    const size = 2 ** (this.#bucketOfIndex(index) + this.#unitMagnitude);
    return this.#valueFromIndex(index) + size - 1;
  }

  #medianValueAtIndex(index: number): number {
    const size = 2 ** (this.#bucketOfIndex(index) + this.#unitMagnitude);
    return this.#valueFromIndex(index) + Math.floor(size / 2);
  }

  #lastRecordedIndex(): number {
    const counts = this.#counts;
    for (let i = counts.length - 1; i >= 0; i--) {
      if (counts[i] !== 0) return i;
    }
    return -1;
  }

  /** Counts length whose buckets cover `value`: one half-bucket per bucket, plus bucket 0's lower half. */
  #lengthToCover(value: number): number {
    let smallestUntrackable = 2 * this.#subBucketHalfCount * 2 ** this.#unitMagnitude;
    let buckets = 1;
    while (smallestUntrackable <= value) {
      if (smallestUntrackable > Number.MAX_SAFE_INTEGER / 2) {
        buckets++;
        break;
      }
      smallestUntrackable *= 2;
      buckets++;
    }
    return (buckets + 1) * this.#subBucketHalfCount;
  }

  #growToCover(value: number): void {
    const length = this.#lengthToCover(value);
    if (length <= this.#counts.length) return;
    const counts =
      this.#counts instanceof Uint32Array ? new Uint32Array(length) : new Float64Array(length);
    counts.set(this.#counts);
    this.#counts = counts;
    this.#highestTrackableValue = this.#highestValueAtIndex(length - 1);
  }

  /** Sets a count, widening the counts to 64-bit floats when it does not fit 32 bits. */
  #setCount(index: number, count: number): void {
    if (count > UINT32_MAX && this.#counts instanceof Uint32Array) {
      this.#counts = Float64Array.from(this.#counts);
    }
    this.#counts[index] = count;
  }
}

function writeInt64(out: Buffer, offset: number, value: number): void {
  out.writeUInt32BE(Math.floor(value / TWO_POW_32), offset);
  out.writeUInt32BE(value % TWO_POW_32, offset + 4);
}

function readInt64(bytes: Buffer, offset: number): number {
  const high = bytes.readUInt32BE(offset);
  if (high >= 2 ** 21) throw new RangeError("HdrHistogram: a header value beyond 2^53 - 1");
  return high * TWO_POW_32 + bytes.readUInt32BE(offset + 4);
}

/** ZigZag then LEB128-64b9B (up to 8 bytes of 7 bits, then one of 8), as HdrHistogram's V2 counts. */
function writeZigZag(out: Buffer, offset: number, value: number): number {
  let encoded = value >= 0 ? value * 2 : -value * 2 - 1;
  let position = offset;
  for (let i = 0; i < V2_MAX_WORD_BYTES - 1; i++) {
    if (encoded < 128) {
      out[position++] = encoded;
      return position;
    }
    out[position++] = (encoded % 128) | 0x80;
    encoded = Math.floor(encoded / 128);
  }
  out[position++] = encoded;
  return position;
}
