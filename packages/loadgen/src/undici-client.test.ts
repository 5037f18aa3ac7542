import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { UNDICI_VERSION } from "./engine-setup.js";
import { Client } from "./undici-client.js";

const require = createRequire(import.meta.url);

describe("undici's Client module (a deep import)", () => {
  it("is the very class undici exports as Client", async () => {
    const undici = await import("undici");
    expect(Client).toBe(undici.Client);
  });

  it("comes from the exact undici version package.json pins (an optional peer)", () => {
    const manifest = JSON.parse(
      readFileSync(new URL("../package.json", import.meta.url), "utf8"),
    ) as {
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
      devDependencies: Record<string, string>;
    };
    const pinned = manifest.peerDependencies.undici;
    // An exact version: a range would let users get a release whose internals moved.
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.peerDependenciesMeta.undici?.optional).toBe(true);
    expect(manifest.devDependencies.undici).toBe(pinned);
    // The install command of the "undici is missing" error names the same version.
    expect(UNDICI_VERSION).toBe(pinned);
    const installed = (require("undici/package.json") as { version: string }).version;
    expect(installed).toBe(pinned);
  });
});
