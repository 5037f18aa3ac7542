import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseRouting, routingToDocument } from "@iter8/spec";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTrafficProxy } from "../src/index.js";
import type { ProxyEvent } from "../src/index.js";
import {
  adminHeaders,
  percentOf,
  routingFor,
  sendMany,
  startUpstream,
  waitFor,
} from "@iter8/test-utils";
import type { Upstream } from "@iter8/test-utils";

let v1: Upstream;
let v2: Upstream;

beforeAll(async () => {
  v1 = await startUpstream("v1", { keep: false, delayMs: 2 });
  v2 = await startUpstream("v2", { keep: false, delayMs: 2 });
});

afterAll(async () => {
  await v1.close();
  await v2.close();
});

const split = (w1: number, w2: number) =>
  routingFor([v1, v2], `  - split: [{version: v1, weight: ${w1}}, {version: v2, weight: ${w2}}]\n`);

describe("routing swaps", () => {
  it("drops zero requests while PUT /routing swaps the table under load", async () => {
    const proxy = await startTrafficProxy({ routing: split(100, 0), port: 0, adminPort: 0 });
    try {
      let swaps = 0;
      let loading = true;
      const load = sendMany(proxy.url, 6000, () => ({}), 32).finally(() => (loading = false));
      const swapper = (async () => {
        for (let i = 0; loading && i < 200; i++) {
          const routing = i % 2 === 0 ? split(0, 100) : split(100, 0);
          const response = await request(`${proxy.adminUrl}/routing`, {
            method: "PUT",
            headers: adminHeaders(proxy, true),
            body: JSON.stringify(routingToDocument(routing)),
          });
          expect(response.statusCode).toBe(200);
          await response.body.dump();
          swaps++;
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const [answers] = await Promise.all([load, swapper]);
      expect(swaps).toBeGreaterThan(5);
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      expect(percentOf(answers, "v1")).toBeGreaterThan(0);
      expect(percentOf(answers, "v2")).toBeGreaterThan(0);
      expect(proxy.generation).toBe(1 + swaps);
    } finally {
      await proxy.close();
    }
    // The client, the proxy and both upstreams share this thread: 26 s at a load of 34.
  }, 240_000);

  it("lets a request in flight finish on the table it started with", async () => {
    const slow = await startUpstream("slow", { delayMs: 300 });
    const both = (w1: number, w2: number) =>
      routingFor(
        [slow, v2],
        `  - split: [{version: slow, weight: ${w1}}, {version: v2, weight: ${w2}}]\n`,
      );
    const proxy = await startTrafficProxy({ routing: both(1, 0), port: 0, adminPort: 0 });
    try {
      const inFlight = sendMany(proxy.url, 1, () => ({}), 1);
      // The request has reached the slow version and waits there for its answer.
      expect(await waitFor(() => slow.received.length === 1)).toBe(true);
      proxy.setRouting(both(0, 1));
      const after = await sendMany(proxy.url, 5, () => ({}), 1);
      const [first] = await inFlight;
      expect(first).toMatchObject({ status: 200, version: "slow", body: "slow" });
      expect(after.every((a) => a.version === "v2")).toBe(true);
    } finally {
      await proxy.close();
      await slow.close();
    }
  });

  it("refuses an invalid routing with 400 and its issues, keeping the old one", async () => {
    const proxy = await startTrafficProxy({ routing: split(100, 0), port: 0, adminPort: 0 });
    try {
      const response = await request(`${proxy.adminUrl}/routing`, {
        method: "PUT",
        headers: adminHeaders(proxy, true),
        body: "versions: [{name: v1, url: 'http://127.0.0.1:1'}]\nroutes:\n  - split: [{version: v9, weight: 1}]\n",
      });
      expect(response.statusCode).toBe(400);
      const body = (await response.body.json()) as {
        issues: Array<{ path: string; message: string }>;
      };
      expect(body.issues[0]).toMatchObject({ path: "routes[0].split[0].version" });
      expect(proxy.generation).toBe(1);
      const answers = await sendMany(proxy.url, 20, () => ({}), 4);
      expect(percentOf(answers, "v1")).toBe(100);
    } finally {
      await proxy.close();
    }
  });

  it("writes a routing swapped in through PUT /routing back to the watched file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iter8-traffic-"));
    const file = join(dir, "routing.yaml");
    const yaml = (w1: number, w2: number) =>
      `versions:\n  - {name: v1, url: "${v1.url}"}\n  - {name: v2, url: "${v2.url}"}\nroutes:\n  - name: default\n    split: [{version: v1, weight: ${w1}}, {version: v2, weight: ${w2}}]\n`;
    await writeFile(file, yaml(100, 0));
    const events: ProxyEvent[] = [];
    const proxy = await startTrafficProxy({
      routing: split(100, 0),
      port: 0,
      adminPort: 0,
      watchFile: file,
      onEvent: (e) => events.push(e),
    });
    try {
      const response = await request(`${proxy.adminUrl}/routing`, {
        method: "PUT",
        headers: adminHeaders(proxy, true),
        body: yaml(0, 100),
      });
      expect(response.statusCode).toBe(200);
      await response.body.dump();
      expect(await waitFor(() => events.some((e) => e.type === "routing-written"))).toBe(true);
      expect(events).toContainEqual({ type: "routing-written", generation: 2, file });
      // On disk what the proxy serves: a restart from the file keeps the promoted weights.
      const text = await readFile(file, "utf8");
      expect(text).toMatch(/^# Written by the iter8 traffic proxy: routing generation 2/);
      const onDisk = parseRouting(text);
      expect(onDisk.ok).toBe(true);
      if (onDisk.ok)
        expect(routingToDocument(onDisk.value)).toEqual(routingToDocument(proxy.routing));
      expect(percentOf(await sendMany(proxy.url, 20, () => ({}), 4), "v2")).toBe(100);
      // Its own write is not read back as a new routing (the watch waits 100 ms before reading).
      await new Promise((r) => setTimeout(r, 600));
      expect(proxy.generation).toBe(2);
      expect(events.filter((e) => e.type === "routing-swapped")).toHaveLength(1);
      // A later edit of the file still swaps.
      await writeFile(file, yaml(100, 0));
      expect(await waitFor(() => proxy.generation === 3)).toBe(true);
      expect(percentOf(await sendMany(proxy.url, 20, () => ({}), 4), "v1")).toBe(100);
    } finally {
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("swaps to a watched file's new content, and ignores an invalid edit", async () => {
    const dir = await mkdtemp(join(tmpdir(), "iter8-traffic-"));
    const file = join(dir, "routing.yaml");
    const yaml = (w1: number, w2: number) =>
      `versions:\n  - {name: v1, url: "${v1.url}"}\n  - {name: v2, url: "${v2.url}"}\nroutes:\n  - split: [{version: v1, weight: ${w1}}, {version: v2, weight: ${w2}}]\n`;
    await writeFile(file, yaml(100, 0));
    const events: ProxyEvent[] = [];
    const proxy = await startTrafficProxy({
      routing: split(100, 0),
      port: 0,
      adminPort: 0,
      watchFile: file,
      onEvent: (e) => events.push(e),
    });
    try {
      // Written as editors do: a new file renamed over the old one.
      await writeFile(`${file}.tmp`, yaml(0, 100));
      await rename(`${file}.tmp`, file);
      expect(await waitFor(() => proxy.generation > 1)).toBe(true);
      expect(percentOf(await sendMany(proxy.url, 20, () => ({}), 4), "v2")).toBe(100);
      await writeFile(file, "versions: [\n");
      expect(await waitFor(() => events.some((e) => e.type === "routing-rejected"))).toBe(true);
      expect(percentOf(await sendMany(proxy.url, 20, () => ({}), 4), "v2")).toBe(100);
    } finally {
      await proxy.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
