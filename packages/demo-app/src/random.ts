/** A source of uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * A seeded, reproducible uniform generator (mulberry32) started from `seed` (used modulo 2^32): the
 * same seed gives the same sequence on every run and machine. Tests draw their data from it.
 */
export function createSeededRandom(seed: number): RandomSource {
  return mulberry32(seed);
}

/**
 * A random source: seeded and reproducible (mulberry32) when `seed` is given, else `Math.random`.
 * `stream` picks an independent sequence for the same seed (one per version and purpose).
 */
export function createRandomSource(seed: number | undefined, stream = 0): RandomSource {
  if (seed === undefined) return Math.random;
  // Mix seed and stream so neighbouring streams do not share a sequence (splitmix32-style hash).
  return mulberry32(mixBits((seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b9)));
}

/** mulberry32 (Tommy Ettinger): a 32-bit state advanced by a Weyl step, then hashed to [0, 1). */
function mulberry32(initial: number): RandomSource {
  let state = initial >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mixBits(value: number): number {
  let z = value | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) | 0;
}
