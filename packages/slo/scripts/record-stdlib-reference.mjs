#!/usr/bin/env node
// Records the outputs of the @stdlib distribution functions @iter8/slo used before it had its own
// (src/stats/distributions.ts), over a grid that includes the tails, small and large degrees of
// freedom. src/stats/distributions.test.ts checks our functions against this file.
//
// The @stdlib packages are no longer dependencies; to re-record, install them somewhere and point
// STDLIB_DIR at that directory:
//   mkdir /tmp/stdlib && cd /tmp/stdlib && npm init -y >/dev/null && npm install \
//     @stdlib/stats-base-dists-t-cdf@0.2.3 @stdlib/stats-base-dists-t-quantile@0.2.3 \
//     @stdlib/stats-base-dists-chisquare-cdf@0.3.1 @stdlib/stats-base-dists-normal-cdf@0.3.1 \
//     @stdlib/stats-base-dists-normal-quantile@0.3.1
//   STDLIB_DIR=/tmp/stdlib node packages/slo/scripts/record-stdlib-reference.mjs
import { writeFileSync } from "node:fs";
import process from "node:process";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const from = process.env.STDLIB_DIR ? resolve(process.env.STDLIB_DIR) : resolve(here, "..");
const require = createRequire(join(from, "package.json"));
const load = (name) => ({
  fn: require(`@stdlib/${name}`),
  version: require(`@stdlib/${name}/package.json`).version,
});
const tCdf = load("stats-base-dists-t-cdf");
const tQuantile = load("stats-base-dists-t-quantile");
const chiSquareCdf = load("stats-base-dists-chisquare-cdf");
const normalCdf = load("stats-base-dists-normal-cdf");
const normalQuantile = load("stats-base-dists-normal-quantile");

const dfs = [0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 20, 30, 50, 100, 1000, 1e4, 1e6];
const ts = [-50, -10, -5, -3, -2, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 3, 5, 10, 50];
const ps = [
  1e-10,
  1e-6,
  1e-3,
  0.01,
  0.025,
  0.05,
  0.1,
  0.3,
  0.5,
  0.7,
  0.9,
  0.95,
  0.975,
  0.99,
  0.999,
  1 - 1e-6,
  1 - 1e-10,
];
const chiDfs = [0.5, 1, 2, 3, 4, 5, 10, 20, 50, 100, 1000];
const chiXs = [0.001, 0.01, 0.1, 0.5, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 1000, 1200];
const zs = [
  -37, -30, -20, -10, -8, -6, -5, -4, -3, -2.5, -2, -1.96, -1.5, -1, -0.5, -0.1, 0, 0.1, 0.5, 1,
  1.5, 1.96, 2, 3, 4, 5, 6, 8,
];
// stdlib's normal quantile (by erfinv) returns -Infinity below p = 1e-16: its grid stops at 1e-15;
// the deeper tail is checked against scipy (reference-distributions.json).
const zps = [
  1e-15,
  1e-12,
  1e-10,
  1e-6,
  1e-4,
  0.001,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.4,
  0.5,
  0.6,
  0.75,
  0.9,
  0.95,
  0.975,
  0.99,
  0.999,
  1 - 1e-6,
  1 - 1e-10,
];

const fixture = {
  comment:
    "Outputs of @stdlib distribution functions, recorded by packages/slo/scripts/record-stdlib-reference.mjs; rows are [arguments..., value].",
  node: process.version,
  versions: Object.fromEntries(
    [tCdf, tQuantile, chiSquareCdf, normalCdf, normalQuantile].map((d, i) => [
      [
        "@stdlib/stats-base-dists-t-cdf",
        "@stdlib/stats-base-dists-t-quantile",
        "@stdlib/stats-base-dists-chisquare-cdf",
        "@stdlib/stats-base-dists-normal-cdf",
        "@stdlib/stats-base-dists-normal-quantile",
      ][i],
      d.version,
    ]),
  ),
  tCdf: dfs.flatMap((df) => ts.map((x) => [x, df, tCdf.fn(x, df)])),
  tQuantile: dfs.flatMap((df) => ps.map((p) => [p, df, tQuantile.fn(p, df)])),
  chiSquareCdf: chiDfs.flatMap((df) => chiXs.map((x) => [x, df, chiSquareCdf.fn(x, df)])),
  normalCdf: zs.map((x) => [x, normalCdf.fn(x, 0, 1)]),
  normalQuantile: zps.map((p) => [p, normalQuantile.fn(p, 0, 1)]),
};
const out = join(here, "..", "test", "fixtures", "stdlib-distributions.json");
// One row per line: readable diffs when re-recorded.
const text = JSON.stringify(
  fixture,
  (key, value) =>
    Array.isArray(value) && typeof value[0] === "number" ? JSON.stringify(value) : value,
  1,
).replace(/"(\[[^"]*\])"/g, "$1");
writeFileSync(out, `${text}\n`);
process.stdout.write(`wrote ${out}\n`);
