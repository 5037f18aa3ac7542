import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import yargs from "yargs";
import { loadResult } from "@iter8/spec";
import { assignVersion, createAbnClient } from "@iter8/traffic";
import { abnCommand, parseAppFlags } from "../src/commands/abn.js";
import type { CommandContext } from "../src/context.js";
import { createRandomSource, startDemoApp } from "@iter8/demo-app";
import type { DemoApp } from "@iter8/demo-app";
import { main } from "../src/main.js";
import { UsageError } from "../src/errors.js";

const USERS = 800;
// A simulation of USERS users is 2 400 requests on one thread: 28 s on a loaded machine.
vi.setConfig({ testTimeout: 180_000 });

let dir = "";
const stops: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-abn-e2e-"));
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await rm(dir, { recursive: true, force: true });
});

/** What the last `iter8 abn` started by {@link startAbnCommand} printed. */
let abnLines: string[] = [];

/** Starts `iter8 abn` through its command module; resolves with the service's URL. */
async function startAbnCommand(args: string[]): Promise<string> {
  const lines: string[] = [];
  const controller = new AbortController();
  let exitCode: number | undefined;
  const ctx: CommandContext = {
    io: { out: (t) => lines.push(t), err: (t) => lines.push(t), progress: () => undefined },
    cwd: dir,
    env: {},
    signal: controller.signal,
    setExitCode: (code) => {
      exitCode = code;
    },
  };
  const parsing = yargs()
    .command(abnCommand(ctx))
    .strict()
    .exitProcess(false)
    .parseAsync(["abn", "--port", "0", ...args]);
  abnLines = lines;
  // Up to 30 s for the listening line: a loaded machine can take seconds to import and start.
  const listening = (): string | undefined =>
    lines.map((line) => /listening on (http:\S+)/.exec(line)?.[1]).find((u) => u !== undefined);
  for (let i = 0; i < 3000 && !listening() && exitCode === undefined; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const url = listening();
  if (!url) throw new Error(`abn did not start: ${lines.join("\n")}`);
  stops.push(async () => {
    controller.abort();
    await parsing;
    expect(lines.at(-1)).toBe("abn stopped");
    expect(exitCode).toBe(0);
  });
  return url;
}

/** What the simulated users of one version did. */
interface VersionTally {
  users: number;
  conversions: number;
}

/**
 * Simulated users: each looks up its version through iter8 abn, visits that demo-app version, and
 * converts (posts conversion = 1, else 0) with probability `convertRate` when the page loaded.
 * User `u` converts on the `u`-th draw of the seeded stream, whatever order the 32 concurrent users
 * finish in, so a run's conversions do not depend on the machine's timing. Resolves with what the
 * users of each version did.
 */
async function simulateUsers(
  abnUrl: string,
  demo: DemoApp,
  convertRate: number,
  seed: number,
): Promise<VersionTally[]> {
  // The service, the demo app and the users share this thread: on a loaded machine the first
  // lookups took 5 s (the client's default timeout) and the 800 users 28 s. Bounded, but generous.
  const client = createAbnClient(abnUrl, { timeoutMs: 60_000 });
  const random = createRandomSource(seed);
  const draws = Array.from({ length: USERS }, () => random());
  const tallies: VersionTally[] = [];
  const visit = async (u: number): Promise<void> => {
    const user = `user-${u}`;
    const version = await client.lookup("shop", user);
    const res = await fetch(`${demo.urls[version] ?? ""}/get`);
    await res.arrayBuffer();
    const converted = res.ok && (draws[u] ?? 1) < convertRate;
    await client.recordMetric("shop", user, "conversion", converted ? 1 : 0);
    const tally = (tallies[version] ??= { users: 0, conversions: 0 });
    tally.users++;
    if (converted) tally.conversions++;
  };
  // Bounded: USERS users, 32 at a time.
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < USERS) await visit(next++);
    }),
  );
  return tallies;
}

async function runExperiment(abnUrl: string): Promise<{ code: number; out: string[] }> {
  await writeFile(
    join(dir, "experiment.yaml"),
    [
      "- task: abnmetrics",
      `  with: {url: "${abnUrl}", app: shop}`,
      "- task: assess-app-versions",
      "  with:",
      "    SLOs:",
      "    - metric: abn/conversion",
      "      lowerLimit: 0",
      "    rewards:",
      "    - metric: abn/conversion",
      "      preferredDirection: high",
    ].join("\n"),
  );
  const out: string[] = [];
  const io = {
    out: (t: string) => out.push(t),
    err: (t: string) => out.push(t),
    progress: () => undefined,
  };
  const code = await main(["run"], { io, cwd: dir });
  return { code, out };
}

async function report(): Promise<string> {
  const out: string[] = [];
  const io = {
    out: (t: string) => out.push(t),
    err: (t: string) => out.push(t),
    progress: () => undefined,
  };
  expect(await main(["report", "-o", "text"], { io, cwd: dir })).toBe(0);
  return out.join("\n");
}

async function assertWinner(condition: string): Promise<number> {
  const io = { out: () => undefined, err: () => undefined, progress: () => undefined };
  return main(["assert", "-c", condition], { io, cwd: dir });
}

describe("A/B test end to end: demo app, iter8 abn, abnmetrics, assess", () => {
  it("declares v2 the winner when it converts better (v1 fails half of the page loads)", async () => {
    const demo = await startDemoApp({
      port: 0,
      seed: 11,
      versions: [{ name: "v1", errorRate: 0.5 }, { name: "v2" }],
    });
    stops.push(() => demo.close());
    const abnUrl = await startAbnCommand(["--app", "shop=50,50", "--store", "abn.db"]);
    const tallies = await simulateUsers(abnUrl, demo, 0.3, 5);

    const run = await runExperiment(abnUrl);
    expect(run.code).toBe(0);
    const result = await loadResult(join(dir, "result.yaml"));
    const insights = result.insights;
    expect(insights?.numVersions).toBe(2);
    // Every user's conversion reached the result, under the version the user was sent to.
    const conversions = insights?.metricSummaries?.map((s) => s["abn/conversion"]);
    expect(conversions).toEqual(
      tallies.map((t) => ({
        type: "mean",
        count: t.users,
        sum: t.conversions,
        sumSquares: t.conversions,
      })),
    );
    expect(insights?.winner?.version).toBe(1);
    expect(insights?.winner?.srm?.mismatch).toBe(false);
    expect(insights?.trafficCounts?.reduce((a, b) => a + b, 0)).toBe(USERS);
    // The lift is v2's conversion rate over v1's, of exactly these users.
    const [v1, v2] = tallies as [VersionTally, VersionTally];
    const lift = insights?.comparisons?.[0]?.estimate ?? 0;
    expect(lift).toBeCloseTo(v2.conversions / v2.users / (v1.conversions / v1.users) - 1, 9);
    // v1 converts 0.5 · 0.3 = 15%, v2 30%: about +100%. Which users' page loads fail depends on the
    // order their requests reach the demo app, so the lift varies from run to run; six standard
    // errors (about 0.4 to 2.7) are never left by chance.
    expect(lift).toBeGreaterThan(0.4);
    expect(lift).toBeLessThan(2.7);

    expect(await assertWinner("winner=1")).toBe(0);
    expect(await assertWinner("winner=0")).toBe(1);
    const text = await report();
    expect(text).toContain("Comparisons with version 0 (welch)");
    expect(text).toMatch(/abn\/conversion \| 1\s+\| \+\d+\.\d%/);
    expect(text).toContain("Winner: version 1 wins: abn/conversion +");
  });

  it("declares no winner when both versions convert alike", async () => {
    const demo = await startDemoApp({ port: 0, versions: ["v1", "v2"] });
    stops.push(() => demo.close());
    const abnUrl = await startAbnCommand(["--app", "shop=50,50", "--store", "abn.db"]);
    // Both convert at 25%; with these users (seed 5) the difference is well within chance.
    await simulateUsers(abnUrl, demo, 0.25, 5);

    const run = await runExperiment(abnUrl);
    expect(run.code).toBe(0);
    const result = await loadResult(join(dir, "result.yaml"));
    expect(result.insights?.winner?.version).toBeUndefined();
    expect(result.insights?.winner?.reason).toMatch(/^no winner yet/);
    expect(await assertWinner("winner")).toBe(1);
    expect(await report()).toContain("Winner: none. no winner yet");
  });
});

describe("iter8 abn store", () => {
  it("migrates the data file of the earlier default (abn-data.jsonl) into the default store", async () => {
    const v = assignVersion("alice", [50, 50], "shop");
    const record = {
      kind: "metric",
      app: "shop",
      user: "alice",
      version: v,
      metric: "m",
      value: 2,
    };
    await writeFile(join(dir, "abn-data.jsonl"), `${JSON.stringify(record)}\n`);
    const url = await startAbnCommand(["--app", "shop=50,50"]);
    expect(abnLines[0]).toBe(
      `abn migrated 1 records (0 skipped) into ${join(dir, "abn-data.db")}; ` +
        `the old file is now ${join(dir, "abn-data.jsonl.migrated")}`,
    );
    expect(abnLines[1]).toContain(`store: sqlite ${join(dir, "abn-data.db")}`);
    const summary = await createAbnClient(url).summaries("shop");
    expect(summary.versions[v]?.metrics.m).toEqual({ count: 1, sum: 2, sumSquares: 4 });
    expect(existsSync(join(dir, "abn-data.jsonl"))).toBe(false);
  });

  it("refuses --store-max-mb with a Redis store", async () => {
    const io = { out: () => undefined, err: () => undefined, progress: () => undefined };
    const code = await main(
      ["abn", "--app", "shop=1,1", "--store", "redis://127.0.0.1:1/0", "--store-max-mb", "5"],
      { io, cwd: dir },
    );
    expect(code).toBe(2);
  });
});

describe("iter8 abn flags", () => {
  it("parses --app name=weights", () => {
    expect(parseAppFlags(["shop=75,25", "search=1,1,1"])).toEqual({
      shop: { weights: [75, 25] },
      search: { weights: [1, 1, 1] },
    });
  });

  it.each([["shop"], ["shop="], ["shop=1,x"], ["shop=0,0"], ["=1,1"]])(
    "rejects --app %s",
    (value) => {
      expect(() => parseAppFlags([value])).toThrow(UsageError);
    },
  );
});
