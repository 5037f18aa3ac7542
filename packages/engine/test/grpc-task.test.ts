// The grpc task end to end against the demo app's gRPC Greeter on 127.0.0.1: exact call counts,
// status counts with injected errors, SLOs on grpc metrics, v0.13 endpoints with streams, a proto
// relative to the experiment's folder, and the partial result of an aborted load.
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startDemoApp } from "@iter8/demo-app";
import type { DemoApp } from "@iter8/demo-app";
import type { ExperimentResult } from "@iter8/spec";
import { loadResult, parseExperiment } from "@iter8/spec";
import { runExperiment } from "../src/index.js";

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const PROTO = join(import.meta.dirname, "fixtures", "greeter.proto");

let app: DemoApp | undefined;
let hosts: string[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-grpc-task-"));
  await copyFile(PROTO, join(dir, "greeter.proto"));
  // Version 0 is healthy; version 1 fails every call (UNAVAILABLE).
  const options = {
    port: 0,
    grpcPort: 0,
    versions: [{ name: "v1" }, { name: "v2", errorRate: 1 }],
    seed: 5,
  };
  app = await startDemoApp(options);
  hosts = app.versions.flatMap((v) => {
    const address = (v as { grpcAddress?: string }).grpcAddress;
    return address === undefined ? [] : [address];
  });
  if (hosts.length !== 2) throw new Error("the demo app serves no gRPC (startDemoApp's grpcPort)");
});
afterAll(async () => {
  await app?.close();
  await rm(dir, { recursive: true, force: true });
});

function experimentOf(text: string) {
  const parsed = parseExperiment(text);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return parsed.value;
}

function value(result: ExperimentResult, version: number, metric: string): number | undefined {
  return result.insights?.metricValues[version]?.[metric]?.at(-1);
}

describe("the grpc task against the demo app", () => {
  it("makes exactly total calls per version, counts statuses and judges the SLOs", async () => {
    const experiment = experimentOf(
      [
        "- task: grpc",
        "  with:",
        "    call: helloworld.Greeter.SayHello",
        "    proto: greeter.proto",
        "    total: 37",
        "    concurrency: 4",
        "    data: {name: bob}",
        "    versionInfo:",
        `    - host: ${hosts[0]}`,
        `    - host: ${hosts[1]}`,
        "- task: assess-app-versions",
        "  with:",
        "    SLOs:",
        "    - metric: grpc/error-rate",
        "      upperLimit: 0",
        "    - metric: grpc/latency/p95",
        "      upperLimit: 60000",
      ].join("\n"),
    );
    const result = await runExperiment(experiment, { dir });
    expect(result.failure, JSON.stringify(result.failedTask)).toBe(false);
    expect(value(result, 0, "grpc/request-count")).toBe(37);
    expect(value(result, 1, "grpc/request-count")).toBe(37);
    expect(value(result, 0, "grpc/status/OK")).toBe(37);
    expect(value(result, 0, "grpc/error-count")).toBe(0);
    expect(value(result, 1, "grpc/status/Unavailable")).toBe(37);
    expect(value(result, 1, "grpc/error-rate")).toBe(1);
    expect(value(result, 0, "grpc/latency/p95.0")).toBeGreaterThan(0);
    expect(result.insights?.SLOsSatisfiedBy).toEqual([true, false]);
    expect(result.insights?.loadDetails?.[1]?.grpc).toEqual({
      kind: "unary",
      statusNames: { Unavailable: 37 },
    });
    expect(result.insights?.metricSummaries?.[0]?.["grpc/error-rate"]).toEqual({
      type: "proportion",
      count: 37,
      successes: 0,
    });
    // What was written to result.yaml reads back the same.
    const saved = await loadResult(join(dir, "result.yaml"));
    expect(saved.insights?.loadDetails?.[1]?.grpc?.statusNames).toEqual({ Unavailable: 37 });
  });

  it("loads v0.13 endpoints in turn, naming metrics grpc-<endpoint>/..., with stream figures", async () => {
    const experiment = experimentOf(
      [
        "spec:",
        "- task: grpc",
        "  with:",
        `    host: ${hosts[0]}`,
        "    total: 12",
        "    concurrency: 2",
        "    data: {name: amy}",
        "    endpoints:",
        "      hello:",
        "        call: helloworld.Greeter.SayHello",
        "      hellos:",
        "        call: helloworld.Greeter/SayHellos",
      ].join("\n"),
    );
    const result = await runExperiment(experiment, { dir });
    expect(result.failure, JSON.stringify(result.failedTask)).toBe(false);
    expect(result.insights?.numVersions).toBe(1);
    expect(value(result, 0, "grpc-hello/request-count")).toBe(12);
    expect(value(result, 0, "grpc-hellos/request-count")).toBe(12);
    expect(value(result, 0, "grpc-hellos/stream/messages-received")).toBeGreaterThanOrEqual(12);
    expect(value(result, 0, "grpc/request-count")).toBeUndefined();
    const details = result.insights?.loadDetails?.[0];
    expect(details?.grpc?.kind).toBe("mixed");
    expect(details?.grpc?.statusNames).toEqual({ OK: 24 });
    expect(details?.endpoints?.hellos?.grpc?.kind).toBe("server-stream");
    expect(details?.endpoints?.hellos?.grpc?.streams?.messagesReceived).toBeGreaterThanOrEqual(12);
  });

  it("keeps what was measured when aborted mid-load (partial)", async () => {
    const experiment = experimentOf(
      [
        "- task: grpc",
        "  with:",
        `    host: ${hosts[0]}`,
        "    call: helloworld.Greeter.SayHello",
        "    duration: 60s",
        "    rps: 50",
        "    concurrency: 2",
        "    data: {name: eve}",
      ].join("\n"),
    );
    const controller = new AbortController();
    let progress = 0;
    const result = await runExperiment(experiment, {
      dir,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === "load-progress" && event.progress.completed > 0 && ++progress >= 1) {
          controller.abort();
        }
      },
    });
    expect(result.aborted).toBe(true);
    expect(result.insights?.loadDetails?.[0]?.partial).toBe(true);
    expect(value(result, 0, "grpc/request-count")).toBeGreaterThan(0);
    expect(value(result, 0, "grpc/request-count")).toBeLessThan(3000);
  });
});
