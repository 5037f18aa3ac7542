// gRPC end to end with the CLI, offline against the demo app's Greeter on 127.0.0.1: the hub
// experiment load-test-grpc as the quickstart runs it, and the real Iter8 gRPC experiment files of
// ../shared/iter8-compat with their host and protoURL pointed at the demo app.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startDemoApp } from "@iter8/demo-app";
import type { DemoApp } from "@iter8/demo-app";
import { loadResult } from "@iter8/spec";
import { main } from "../src/main.js";

vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

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

// The proto the demo app ships (beside its package.json), served over HTTP for protoURL.
const demoAppDir = dirname(fileURLToPath(import.meta.resolve("@iter8/demo-app/package.json")));
const greeterProto = join(demoAppDir, "proto", "greeter.proto");

let app: DemoApp | undefined;
let host: string | undefined;
let protoServer: Server | undefined;
let protoURL = "";
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "iter8-grpc-e2e-"));
  const options = { port: 0, grpcPort: 0, versions: [{ name: "v1" }], seed: 11 };
  app = await startDemoApp(options);
  host = (app.versions[0] as { grpcAddress?: string } | undefined)?.grpcAddress;
  if (existsSync(greeterProto)) {
    const proto = await readFile(greeterProto);
    protoServer = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(proto);
    });
    await new Promise<void>((done) => protoServer?.listen(0, "127.0.0.1", done));
    protoURL = `http://127.0.0.1:${(protoServer.address() as AddressInfo).port}/greeter.proto`;
  }
  if (host === undefined) throw new Error("the demo app serves no gRPC (startDemoApp's grpcPort)");
});
afterAll(async () => {
  await app?.close();
  await new Promise<void>((done) => (protoServer ? protoServer.close(() => done()) : done()));
  await rm(work, { recursive: true, force: true });
});

describe("the hub experiment load-test-grpc", () => {
  it("hub, cd, run, assert -c completed -c nofailure -c slos, report", async () => {
    expect((await iter8(["hub", "-e", "load-test-grpc"], work)).code).toBe(0);
    const dir = join(work, "load-test-grpc");
    expect(await readdir(dir)).toEqual(["experiment.yaml"]);
    const file = join(dir, "experiment.yaml");
    const text = await readFile(file, "utf8");
    // The hub experiment targets the demo app's default gRPC port; point it at this test's app.
    expect(text).toContain("host: 127.0.0.1:50051\n");
    // Its p95 <= 100 ms SLO is about the machine, not iter8; a minute holds on a busy one.
    expect(text).toContain("upperLimit: 100\n");
    await writeFile(
      file,
      text
        .replace("host: 127.0.0.1:50051\n", `host: ${host}\n`)
        .replace("upperLimit: 100\n", "upperLimit: 60000\n"),
    );

    const run = await iter8(["run"], dir);
    expect(run, JSON.stringify(run)).toMatchObject({ code: 0 });
    const assert = await iter8(["assert", "-c", "completed", "-c", "nofailure", "-c", "slos"], dir);
    expect(assert.out).toContain("All conditions are satisfied.");
    expect(assert.code).toBe(0);

    const result = await loadResult(join(dir, "result.yaml"));
    expect(result.insights?.metricValues[0]?.["grpc/request-count"]).toEqual([200]);
    expect(result.insights?.metricValues[0]?.["grpc/status/OK"]).toEqual([200]);

    const report = await iter8(["report"], dir);
    expect(report.code).toBe(0);
    const rows = report.out.map((line) => line.trim());
    expect(rows).toContain("grpc/error-rate <= 0|true");
    expect(rows).toContain("grpc/latency/p95.0 <= 60000|true");
    expect(rows).toContain("grpc/request-count|200");

    const html = await iter8(["report", "-o", "html"], dir);
    expect(html.code).toBe(0);
    expect(html.out.join("\n")).toContain("gRPC OK");
  });
});

// The real files Iter8 wrote live beside the checkout (../shared); a worktree sits one level deeper.
const repoRoot = resolve(import.meta.dirname, "..", "..", "..");
const compat = [
  process.env.ITER8_COMPAT_DIR,
  join(repoRoot, "..", "shared", "iter8-compat"),
  join(repoRoot, "..", "..", "shared", "iter8-compat"),
].find((dir): dir is string => dir !== undefined && existsSync(join(dir, "experiments")));
const grpcFiles = [
  "v0.8.29-testdata-experiment-grpc.yaml",
  "v0.11.16-testdata-experiment-grpc.yaml",
];

describe.skipIf(compat === undefined)(
  compat === undefined
    ? "real Iter8 gRPC experiments: SKIPPED, no ../shared/iter8-compat/experiments beside the checkout (set ITER8_COMPAT_DIR)"
    : `real Iter8 gRPC experiments (${compat})`,
  () => {
    it.for(grpcFiles)(
      "%s runs with --lenient against the demo app and its SLOs hold",
      async (name) => {
        expect(protoURL, `${greeterProto} is served`).not.toBe("");
        const dir = await mkdtemp(join(work, "real-"));
        const text = await readFile(join(compat ?? "", "experiments", name), "utf8");
        // As Iter8's own test did: the host and the proto's URL point at a local server.
        expect(text).toContain('host: "127.0.0.1"');
        expect(text).toContain(
          "https://raw.githubusercontent.com/bojand/ghz/v0.105.0/testdata/greeter.proto",
        );
        await writeFile(
          join(dir, "experiment.yaml"),
          text
            .replace('host: "127.0.0.1"', `host: "${host}"`)
            .replace(
              "https://raw.githubusercontent.com/bojand/ghz/v0.105.0/testdata/greeter.proto",
              protoURL,
            ),
        );
        const refused = await iter8(["run"], dir);
        expect(refused.code).toBe(2);
        expect(refused.err.join("\n")).toContain(
          'unknown key "connect-timeeout"; did you mean "connect-timeout"?',
        );

        const run = await iter8(["run", "--lenient"], dir);
        expect(run, JSON.stringify(run)).toMatchObject({ code: 0 });
        const result = await loadResult(join(dir, "result.yaml"));
        expect(result.insights?.metricValues[0]?.["grpc/request-count"]).toEqual([200]);
        // Iter8 computed any percentile its SLOs named; so does iter8 (p97.5 is not a default).
        expect(result.insights?.metricValues[0]?.["grpc/latency/p97.5"]?.length).toBe(1);
        const assert = await iter8(
          ["assert", "-c", "completed", "-c", "nofailure", "-c", "slos"],
          dir,
        );
        expect(assert, JSON.stringify(assert)).toMatchObject({ code: 0 });
        // The run task after `if: SLOs()` ran.
        expect(result.runOutputs?.[0]?.stdout).toContain("all good");
      },
    );
  },
);
