import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { PROXY_PROCESS_FLAGS } from "./runtime-flags.js";

// In a child process (the flags are process-wide), started with V8's pretenuring trace: sets the
// given flags at run time, as applyProxyProcessFlags does, then allocates 2 million small literals
// (an object and its array, like a parsed request head) while keeping the last 20 000 alive, like
// requests in flight. The trace prints a line per allocation site V8 weighs for pretenuring.
const CHILD = `
import v8 from "node:v8";
for (const flag of JSON.parse(process.argv[1])) v8.setFlagsFromString(flag);
const live = new Array(20000);
for (let i = 0; i < 2_000_000; i++) live[i % 20000] = { i, headers: [i] };
`;

function pretenuringDecisions(flags: readonly string[]): string[] {
  const child = spawnSync(
    process.execPath,
    ["--trace-pretenuring-statistics", "--input-type=module", "-e", CHILD, JSON.stringify(flags)],
    { encoding: "utf8", timeout: 20_000 },
  );
  expect(child.status).toBe(0);
  return child.stdout.split("\n").filter((line) => line.includes("pretenuring: AllocationSite"));
}

describe("PROXY_PROCESS_FLAGS", () => {
  it("keeps V8 from pretenuring the literals of a request path", () => {
    expect(pretenuringDecisions(PROXY_PROCESS_FLAGS)).toEqual([]);
  });

  it("is needed: without it V8 weighs the same literals for pretenuring", () => {
    const decisions = pretenuringDecisions([]);
    expect(decisions.some((line) => /=> (maybe tenure|tenure)\b/.test(line))).toBe(true);
  });

  it("names only flags this Node's V8 accepts at run time", () => {
    // V8 reports an unknown flag on stderr and goes on, so the check is a clean stderr.
    const setAll = `for (const f of ${JSON.stringify(PROXY_PROCESS_FLAGS)}) require("node:v8").setFlagsFromString(f);`;
    const child = spawnSync(process.execPath, ["-e", setAll], {
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(child.status).toBe(0);
    expect(child.stderr).toBe("");
  });
});
