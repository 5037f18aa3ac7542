// `iter8 k run --shard i/N --exchange DIR`: N built `iter8` processes share one experiment's load
// against a server on 127.0.0.1; shard 0 merges their measurements into result.yaml.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadResult } from "@iter8/spec";

const bin = join(import.meta.dirname, "..", "dist", "bin.js");
vi.setConfig({ testTimeout: 90_000, hookTimeout: 30_000 });

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

function iter8(args: string[], cwd: string): Promise<Spawned> {
  return new Promise<Spawned>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 80_000);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let server: Server;
let port: number;
let served = 0;
let work: string;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (pnpm build)`);
  server = createServer((_req, res) => {
    served++;
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  work = await mkdtemp(join(tmpdir(), "iter8-k-run-"));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  served = 0;
});

const experimentYaml = (): string =>
  [
    "- task: gen-load-and-collect-metrics",
    "  with:",
    "    numRequests: 400",
    "    qps: 0",
    "    connections: 8",
    "    warmup: 0s",
    "    versionInfo:",
    `    - url: http://127.0.0.1:${port}/`,
    "- task: assess-app-versions",
    "  with:",
    "    SLOs:",
    "    - metric: built-in/error-rate",
    "      upperLimit: 0",
    "",
  ].join("\n");

async function experimentDir(name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "experiment.yaml"), experimentYaml());
  return dir;
}

describe("iter8 k run --shard", () => {
  it("4 local shards send and count the same total as one process sending the whole load", async () => {
    const dir = await experimentDir("four");
    const exchange = join(work, "four-exchange");
    const runs = await Promise.all(
      [0, 1, 2, 3].map((i) =>
        iter8(["k", "run", "--shard", `${i}/4`, "--exchange", exchange, "--dir", dir], work),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    expect(runs[0]?.stdout).toContain(
      "Experiment completed (shard 0 of 4): 2 of 2 tasks completed",
    );
    expect(runs[3]?.stdout).toContain(
      "Shard done: shard 3 of 4: 100 requests measured and published.",
    );
    const sharded = await loadResult(join(dir, "result.yaml"));
    const shardedServed = served;
    expect(await readFile(join(exchange, "result.yaml"), "utf8")).toBe(
      await readFile(join(dir, "result.yaml"), "utf8"),
    );
    expect(sharded.insights?.loadDetails?.[0]?.shards?.requests).toEqual([100, 100, 100, 100]);
    expect(sharded.insights?.SLOsSatisfiedBy).toEqual([true]);

    served = 0;
    const single = await experimentDir("single");
    const one = await iter8(["run", "--dir", single], work);
    expect(one.code).toBe(0);
    const whole = await loadResult(join(single, "result.yaml"));
    const count = (r: typeof whole) => r.insights?.metricValues[0]?.["built-in/request-count"];
    expect(count(sharded)).toEqual([400]);
    expect(count(sharded)).toEqual(count(whole));
    expect(shardedServed).toBe(served);
  });

  it("fails with exit 1 and failedTask naming a shard that never starts, keeping what the others measured", async () => {
    const dir = await experimentDir("missing");
    const exchange = join(work, "missing-exchange");
    const timeouts = ["--ready-timeout", "1s", "--report-timeout", "1s"];
    const runs = await Promise.all(
      [0, 1].map((i) =>
        iter8(
          ["k", "run", "--shard", `${i}/3`, "--exchange", exchange, "--dir", dir, ...timeouts],
          work,
        ),
      ),
    );
    expect(runs.map((r) => r.code)).toEqual([1, 0]);
    expect(runs[0]?.stderr).toContain(
      "Experiment failed (shard 0 of 3): task 1 (gen-load-and-collect-metrics): shard 2 of 3 never reported within 1s (it never became ready)",
    );
    const result = await loadResult(join(dir, "result.yaml"));
    expect(result.failedTask?.message).toMatch(/^shard 2 of 3 never reported/);
    // 8 connections over 3 shards: 2, 3, 3; 400 requests follow them: 100, 150, 150.
    expect(result.insights?.loadDetails?.[0]?.shards?.requests).toEqual([100, 150, null]);
    expect(result.insights?.metricValues[0]?.["built-in/request-count"]).toEqual([250]);
  });

  it("refuses a bad --shard with exit 2 and a one-line error", async () => {
    const dir = await experimentDir("bad");
    const run = await iter8(
      ["k", "run", "--shard", "4/4", "--exchange", join(work, "x"), "--dir", dir],
      work,
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('invalid --shard value "4/4": expected i/N with 0 <= i < N');
  });
});
