import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTrafficProxy } from "../src/index.js";
import type { TrafficProxy } from "../src/index.js";
import { median, routingFor, sendMany, startUpstream, waitFor } from "@iter8/test-utils";
import type { Upstream } from "@iter8/test-utils";

let v1: Upstream;
let shadow: Upstream;
let sleeper: Upstream;

beforeAll(async () => {
  v1 = await startUpstream("v1", { keep: false });
  shadow = await startUpstream("shadow");
  sleeper = await startUpstream("sleeper", { delayMs: 5000, keep: false });
});

afterAll(async () => {
  await v1.close();
  await shadow.close();
  await sleeper.close();
});

async function withProxy<T>(mirrorYaml: string, run: (p: TrafficProxy) => Promise<T>): Promise<T> {
  const routing = routingFor(
    [v1, shadow, sleeper],
    `  - split: [{version: v1, weight: 1}]\n${mirrorYaml}`,
  );
  const proxy = await startTrafficProxy({ routing, port: 0, adminPort: 0 });
  try {
    return await run(proxy);
  } finally {
    await proxy.close();
  }
}

describe("mirroring", () => {
  it("copies 25% ± 2 points of 10 000 requests, marked as mirrors with a -shadow Host", async () => {
    shadow.received.length = 0;
    await withProxy(
      "    mirror: [{version: shadow, percent: 25, maxConcurrent: 1000}]\n",
      async (p) => {
        const answers = await sendMany(p.url, 10_000, (i) => ({ path: `/r/${i}` }), 32);
        expect(answers.every((a) => a.status === 200 && a.version === "v1")).toBe(true);
        // Copies go out after the primary; wait (bounded) until the mirror counters settle.
        await waitFor(
          () =>
            (p.stats().versions.shadow?.mirror.requests ?? 0) === shadow.received.length &&
            shadow.received.length > 0,
          5000,
        );
        const copies = shadow.received.length;
        expect(Math.abs((100 * copies) / 10_000 - 25)).toBeLessThanOrEqual(2);
        const first = shadow.received[0];
        expect(first?.headers["x-iter8-mirror"]).toBe("1");
        expect(first?.headers.host).toMatch(/^127\.0\.0\.1-shadow:\d+$/);
        expect(p.stats().versions.shadow?.mirror).toMatchObject({ requests: copies, errors: 0 });
        expect(p.stats().versions.shadow?.live.requests).toBe(0);
      },
    );
  }, 60_000);

  it("leaves primary latency unchanged while the mirror sleeps 5 s", async () => {
    const run = async (mirrorYaml: string) =>
      withProxy(mirrorYaml, async (p) => {
        await sendMany(p.url, 200, () => ({}), 8); // warm-up
        const answers = await sendMany(p.url, 1000, () => ({}), 8);
        expect(answers.every((a) => a.status === 200)).toBe(true);
        return { ms: median(answers.map((a) => a.ms)), stats: p.stats() };
      });
    const without = await run("");
    const withSleeper = await run(
      "    mirror: [{version: sleeper, percent: 25, maxConcurrent: 16, timeout: 10s}]\n",
    );
    // Primaries never wait for a copy: a waiting primary would take 5 s, so a generous bound
    // (3x plus 5 ms of scheduling noise on a shared machine) still separates the two by far.
    expect(withSleeper.ms).toBeLessThan(without.ms * 3 + 5);
    const sleeperStats = withSleeper.stats.versions.sleeper;
    expect(sleeperStats?.mirrorSkipped.concurrency).toBeGreaterThan(0);
  }, 60_000);

  it("copies a request body up to the cap, and skips (and counts) copies of larger bodies", async () => {
    shadow.received.length = 0;
    await withProxy(
      "    mirror: [{version: shadow, percent: 100, maxBodyBytes: 1000}]\n",
      async (p) => {
        await sendMany(p.url, 1, () => ({ method: "PUT", body: "small" }), 1);
        await sendMany(p.url, 1, () => ({ method: "PUT", body: "x".repeat(5000) }), 1);
        await waitFor(() => shadow.received.length >= 1);
        await new Promise((r) => setTimeout(r, 100));
        expect(shadow.received.map((r) => r.body)).toEqual(["small"]);
        expect(p.stats().versions.shadow?.mirrorSkipped["body-too-large"]).toBe(1);
      },
    );
  });

  it("mirrors non-idempotent methods only when opted in", async () => {
    shadow.received.length = 0;
    await withProxy("    mirror: [{version: shadow, percent: 100}]\n", async (p) => {
      await sendMany(p.url, 3, () => ({ method: "POST", body: "b" }), 1);
      await new Promise((r) => setTimeout(r, 100));
      expect(shadow.received).toHaveLength(0);
      expect(p.stats().versions.shadow?.mirrorSkipped.method).toBe(3);
    });
    await withProxy(
      "    mirror: [{version: shadow, percent: 100, nonIdempotent: true}]\n",
      async (p) => {
        await sendMany(p.url, 3, () => ({ method: "POST", body: "b" }), 1);
        expect(await waitFor(() => shadow.received.length === 3)).toBe(true);
        expect(shadow.received.every((r) => r.method === "POST" && r.body === "b")).toBe(true);
      },
    );
  });
});
