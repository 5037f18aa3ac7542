import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTrafficProxy } from "../src/index.js";
import type { TrafficCounters, TrafficProxy } from "../src/index.js";
import { routingFor, sendMany, startUpstream, waitFor } from "@iter8/test-utils";
import type { Upstream } from "@iter8/test-utils";

let v1: Upstream;
let shadow: Upstream;
/** A mirror that answers nothing until the tests end. */
let sleeper: Upstream;
let wakeSleeper: () => void;

beforeAll(async () => {
  v1 = await startUpstream("v1", { keep: false });
  shadow = await startUpstream("shadow");
  const hold = new Promise<void>((resolve) => (wakeSleeper = resolve));
  sleeper = await startUpstream("sleeper", { hold });
});

afterAll(async () => {
  wakeSleeper();
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
        // Every copy left before its primary was answered; wait (bounded) until the proxy has
        // counted as many finished copies as the shadow received, reading both in one go (they
        // live in this process) so no copy lands between the two reads.
        let copies = 0;
        let mirrored: TrafficCounters | undefined;
        const settled = await waitFor(() => {
          copies = shadow.received.length;
          mirrored = p.stats().versions.shadow?.mirror;
          return copies > 0 && mirrored?.requests === copies;
        }, 30_000);
        expect(settled).toBe(true);
        expect(Math.abs((100 * copies) / 10_000 - 25)).toBeLessThanOrEqual(2);
        expect(mirrored).toMatchObject({ requests: copies, errors: 0 });
        const first = shadow.received[0];
        expect(first?.headers["x-iter8-mirror"]).toBe("1");
        expect(first?.headers.host).toMatch(/^127\.0\.0\.1-shadow:\d+$/);
        expect(p.stats().versions.shadow?.live.requests).toBe(0);
      },
    );
    // The client, the proxy and both upstreams share this thread: 42 s at a load of 34.
  }, 240_000);

  it("answers every primary while the mirror holds its copies unanswered", async () => {
    // Primaries never wait for a copy. Rather than compare latencies with and without a slow
    // mirror (which a busy machine blurs), the mirror answers nothing at all until the test ends:
    // a primary that waited for its copy would never be answered.
    await withProxy(
      "    mirror: [{version: sleeper, percent: 25, maxConcurrent: 16, timeout: 60s}]\n",
      async (p) => {
        const answers = await sendMany(p.url, 1000, () => ({}), 8);
        expect(answers.filter((a) => a.status !== 200)).toEqual([]);
        expect(answers.every((a) => a.version === "v1")).toBe(true);
        // Copies reached the mirror and all are still unanswered: 16 in flight, the rest skipped.
        expect(await waitFor(() => sleeper.received.length === 16, 10_000)).toBe(true);
        const sleeperStats = p.stats().versions.sleeper;
        expect(sleeperStats?.mirror.requests).toBe(0);
        expect(sleeperStats?.mirrorSkipped.concurrency).toBeGreaterThan(0);
      },
    );
  }, 60_000);

  it("copies a request body up to the cap, and skips (and counts) copies of larger bodies", async () => {
    shadow.received.length = 0;
    await withProxy(
      "    mirror: [{version: shadow, percent: 100, maxBodyBytes: 1000}]\n",
      async (p) => {
        await sendMany(p.url, 1, () => ({ method: "PUT", body: "small" }), 1);
        await sendMany(p.url, 1, () => ({ method: "PUT", body: "x".repeat(5000) }), 1);
        // A marker, sent after the large body was answered: a copy of the large body would have
        // left before the marker's, so once the marker's copy is back, nothing more is coming
        // (where a 100 ms sleep only guessed as much).
        await sendMany(p.url, 1, () => ({ method: "PUT", body: "marker" }), 1);
        expect(await waitFor(() => p.stats().versions.shadow?.mirror.requests === 2, 10_000)).toBe(
          true,
        );
        expect(shadow.received.map((r) => r.body)).toEqual(["small", "marker"]);
        expect(p.stats().versions.shadow?.mirrorSkipped["body-too-large"]).toBe(1);
      },
    );
  });

  it("mirrors non-idempotent methods only when opted in", async () => {
    shadow.received.length = 0;
    await withProxy("    mirror: [{version: shadow, percent: 100}]\n", async (p) => {
      await sendMany(p.url, 3, () => ({ method: "POST", body: "b" }), 1);
      // A GET marker sent after them is copied: a copy of a POST would have left before it, so
      // once the marker's copy is back, nothing more is coming.
      await sendMany(p.url, 1, () => ({ path: "/marker" }), 1);
      expect(await waitFor(() => p.stats().versions.shadow?.mirror.requests === 1, 10_000)).toBe(
        true,
      );
      expect(shadow.received.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /marker"]);
      expect(p.stats().versions.shadow?.mirrorSkipped.method).toBe(3);
    });
    shadow.received.length = 0;
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
