import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { Int32Histogram, loadCodec } from "./hdr-histogram-modules.js";

const require = createRequire(import.meta.url);

describe("hdr-histogram-js's modules (deep imports)", () => {
  it("give the very class and functions the package exports", async () => {
    const hdr = await import("hdr-histogram-js");
    expect(Int32Histogram).toBe(hdr.Int32Histogram);
    const codec = loadCodec();
    expect(codec.encodeIntoCompressedBase64).toBe(hdr.encodeIntoCompressedBase64);
    expect(codec.decodeFromCompressedBase64).toBe(hdr.decodeFromCompressedBase64);
  });

  it("come from the exact hdr-histogram-js version package.json pins", () => {
    const manifest = JSON.parse(
      readFileSync(new URL("../package.json", import.meta.url), "utf8"),
    ) as { dependencies: Record<string, string> };
    const pinned = manifest.dependencies["hdr-histogram-js"];
    // An exact version: a range would let users get a release whose internals moved.
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    const installed = (require("hdr-histogram-js/package.json") as { version: string }).version;
    expect(installed).toBe(pinned);
  });
});
