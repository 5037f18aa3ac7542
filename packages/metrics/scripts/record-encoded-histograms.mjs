#!/usr/bin/env node
// Records strings written by `LatencyHistogram.encode()` together with what the histogram reported
// (count, min, max, mean, stddev, percentiles, chart buckets) into
// test/fixtures/encoded-latency-histograms.json. src/latency-histogram.test.ts decodes every string
// and checks that the decoded histogram reports the same.
//
// The committed file was recorded with the LatencyHistogram that ran on hdr-histogram-js 3.0.1
// (Int32Histogram, 1 µs .. 60 s, 3 significant digits, compressed base64 V2 encoding), before
// @iter8/metrics had its own HdrHistogram: result files written by those versions keep decoding.
// Re-running it records what the current build writes (build first: `pnpm --filter @iter8/metrics build`):
//   node packages/metrics/scripts/record-encoded-histograms.mjs
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { LatencyHistogram } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));

/** Deterministic uniform [0, 1) (mulberry32), so the cases can be recorded again. */
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal latencies in µs around `median`, some with fractions of a microsecond. */
function latencies(n, seed, median, sigma, fractional) {
  const random = seeded(seed);
  const out = [];
  for (let i = 0; i < n; i++) {
    const u = Math.max(random(), 1e-12);
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    const value = median * Math.exp(sigma * normal);
    out.push(fractional ? Math.round(value * 1000) / 1000 : Math.round(value));
  }
  return out;
}

const boundaries = [0, 1, 2, 1023, 1024, 1025, 2047, 2048, 2049, 4095, 4096, 65_535, 65_536];
const cases = {
  empty: [],
  "one zero": [0],
  "one value": [1234],
  "bucket boundaries": boundaries,
  "typical latencies": latencies(20_000, 1, 300, 1.1, false),
  "fractional latencies": latencies(5_000, 2, 2_500, 0.6, true),
  "slow tail past 60 s (the histogram grew)": [
    ...latencies(3_000, 3, 40_000, 0.8, false),
    59_999_999,
    60_000_000,
    60_000_001,
    90_000_000,
    5_000_000_000,
  ],
  "many equal values": Array.from({ length: 50_000 }, () => 777),
};

const percentiles = [0, 0.1, 1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100];
const recorded = {};
for (const [name, values] of Object.entries(cases)) {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  recorded[name] = {
    encoded: h.encode(),
    count: h.count,
    min: h.min,
    max: h.max,
    mean: h.mean,
    stddev: h.stddev,
    percentiles: Object.fromEntries(percentiles.map((p) => [String(p), h.percentile(p)])),
    buckets: h.buckets(20),
  };
}
// Merged and decoded histograms, as the load generator's workers and shards send them.
const parts = [cases["typical latencies"], cases["slow tail past 60 s (the histogram grew)"]];
const merged = new LatencyHistogram();
for (const part of parts) {
  const h = new LatencyHistogram();
  for (const v of part) h.record(v);
  merged.merge(LatencyHistogram.decode(h.encode()));
}
recorded["merged after decoding"] = {
  encoded: merged.encode(),
  count: merged.count,
  min: merged.min,
  max: merged.max,
  mean: merged.mean,
  stddev: merged.stddev,
  percentiles: Object.fromEntries(percentiles.map((p) => [String(p), merged.percentile(p)])),
  buckets: merged.buckets(20),
};

const out = join(here, "..", "test", "fixtures", "encoded-latency-histograms.json");
const text = JSON.stringify(
  {
    writtenBy: process.env.RECORDED_BY ?? "the current @iter8/metrics build",
    percentiles,
    cases: recorded,
  },
  null,
  2,
);
writeFileSync(out, `${text}\n`);
process.stdout.write(`wrote ${Object.keys(recorded).length} cases to ${out}\n`);
