import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadResult, parseRoutingOrThrow } from "@iter8/spec";
import { startTrafficProxy } from "@iter8/traffic";
import { startDemoApp } from "@iter8/demo-app";
import { main } from "../src/main.js";

const REQUESTS = 200;

let dir = "";
const stops: Array<() => Promise<void>> = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-proxymetrics-e2e-"));
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await rm(dir, { recursive: true, force: true });
});

async function iter8(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const io = {
    out: (t: string) => lines.push(t),
    err: (t: string) => lines.push(t),
    progress: () => undefined,
  };
  const code = await main(args, { io, cwd: dir, env });
  return { code, out: lines.join("\n") };
}

async function writeExperiment(admin: string): Promise<void> {
  await writeFile(
    join(dir, "experiment.yaml"),
    [
      "- task: proxymetrics",
      `  with: {admin: "${admin}", window: true}`,
      "- task: assess-app-versions",
      "  with:",
      "    SLOs:",
      "    - metric: built-in/error-rate",
      "      upperLimit: 0.05",
      "    - metric: built-in/p99",
      "      upperLimit: 10000",
    ].join("\n"),
  );
}

describe("SLOs on live traffic through the proxy: demo app, proxy, proxymetrics, assess", () => {
  it("judges each version on the requests clients sent through the proxy", async () => {
    const demo = await startDemoApp({
      port: 0,
      seed: 3,
      versions: [{ name: "v1" }, { name: "v2", errorRate: 0.5 }],
    });
    stops.push(() => demo.close());
    const proxy = await startTrafficProxy({
      routing: parseRoutingOrThrow(`versions:
  - {name: v1, url: "${demo.urls[0] ?? ""}"}
  - {name: v2, url: "${demo.urls[1] ?? ""}"}
routes:
  - split: [{version: v1, weight: 80}, {version: v2, weight: 20}]
`),
      port: 0,
      adminPort: 0,
    });
    stops.push(() => proxy.close());

    // Bounded client traffic: REQUESTS GETs, 8 at a time, counted by the version that answered.
    const seen: Record<string, { requests: number; errors: number }> = {};
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < REQUESTS) {
          next++;
          const res = await fetch(`${proxy.url}/get`);
          await res.arrayBuffer();
          const own = (seen[res.headers.get("x-iter8-version") ?? "?"] ??= {
            requests: 0,
            errors: 0,
          });
          own.requests++;
          if (res.status >= 500) own.errors++;
        }
      }),
    );
    expect(Object.keys(seen).sort()).toEqual(["v1", "v2"]);
    expect(seen.v2?.errors).toBeGreaterThan(0);

    await writeExperiment(proxy.adminUrl);
    const run = await iter8(["run"], { ITER8_PROXY_TOKEN: proxy.adminToken });
    expect(run.code).toBe(0);
    const insights = (await loadResult(join(dir, "result.yaml"))).insights;
    ["v1", "v2"].forEach((name, v) => {
      expect(insights?.metricValues[v]?.["built-in/request-count"]).toEqual([seen[name]?.requests]);
      expect(insights?.metricValues[v]?.["built-in/error-count"]).toEqual([seen[name]?.errors]);
    });
    expect(insights?.SLOsSatisfiedBy).toEqual([true, false]);
    expect((await iter8(["assert", "-c", "slosby=0"])).code).toBe(0);
    expect((await iter8(["assert", "-c", "slosby=1"])).code).toBe(1);
    expect((await iter8(["report", "-o", "text"])).out).toContain("built-in/error-rate");
  });

  it("exits 1 with the admin URL and how to start the proxy when nothing listens there", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const admin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await writeExperiment(admin);
    const run = await iter8(["run"]);
    expect(run.code).toBe(1);
    expect(run.out).toContain(`cannot reach the proxy's admin API at ${admin}`);
    expect(run.out).toContain("start the proxy with iter8 traffic proxy");
  });
});
