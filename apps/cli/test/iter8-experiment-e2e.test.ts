// An Iter8 v0.8.29 experiment, as its users wrote it, run by iter8 against the demo app on
// 127.0.0.1: the mapped names run, the warnings say what was mapped, the SLO verdict holds.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startDemoApp } from "@iter8/demo-app";
import type { DemoApp } from "@iter8/demo-app";
import { main } from "../src/main.js";

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

async function iter8(argv: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (text: string) => out.push(...text.replace(/\n$/, "").split("\n")),
    err: (text: string) => err.push(...text.replace(/\n$/, "").split("\n")),
    progress: () => undefined,
  };
  const code = await main(argv, { io, cwd });
  return { code, out, err };
}

let app: DemoApp;
let dir: string;

beforeAll(async () => {
  app = await startDemoApp({ port: 0, versions: [{ name: "v1" }], seed: 3 });
  dir = await mkdtemp(join(tmpdir(), "iter8-v0829-"));
  await writeFile(
    join(dir, "experiment.yaml"),
    [
      "- task: gen-load-and-collect-metrics-http",
      "  with:",
      "    numRequests: 12",
      "    connect-timeeout: 5s",
      "    versionInfo:",
      `    - url: ${app.urls[0]}/get`,
      "- task: assess-app-versions",
      "  with:",
      "    SLOs:",
      "    - metric: built-in/http-error-rate",
      "      upperLimit: 0",
      "    - metric: built-in/http-latency-p95.0",
      "      upperLimit: 60000",
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

describe("iter8 run on an Iter8 v0.8.29 experiment", () => {
  it("refuses the misspelt key Iter8 ignored (exit 2), naming the likely key", async () => {
    const run = await iter8(["run"], dir);
    expect(run.code).toBe(2);
    expect(run.err.join("\n")).toContain(
      'unknown key "connect-timeeout"; did you mean "timeout"? (Iter8 silently ignored it',
    );
  });

  it("with --lenient, runs it, prints what it mapped, and the SLOs hold", async () => {
    const run = await iter8(["run", "--lenient"], dir);
    expect(run.code).toBe(0);
    expect(run.err).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          'the Iter8 v0.8.29–v0.10 task "gen-load-and-collect-metrics-http" is read as "http"',
        ),
        expect.stringContaining(
          '"built-in/http-error-rate" is an Iter8 v0.8.29–v0.8.34 metric name; read as "built-in/error-rate"',
        ),
        expect.stringContaining('unknown key "connect-timeeout" ignored (--lenient)'),
      ]),
    );
    const assert = await iter8(["assert", "-c", "completed", "-c", "nofailure", "-c", "slos"], dir);
    expect(assert, JSON.stringify(assert)).toMatchObject({ code: 0 });
  });
});
