// gRPC over TLS with the CLI: `iter8 run` of a grpc task with ghz's cacert (a file beside the
// experiment), cname and keepalive against the demo app's Greeter served over TLS on 127.0.0.1,
// with a certificate made for the run; and the same with a CA that did not sign it.
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startGreeterServer } from "@iter8/demo-app";
import type { GreeterServer } from "@iter8/demo-app";
import { loadResult } from "@iter8/spec";
import { createTestCertificateAuthority } from "@iter8/test-utils";
import type { TestCertificateAuthority } from "@iter8/test-utils";
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

let ca: TestCertificateAuthority;
let otherCa: TestCertificateAuthority;
let server: GreeterServer;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "iter8-grpc-tls-"));
  ca = createTestCertificateAuthority("iter8 test CA");
  otherCa = createTestCertificateAuthority("some other CA");
  // The certificate names greeter.test only: dialling 127.0.0.1 needs cname.
  server = await startGreeterServer({ port: 0, tls: ca.issue(["greeter.test"]) });
});
afterAll(async () => {
  await server?.close();
  ca?.dispose();
  otherCa?.dispose();
  await rm(work, { recursive: true, force: true });
});

async function experimentDir(caFile: string): Promise<string> {
  const dir = await mkdtemp(join(work, "exp-"));
  await copyFile(caFile, join(dir, "ca.pem"));
  await writeFile(
    join(dir, "experiment.yaml"),
    [
      "- task: grpc",
      "  with:",
      `    host: ${server.address}`,
      "    call: helloworld.Greeter.SayHello",
      "    total: 40",
      "    concurrency: 4",
      "    data: {name: tls}",
      "    cacert: ca.pem",
      "    cname: greeter.test",
      "    keepalive: 1s",
      "    connect-timeout: 5s",
      "- task: assess-app-versions",
      "  with:",
      "    SLOs:",
      "    - metric: grpc/error-rate",
      "      upperLimit: 0",
    ].join("\n"),
  );
  return dir;
}

describe("iter8 run, gRPC over TLS", () => {
  it("verifies the server with cacert and cname (reflection and calls over TLS): SLOs hold", async () => {
    const dir = await experimentDir(ca.certFile);
    const run = await iter8(["run"], dir);
    expect(run, JSON.stringify(run)).toMatchObject({ code: 0 });
    const result = await loadResult(join(dir, "result.yaml"));
    expect(result.insights?.metricValues[0]?.["grpc/request-count"]).toEqual([40]);
    expect(result.insights?.metricValues[0]?.["grpc/error-count"]).toEqual([0]);
    const assert = await iter8(["assert", "-c", "completed", "-c", "nofailure", "-c", "slos"], dir);
    expect(assert, JSON.stringify(assert)).toMatchObject({ code: 0 });
  });

  it("with a CA that did not sign the certificate, says that server reflection failed over TLS", async () => {
    const dir = await experimentDir(otherCa.certFile);
    const run = await iter8(["run"], dir);
    expect(run.code).toBe(1);
    expect(run.err.join("\n")).toMatch(
      /server reflection at 127\.0\.0\.1:\d+ failed: unable to verify the first certificate$/,
    );
  });
});
