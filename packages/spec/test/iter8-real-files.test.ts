import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { validateExperimentFile } from "../src/index.js";

// Real experiment files written for Iter8 v0.8–v0.14, kept outside the repository (../shared
// beside the checkout on CI). ITER8_COMPAT_DIR may point at another copy.
const root = resolve(import.meta.dirname, "..", "..", "..");
const candidates = [
  process.env.ITER8_COMPAT_DIR,
  join(root, "..", "shared", "iter8-compat"),
  join(root, "..", "..", "shared", "iter8-compat"),
].filter((dir): dir is string => dir !== undefined);
const compat = candidates.find((dir) => existsSync(join(dir, "experiments")));
const files = compat
  ? readdirSync(join(compat, "experiments"))
      .filter((f) => f.endsWith(".yaml"))
      .sort()
  : [];

if (!compat) {
  console.warn(
    `skipping the real Iter8 experiment files: none of ${candidates.join(", ")} has experiments/`,
  );
}

// What Iter8 did with each file, as the folder's README says: files named *grpc* are gRPC load
// tests whose misspelt key connect-timeeout Go ignored (refused for it alone; valid with
// --lenient), *bad-keys* is invalid for Iter8 too, every other one is valid.
function expectation(file: string): "grpc" | "invalid" | "valid" {
  if (file.includes("grpc")) return "grpc";
  if (file.includes("bad-keys")) return "invalid";
  return "valid";
}

describe.skipIf(!compat)("real Iter8 experiment files (../shared/iter8-compat)", () => {
  it("has files to check", () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)("%s behaves as Iter8 did", async (file) => {
    const result = await validateExperimentFile(join(compat ?? "", "experiments", file));
    const expected = expectation(file);
    if (expected === "valid") {
      expect(result.ok ? [] : result.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([]);
    } else if (expected === "grpc") {
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues.map((i) => i.message)).toEqual([
        expect.stringContaining('unknown key "connect-timeeout"; did you mean "connect-timeout"?'),
      ]);
      const lenient = await validateExperimentFile(join(compat ?? "", "experiments", file), {
        lenient: true,
      });
      expect(lenient.ok ? [] : lenient.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([]);
      if (!lenient.ok) return;
      expect(lenient.value.tasks.map((t) => t.task)).toContain("grpc");
    } else {
      expect(result.ok).toBe(false);
    }
  });

  it("warns about what it mapped in the files of renamed tasks", async () => {
    for (const file of files.filter(
      (f) => /v0\.(8\.29|9\.|10\.)/u.test(f) && !f.includes("grpc"),
    )) {
      const result = await validateExperimentFile(join(compat ?? "", "experiments", file));
      expect(result.warnings.map((w) => w.message).join("\n"), file).toMatch(/ is read as "/u);
    }
  });
});
