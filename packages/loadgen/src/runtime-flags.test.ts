import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { LOAD_PROCESS_FLAGS } from "./runtime-flags.js";

// In a child process (the flags are process-wide): sets the given flags at run time, as
// applyLoadProcessFlags does, then allocates 3 million small objects while keeping the last 2 000
// alive, like requests in flight, and prints the young generation's size before and after.
const CHILD = `
import v8 from "node:v8";
for (const flag of JSON.parse(process.argv[1])) v8.setFlagsFromString(flag);
const youngSize = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space").space_size;
const before = youngSize();
const live = new Array(2000);
for (let i = 0; i < 3_000_000; i++) live[i % 2000] = { i, a: [i, i + 1], s: "x" + (i & 1023) };
process.stdout.write(JSON.stringify({ before, after: youngSize() }));
`;

function youngGeneration(flags: readonly string[]): { before: number; after: number } {
  const out = execFileSync(
    process.execPath,
    ["--input-type=module", "-e", CHILD, JSON.stringify(flags)],
    { encoding: "utf8", timeout: 20_000 },
  );
  return JSON.parse(out) as { before: number; after: number };
}

const MIB = 1024 * 1024;

describe("LOAD_PROCESS_FLAGS", () => {
  it("keeps the young generation near its start size under allocation with survivors", () => {
    const tuned = youngGeneration(LOAD_PROCESS_FLAGS);
    expect(tuned.after).toBeLessThanOrEqual(Math.max(2 * tuned.before, 4 * MIB));
  });

  it("is needed: without it the same allocation grows the young generation many times over", () => {
    const plain = youngGeneration([]);
    expect(plain.after).toBeGreaterThanOrEqual(8 * plain.before);
  });

  it("names only flags this Node's V8 accepts at run time", () => {
    // V8 reports an unknown flag on stderr and goes on, so the check is a clean stderr.
    const setAll = `for (const f of ${JSON.stringify(LOAD_PROCESS_FLAGS)}) require("node:v8").setFlagsFromString(f);`;
    const child = spawnSync(process.execPath, ["-e", setAll], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(child.status).toBe(0);
    expect(child.stderr).toBe("");
    const unknown = spawnSync(
      process.execPath,
      ["-e", `require("node:v8").setFlagsFromString("--no-such-flag-for-iter8")`],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(unknown.stderr).toContain("unrecognized flag");
  });
});
