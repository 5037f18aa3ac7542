import { createRequire } from "node:module";
import type * as HdrHistogramJs from "hdr-histogram-js";

// hdr-histogram-js's index also loads its WebAssembly build, pako and its log reader and writer.
// Measured on Node 20 (`node scripts/import-cost.mjs`): requiring the index costs about 54 ms of CPU
// and 14 MB of resident memory in a fresh process, its Int32Histogram module alone about 8 ms and
// 4.6 MB (7.7 MB with the codec). Only the JS histogram is needed to record; the compressed-base64
// codec is loaded on first encode/decode. hdr-histogram-js is pinned to an exact version in
// package.json, and hdr-histogram-modules.test.ts fails if these paths stop being the library's
// public exports.
const require = createRequire(import.meta.url);

/** hdr-histogram-js's `Int32Histogram` (the same class as the package's public export). */
export const Int32Histogram = (
  require("hdr-histogram-js/dist/Int32Histogram.js") as {
    default: typeof HdrHistogramJs.Int32Histogram;
  }
).default;

/** hdr-histogram-js's compressed-base64 codec (the package's public functions). */
export type HistogramCodec = Pick<
  typeof HdrHistogramJs,
  "encodeIntoCompressedBase64" | "decodeFromCompressedBase64"
>;
let codec: HistogramCodec | undefined;

/** The codec, loaded on first use. */
export function loadCodec(): HistogramCodec {
  return (codec ??= require("hdr-histogram-js/dist/encoding.js") as HistogramCodec);
}
