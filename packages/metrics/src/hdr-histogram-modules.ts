import { createRequire } from "node:module";
import type * as HdrHistogramJs from "hdr-histogram-js";

// hdr-histogram-js's index also loads its WebAssembly build, pako and its log reader and writer:
// measured on Node 20, requiring it costs about 54 ms of CPU and 15.5 MB of resident memory, its
// Int32Histogram module alone 9 ms and 4.7 MB (11 MB vs 4 MB in each load worker thread). Only the
// JS histogram is needed to record; the compressed-base64 codec is loaded on first encode/decode.
// hdr-histogram-js is pinned to an exact version in package.json, and hdr-histogram-modules.test.ts
// fails if these paths stop being the library's public exports.
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
