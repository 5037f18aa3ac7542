// The same store tests against both backends of `iter8 abn`: the SQLite file (default) and Redis
// (a real redis-server started here). The kill -9 test spawns the built CLI (apps/cli/dist/bin.js);
// `pnpm test` builds first (turbo: test depends on build).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { assignVersion, createAbnClient, startAbnServer } from "@iter8/traffic";
import type { AbnAppSummary, AbnServer } from "@iter8/traffic";
import { hasRedisServer, startRedis } from "./redis-server.js";
import type { TestRedis } from "./redis-server.js";

const bin = join(import.meta.dirname, "..", "dist", "bin.js");
const WEIGHTS = [1, 1];
const redisInstalled = hasRedisServer();

let dir = "";
let redis: TestRedis | undefined;
let nextDb = 0;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  if (redisInstalled) redis = await startRedis();
}, 60_000);

afterAll(async () => {
  await redis?.stop();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-abn-stores-"));
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

interface Backend {
  name: string;
  skip: boolean;
  /** A fresh, empty store location for one test. */
  location(): string;
}

const backends: Backend[] = [
  { name: "sqlite", skip: false, location: () => join(dir, "abn.db") },
  {
    name: redisInstalled
      ? "redis"
      : "redis (SKIPPED: no redis-server; apt-get install redis-server)",
    skip: !redisInstalled,
    // A database of its own per test (redis-server has 16).
    location: () => `${redis?.url ?? "redis://127.0.0.1:1"}/${nextDb++ % 16}`,
  },
];

async function startServer(store: string): Promise<AbnServer> {
  const server = await startAbnServer({ apps: { shop: { weights: WEIGHTS } }, store });
  cleanups.push(() => server.close());
  return server;
}

/** `iter8 abn` as a child process; resolves once it listens. */
async function spawnAbn(store: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [bin, "abn", "--app", "shop=1,1", "--port", "0", "--store", store],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`abn did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`abn exited with ${code}: ${output}`));
    });
  });
  return { child, url };
}

function totals(summary: AbnAppSummary, metric: string): { users: number; count: number } {
  return summary.versions.reduce(
    (t, v) => ({ users: t.users + v.users, count: t.count + (v.metrics[metric]?.count ?? 0) }),
    { users: 0, count: 0 },
  );
}

describe.each(backends)("iter8 abn store: $name", (backend) => {
  it.skipIf(backend.skip)(
    "loses no acknowledged post when the process is killed with kill -9 during concurrent posts",
    async () => {
      const store = backend.location();
      const { child, url } = await spawnAbn(store);
      const exited = new Promise((resolve) => child.once("exit", resolve));
      let next = 0;
      let acknowledged = 0;
      let killed = false;
      const deadline = Date.now() + 30_000;
      // Bounded: 8 workers, at most 3000 posts, at most 30 s; killed after 150 acknowledgements.
      const worker = async (): Promise<void> => {
        while (!killed && next < 3000 && Date.now() < deadline) {
          const user = `user-${next++}`;
          try {
            const res = await fetch(`${url}/metrics`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ app: "shop", user, metric: "conversion", value: 1 }),
              signal: AbortSignal.timeout(10_000),
            });
            await res.text();
            if (res.status !== 200) return;
            acknowledged++;
          } catch {
            return; // the process is gone
          }
          if (acknowledged >= 150 && !killed) {
            killed = true;
            child.kill("SIGKILL");
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      expect(killed).toBe(true);
      await exited;
      const sent = next;

      const restarted = await spawnAbn(store);
      const summary = await createAbnClient(restarted.url).summaries("shop");
      const { users, count } = totals(summary, "conversion");
      // Every acknowledged post is there; posts in flight at the kill may or may not be.
      expect(count).toBeGreaterThanOrEqual(acknowledged);
      expect(count).toBeLessThanOrEqual(sent);
      expect(users).toBe(count); // one post per user: each post all or nothing
      summary.versions.forEach((v) => {
        const c = v.metrics.conversion;
        if (c) expect(c.sum).toBe(c.count);
      });
    },
    90_000,
  );

  it.skipIf(backend.skip)(
    "lets two replicas sharing the store see each other's assignments and metrics",
    async () => {
      const store = backend.location();
      const a = await startServer(store);
      const b = await startServer(store);
      const clientA = createAbnClient(a.url);
      const clientB = createAbnClient(b.url);
      const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
      for (const user of users.slice(0, 5)) {
        expect(await clientA.lookup("shop", user)).toBe(await clientB.lookup("shop", user));
      }
      // Concurrent posts, alternating replicas; each user posts 1 then 2.
      await Promise.all(
        users.map(async (user, i) => {
          await (i % 2 === 0 ? clientA : clientB).recordMetric("shop", user, "revenue", 1);
          await (i % 2 === 0 ? clientB : clientA).recordMetric("shop", user, "revenue", 2);
        }),
      );
      const fromA = await clientA.summaries("shop");
      const fromB = await clientB.summaries("shop");
      expect(fromB).toEqual(fromA);
      for (const [v, version] of fromA.versions.entries()) {
        const n = users.filter((u) => assignVersion(u, WEIGHTS, "shop") === v).length;
        expect(version.users).toBe(n);
        expect(version.metrics.revenue).toEqual({ count: 2 * n, sum: 3 * n, sumSquares: 5 * n });
      }
    },
  );

  it.skipIf(backend.skip)(
    "refuses a post that would make a sum of squares infinite, and keeps the metric usable",
    async () => {
      const server = await startServer(backend.location());
      const client = createAbnClient(server.url);
      await client.recordMetric("shop", "alice", "revenue", 4);
      await expect(client.recordMetric("shop", "alice", "revenue", 1.7e308)).rejects.toThrow(
        /400 metric "revenue" of version \d of app "shop".*non-finite/,
      );
      await client.recordMetric("shop", "alice", "revenue", 6);
      const v = assignVersion("alice", WEIGHTS, "shop");
      const summary = await client.summaries("shop");
      expect(summary.versions[v]?.metrics.revenue).toEqual({ count: 2, sum: 10, sumSquares: 52 });
      expect(summary.versions[v]?.users).toBe(1);
    },
  );

  it.skipIf(backend.skip)(
    "keeps metrics named constructor, __proto__ and toString as data of the version that posted them",
    async () => {
      const server = await startServer(backend.location());
      const client = createAbnClient(server.url);
      const names = ["constructor", "__proto__", "toString"];
      for (const name of names) await client.recordMetric("shop", "alice", name, 2);
      const v = assignVersion("alice", WEIGHTS, "shop");
      const summary = await client.summaries("shop");
      for (const name of names) {
        expect(summary.versions[v]?.metrics[name]).toEqual({ count: 1, sum: 2, sumSquares: 4 });
        expect(summary.versions[1 - v]?.metrics[name]).toBeUndefined();
      }
    },
  );
});

describe.skipIf(!redisInstalled)("iter8 abn store: redis at its maxmemory", () => {
  it("answers 507 when Redis is full (noeviction) and keeps each refused post out whole", async () => {
    const full = await startRedis(["--maxmemory", "2mb", "--maxmemory-policy", "noeviction"]);
    cleanups.push(() => full.stop());
    const server = await startServer(`${full.url}/0`);
    let accepted = 0;
    let refused = 0;
    let message = "";
    // Bounded: at most 5000 posts of 1 KB user names; 2 MB hold a few hundred.
    for (let i = 0; i < 5000 && refused < 20; i++) {
      const user = `user-${i}-${"z".repeat(1000)}`;
      const res = await fetch(`${server.url}/metrics`, {
        method: "POST",
        body: JSON.stringify({ app: "shop", user, metric: "conversion", value: 1 }),
      });
      const answer = (await res.json()) as { error?: string };
      if (res.status === 200) accepted++;
      else {
        expect(res.status).toBe(507);
        message = answer.error ?? "";
        refused++;
      }
    }
    expect(refused).toBe(20);
    expect(accepted).toBeGreaterThan(10);
    expect(message).toMatch(/OOM/);
    const { users, count } = totals(
      await createAbnClient(server.url).summaries("shop"),
      "conversion",
    );
    expect(users).toBe(accepted);
    expect(count).toBe(accepted);
  });
});
