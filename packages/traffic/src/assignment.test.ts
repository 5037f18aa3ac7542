import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ASSIGNMENT_ERROR_CODES, assignVersion, hashToUnitInterval } from "./assignment.js";

const run = promisify(execFile);
const USERS = 100_000;

function shares(weights: number[], salt?: string): number[] {
  const counts = weights.map(() => 0);
  for (let u = 0; u < USERS; u++) {
    const v = assignVersion(`user-${u}`, weights, salt);
    counts[v] = (counts[v] ?? 0) + 1;
  }
  return counts.map((c) => c / USERS);
}

describe("assignVersion", () => {
  it("splits 100 000 users 75/25 within 0.5 percentage points", () => {
    const [a, b] = shares([75, 25]);
    expect(Math.abs((a ?? 0) - 0.75)).toBeLessThanOrEqual(0.005);
    expect(Math.abs((b ?? 0) - 0.25)).toBeLessThanOrEqual(0.005);
  });

  it("splits 100 000 users 3:1:1 within 0.5 percentage points", () => {
    const got = shares([3, 1, 1], "app");
    const want = [0.6, 0.2, 0.2];
    got.forEach((share, i) => expect(Math.abs(share - (want[i] ?? 0))).toBeLessThanOrEqual(0.005));
  });

  it("never assigns a version of weight 0", () => {
    expect(shares([0, 1, 0])).toEqual([0, 1, 0]);
  });

  it("gives the same user the same version on every call", () => {
    const first = assignVersion("alice", [1, 1, 1], "app");
    for (let i = 0; i < 5; i++) expect(assignVersion("alice", [1, 1, 1], "app")).toBe(first);
  });

  it("moves users only toward the candidate whose weight rises from 10 to 50", () => {
    let moved = 0;
    for (let u = 0; u < 20_000; u++) {
      const before = assignVersion(`user-${u}`, [90, 10]);
      const after = assignVersion(`user-${u}`, [50, 50]);
      if (before === 1) expect(after).toBe(1);
      if (before !== after) moved++;
    }
    // About 40% of users move from version 0 to version 1.
    expect(moved / 20_000).toBeGreaterThan(0.38);
    expect(moved / 20_000).toBeLessThan(0.42);
  });

  it("moves users only toward the middle version when its weight rises (three versions)", () => {
    for (let u = 0; u < 20_000; u++) {
      const before = assignVersion(`user-${u}`, [45, 10, 45]);
      const after = assignVersion(`user-${u}`, [25, 50, 25]);
      if (before !== after) expect(after).toBe(1);
    }
  });

  it("gives different experiments (salts) independent assignments", () => {
    let same = 0;
    for (let u = 0; u < 10_000; u++) {
      if (assignVersion(`user-${u}`, [1, 1], "a") === assignVersion(`user-${u}`, [1, 1], "b"))
        same++;
    }
    expect(same / 10_000).toBeGreaterThan(0.47);
    expect(same / 10_000).toBeLessThan(0.53);
  });

  it.each([
    ["no versions", []],
    ["a negative weight", [1, -1]],
    ["a NaN weight", [1, Number.NaN]],
    ["all zero", [0, 0]],
  ])("rejects %s", (_name, weights) => {
    expect(() => assignVersion("u", weights)).toThrow(
      expect.objectContaining({ code: ASSIGNMENT_ERROR_CODES.weightsInvalid }),
    );
  });
});

describe("hashToUnitInterval", () => {
  it("stays in [0, 1)", () => {
    for (let u = 0; u < 1000; u++) {
      const h = hashToUnitInterval(`k${u}`, "s");
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(1);
    }
  });
});

describe("assignment across processes", () => {
  let dir = "";
  beforeAll(async () => {
    // Compile the real module to plain JS so two separate `node` processes can run it. The folder
    // sits under this package's node_modules so its imports (@iter8/spec, built) resolve.
    const cache = join(import.meta.dirname, "..", "node_modules", ".cache");
    await mkdir(cache, { recursive: true });
    dir = await mkdtemp(join(cache, "iter8-assign-"));
    const source = await readFile(new URL("./assignment.ts", import.meta.url), "utf8");
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    await writeFile(join(dir, "assignment.mjs"), js);
    await writeFile(
      join(dir, "assign.mjs"),
      [
        'import { assignVersion } from "./assignment.mjs";',
        "const out = [];",
        'for (let u = 0; u < 2000; u++) out.push(assignVersion("user-" + u, [3, 1, 1], "app"));',
        "process.stdout.write(JSON.stringify(out));",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("maps the same user ids to the same versions in two separate node processes", async () => {
    const [a, b] = await Promise.all([
      run(process.execPath, [join(dir, "assign.mjs")]),
      run(process.execPath, [join(dir, "assign.mjs")]),
    ]);
    const first = JSON.parse(a.stdout) as number[];
    const second = JSON.parse(b.stdout) as number[];
    expect(first).toHaveLength(2000);
    expect(second).toEqual(first);
    const here = Array.from({ length: 2000 }, (_, u) =>
      assignVersion(`user-${u}`, [3, 1, 1], "app"),
    );
    expect(first).toEqual(here);
  });
});
