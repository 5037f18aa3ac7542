import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
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

// In a child process: sets the given flags, fills the old generation past 10 MB and collects it
// (a full collection with that much committed memory arms V8's memory reducer, as the collection
// while the CLI's modules load does), then allocates about 0.3 KB/ms, the rate at which the reducer
// takes the process for idle, for 11 s. Prints when each full collection after that started, in
// ms after the forced one. The reducer checks 8 s after arming.
const IDLE_CHILD = `
import v8 from "node:v8";
import vm from "node:vm";
import { PerformanceObserver, constants } from "node:perf_hooks";
for (const flag of JSON.parse(process.argv[1])) v8.setFlagsFromString(flag);
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
let armedAt = Infinity;
const later = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && e.startTime > armedAt) {
      later.push(Math.round(e.startTime - armedAt));
    }
  }
}).observe({ entryTypes: ["gc"] });
let keep = [];
for (let i = 0; i < 500_000; i++) keep.push({ i, s: "x" + i });
gc();
keep = null;
armedAt = performance.now();
let sink;
const tick = setInterval(() => {
  const a = [];
  for (let i = 0; i < 100; i++) a.push({ i });
  sink = a;
}, 20);
setTimeout(() => {
  clearInterval(tick);
  process.stdout.write(JSON.stringify(later));
}, 11_000);
`;

/** Full collections (ms after arming the reducer) in IDLE_CHILD with `flags`. */
async function laterFullCollections(flags: readonly string[]): Promise<number[]> {
  // A 1 MiB young generation either way, so both children scavenge (and sample their allocation
  // rate, which the reducer reads) alike.
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--max-semi-space-size=1", "--input-type=module", "-e", IDLE_CHILD, JSON.stringify(flags)],
    { encoding: "utf8", timeout: 40_000 },
  );
  return JSON.parse(stdout) as number[];
}

describe("LOAD_PROCESS_FLAGS", () => {
  it("keeps the young generation near its start size under allocation with survivors", () => {
    const tuned = youngGeneration(LOAD_PROCESS_FLAGS);
    expect(tuned.after).toBeLessThanOrEqual(Math.max(2 * tuned.before, 4 * MIB));
  });

  it("is needed: without it the same allocation grows the young generation many times over", () => {
    const plain = youngGeneration([]);
    expect(plain.after).toBeGreaterThanOrEqual(8 * plain.before);
  });

  describe("V8's memory reducer in a slowly allocating process", () => {
    let plain: number[] = [];
    let tuned: number[] = [];
    beforeAll(async () => {
      [plain, tuned] = await Promise.all([
        laterFullCollections([]),
        laterFullCollections(LOAD_PROCESS_FLAGS),
      ]);
    }, 60_000);

    it("runs full collections about 8 s after one with V8's defaults", () => {
      expect(plain.some((ms) => ms >= 7_000)).toBe(true);
    });

    it("runs none with the load flags", () => {
      expect(tuned).toEqual([]);
    });
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
