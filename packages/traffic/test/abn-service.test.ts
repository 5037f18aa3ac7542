import { access, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ABN_ERROR_CODES,
  assignVersion,
  createAbnClient,
  openAbnStore,
  startAbnServer,
} from "../src/index.js";
import type { AbnServer, AbnStoreOptions } from "../src/index.js";

let dir = "";
let dataFile = "";
const servers: AbnServer[] = [];

async function start(weights = [75, 25], storeOptions: AbnStoreOptions = {}): Promise<AbnServer> {
  const server = await startAbnServer({
    apps: { shop: { weights } },
    store: dataFile,
    storeOptions,
  });
  servers.push(server);
  return server;
}

async function stop(server: AbnServer): Promise<void> {
  servers.splice(servers.indexOf(server), 1);
  await server.close();
}

/** Posts `body` to /metrics; resolves with the status and the error text, if any. */
async function post(server: AbnServer, body: unknown): Promise<{ status: number; error?: string }> {
  const res = await fetch(new URL("/metrics", server.url), {
    method: "POST",
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { error?: string };
  return answer.error === undefined
    ? { status: res.status }
    : { status: res.status, error: answer.error };
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-abn-"));
  dataFile = join(dir, "abn.db");
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe("iter8 abn service", () => {
  it("looks up the same version as assignVersion with the app as salt, every time", async () => {
    const server = await start();
    const client = createAbnClient(server.url);
    for (const user of ["alice", "bob", "carol", "dave", "erin"]) {
      const version = await client.lookup("shop", user);
      expect(version).toBe(assignVersion(user, [75, 25], "shop"));
      expect(await client.lookup("shop", user)).toBe(version);
    }
  });

  it("adds posted values to the summary of the user's version and counts its users", async () => {
    const server = await start([1, 1]);
    const client = createAbnClient(server.url);
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const expected = [
      { users: 0, count: 0, sum: 0, sumSquares: 0 },
      { users: 0, count: 0, sum: 0, sumSquares: 0 },
    ];
    for (const [i, user] of users.entries()) {
      const value = i % 3;
      await client.recordMetric("shop", user, "revenue", value);
      const e = expected[assignVersion(user, [1, 1], "shop")];
      if (!e) throw new Error("unreachable");
      e.users++;
      e.count++;
      e.sum += value;
      e.sumSquares += value * value;
    }
    const summary = await client.summaries("shop");
    expect(summary.weights).toEqual([1, 1]);
    summary.versions.forEach((v, i) => {
      expect(v.users).toBe(expected[i]?.users);
      expect(v.metrics.revenue ?? { count: 0, sum: 0, sumSquares: 0 }).toEqual({
        count: expected[i]?.count,
        sum: expected[i]?.sum,
        sumSquares: expected[i]?.sumSquares,
      });
    });
  });

  it("loses nothing across a restart (the store is reopened)", async () => {
    const first = await start();
    const client = createAbnClient(first.url);
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        client.recordMetric("shop", `u${i}`, "conversion", i % 2),
      ),
    );
    const before = await client.summaries("shop");
    await first.close();
    servers.splice(servers.indexOf(first), 1);

    const second = await start();
    const after = await createAbnClient(second.url).summaries("shop");
    expect(second.store.description).toBe(`sqlite ${dataFile}`);
    expect(after).toEqual(before);
    const total = after.versions.reduce((n, v) => n + (v.metrics.conversion?.count ?? 0), 0);
    expect(total).toBe(30);
  });

  it("migrates a JSON Lines data file once, skipping a torn last line, and renames it aside", async () => {
    const legacy = join(dir, "abn-data.jsonl");
    const v = assignVersion("alice", [75, 25], "shop");
    const lines = [
      { kind: "metric", app: "shop", user: "alice", version: v, metric: "conversion", value: 1 },
      { kind: "metric", app: "shop", user: "alice", version: v, metric: "conversion", value: 0 },
      { kind: "user", app: "shop", user: "bob", version: 1 - v },
      // An old store took values whose square overflows; the migration skips them.
      {
        kind: "metric",
        app: "shop",
        user: "bob",
        version: 1 - v,
        metric: "revenue",
        value: 1.7e308,
      },
    ].map((r) => JSON.stringify(r));
    await writeFile(legacy, `${lines.join("\n")}\n{"kind":"metric","app":"shop","us`);
    const first = await start([75, 25], { migrateFrom: legacy });
    expect(first.store.migration).toEqual({ file: `${legacy}.migrated`, records: 3, skipped: 2 });
    expect(await exists(legacy)).toBe(false);
    expect(await exists(`${legacy}.migrated`)).toBe(true);
    const summary = await createAbnClient(first.url).summaries("shop");
    expect(summary.versions[v]).toEqual({
      users: 1,
      metrics: { conversion: { count: 2, sum: 1, sumSquares: 1 } },
    });
    expect(summary.versions[1 - v]).toEqual({ users: 1, metrics: {} });
    await stop(first);

    // The same file put back (as a crash between the import's commit and the rename leaves it)
    // is renamed again, not imported twice.
    await rm(`${legacy}.migrated`);
    await writeFile(legacy, `${lines.join("\n")}\n`);
    const second = await start([75, 25], { migrateFrom: legacy });
    expect(second.store.migration).toBeUndefined();
    expect(await exists(legacy)).toBe(false);
    expect((await createAbnClient(second.url).summaries("shop")).versions[v]?.metrics).toEqual({
      conversion: { count: 2, sum: 1, sumSquares: 1 },
    });
  });

  it("migrates a JSON Lines file found at the store's own path into a SQLite file there", async () => {
    const v = assignVersion("carol", [75, 25], "shop");
    const record = {
      kind: "metric",
      app: "shop",
      user: "carol",
      version: v,
      metric: "m",
      value: 3,
    };
    await writeFile(dataFile, `${JSON.stringify(record)}\n`);
    const server = await start();
    expect(server.store.migration?.file).toBe(`${dataFile}.migrated`);
    expect((await createAbnClient(server.url).summaries("shop")).versions[v]?.metrics).toEqual({
      m: { count: 1, sum: 3, sumSquares: 9 },
    });
  });

  it("refuses to open a file that is neither SQLite nor JSON Lines, and leaves it alone", async () => {
    await writeFile(dataFile, "apps:\n  shop: [1, 1]\n");
    await expect(start()).rejects.toMatchObject({
      code: ABN_ERROR_CODES.storage,
      message: `${dataFile} is neither a SQLite database nor a JSON Lines data file of iter8 abn`,
    });
    expect(await exists(dataFile)).toBe(true);
    expect(await exists(`${dataFile}.migrating`)).toBe(false);
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty"])(
    "keeps a metric named %s as data, in the version that posted it only",
    async (metric) => {
      const server = await start([1, 1]);
      const client = createAbnClient(server.url);
      // A user of each version, so that one version has the metric and the other has not.
      const users = ["u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7"];
      const inV0 = users.find((u) => assignVersion(u, [1, 1], "shop") === 0) ?? "";
      const inV1 = users.find((u) => assignVersion(u, [1, 1], "shop") === 1) ?? "";
      await client.recordMetric("shop", inV0, metric, 2);
      await client.recordMetric("shop", inV0, metric, 3);
      await client.recordMetric("shop", inV1, "conversion", 1);
      const summary = await client.summaries("shop");
      expect(Object.hasOwn(summary.versions[0]?.metrics ?? {}, metric)).toBe(true);
      expect(summary.versions[0]?.metrics[metric]).toEqual({ count: 2, sum: 5, sumSquares: 13 });
      expect(Object.hasOwn(summary.versions[1]?.metrics ?? {}, metric)).toBe(false);
      expect(summary.versions[1]?.metrics[metric]).toBeUndefined();
      // The raw answer carries it as an own key too.
      const raw = await (await fetch(new URL("/summaries?app=shop", server.url))).text();
      expect(raw).toContain(`"${metric}":{"count":2,"sum":5,"sumSquares":13}`);
    },
  );

  it("answers 400 to a value whose square would overflow, and later assessments still work", async () => {
    const server = await start([1, 0]);
    const client = createAbnClient(server.url);
    await client.recordMetric("shop", "alice", "revenue", 10);
    const huge = await post(server, {
      app: "shop",
      user: "alice",
      metric: "revenue",
      value: 1.7e308,
    });
    expect(huge.status).toBe(400);
    expect(huge.error).toMatch(/metric "revenue" of version 0 of app "shop".*non-finite/);
    // Sums that reach the limit in steps are refused at the step that would overflow.
    await client.recordMetric("shop", "bob", "big", 1e154);
    const step = await post(server, { app: "shop", user: "carol", metric: "big", value: 1e154 });
    expect(step.status).toBe(400);
    // Posted together (one transaction), the refused post is rolled back alone.
    const together = await Promise.all([
      post(server, { app: "shop", user: "alice", metric: "revenue", value: 20 }),
      post(server, { app: "shop", user: "dave", metric: "revenue", value: -1.7e308 }),
      post(server, { app: "shop", user: "erin", metric: "revenue", value: 30 }),
    ]);
    expect(together.map((a) => a.status)).toEqual([200, 400, 200]);
    const summary = await client.summaries("shop");
    expect(summary.versions[0]?.metrics.revenue).toEqual({
      count: 3,
      sum: 60,
      sumSquares: 1400,
    });
    expect(summary.versions[0]?.metrics.big).toEqual({ count: 1, sum: 1e154, sumSquares: 1e308 });
    expect(summary.versions[0]?.users).toBe(3);
  });

  it("answers 507 when the store is full and keeps nothing of the refused posts", async () => {
    // SQLite's max_page_count makes the database "full" as a full disk would (SQLITE_FULL).
    const server = await start([1, 1], { maxBytes: 64 * 1024 });
    const client = createAbnClient(server.url);
    const accepted: Array<{ user: string; version: number }> = [];
    let refused = 0;
    // Bounded: at most 200 rounds of 10 concurrent posts (which share a transaction); long user
    // names fill 64 KiB in a few hundred posts. A batch that fails fails whole.
    for (let round = 0; round < 200 && refused < 20; round++) {
      const users = Array.from({ length: 10 }, (_, i) => `user-${round}-${i}-${"x".repeat(200)}`);
      const answers = await Promise.all(
        users.map((user) => post(server, { app: "shop", user, metric: "conversion", value: 1 })),
      );
      answers.forEach((answer, i) => {
        const user = users[i] ?? "";
        if (answer.status === 200) {
          accepted.push({ user, version: assignVersion(user, [1, 1], "shop") });
        } else {
          expect(answer.status).toBe(507);
          expect(answer.error).toMatch(/the store is full.*nothing of this write was kept/);
          refused++;
        }
      });
    }
    expect(refused).toBeGreaterThanOrEqual(20);
    expect(accepted.length).toBeGreaterThan(10);
    const check = async (url: string): Promise<void> => {
      const summary = await createAbnClient(url).summaries("shop");
      summary.versions.forEach((v, version) => {
        const n = accepted.filter((a) => a.version === version).length;
        expect(v.users).toBe(n);
        expect(v.metrics.conversion?.count ?? 0).toBe(n);
        expect(v.metrics.conversion?.sum ?? 0).toBe(n);
      });
    };
    await check(server.url);
    // An update in place of an existing row needs no new page: a full store still takes it.
    const first = accepted[0];
    if (!first) throw new Error("unreachable");
    await client.recordMetric("shop", first.user, "conversion", 0);
    await stop(server);
    const again = await start([1, 1], { maxBytes: 64 * 1024 });
    const summary = await createAbnClient(again.url).summaries("shop");
    const n = accepted.filter((a) => a.version === first.version).length;
    expect(summary.versions[first.version]?.metrics.conversion).toEqual({
      count: n + 1,
      sum: n,
      sumSquares: n,
    });
  });

  it("fails a batch of posts sharing a transaction whole when the store fills during it", async () => {
    const store = await openAbnStore(dataFile, { maxBytes: 64 * 1024 });
    try {
      const big = (name: string): string => `${name}-${"y".repeat(2000)}`;
      await store.recordMetric("shop", "alice", 0, "m", 1);
      // Fill: one post at a time, until the store refuses one (bounded: 500 posts).
      let full = false;
      for (let i = 0; i < 500 && !full; i++) {
        full = await store.recordMetric("shop", big(`fill-${i}`), 0, "m", 1).then(
          () => false,
          (error: unknown) => (error as { code?: string }).code === ABN_ERROR_CODES.storageFull,
        );
      }
      expect(full).toBe(true);
      const before = await store.summarise("shop", 2);
      // Ten posts in the same turn share one transaction: an in-place update that fits, then
      // new users that do not. All fail, and nothing of the batch is kept.
      const batch = [
        store.recordMetric("shop", "alice", 0, "m", 5),
        ...Array.from({ length: 9 }, (_, i) =>
          store.recordMetric("shop", big(`new-${i}`), 1, "m", 1),
        ),
      ];
      const outcomes = await Promise.allSettled(batch);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe("rejected");
        if (outcome.status === "rejected") {
          expect(outcome.reason).toMatchObject({ code: ABN_ERROR_CODES.storageFull });
        }
      }
      expect(await store.summarise("shop", 2)).toEqual(before);
      // The same update alone fits: it was refused only because its batch failed.
      await store.recordMetric("shop", "alice", 0, "m", 5);
      const after = await store.summarise("shop", 2);
      expect(after[0]?.metrics.m?.sum).toBe((before[0]?.metrics.m?.sum ?? 0) + 5);
    } finally {
      await store.close();
    }
  });

  it("keeps the file size bounded by users × metrics, not by posts", async () => {
    const store = await openAbnStore(dataFile);
    const round = async (r: number, target = store): Promise<void> => {
      for (let u = 0; u < 50; u++) {
        for (const metric of ["conversion", "revenue"]) {
          await target.recordMetric("shop", `user-${u}`, u % 2, metric, r + u);
        }
      }
    };
    await round(0);
    await store.close();
    const afterOne = (await stat(dataFile)).size;
    const again = await openAbnStore(dataFile);
    try {
      for (let r = 1; r <= 10; r++) await round(r, again);
      const summary = await again.summarise("shop", 2);
      expect(summary.reduce((n, v) => n + (v.metrics.revenue?.count ?? 0), 0)).toBe(550);
    } finally {
      await again.close();
    }
    // Eleven times the posts, the same rows: the file (checkpointed on close) does not grow but
    // for a few pages of slack (values stored in more bytes as sums grow).
    expect((await stat(dataFile)).size).toBeLessThanOrEqual(afterOne + 4 * 4096);
  });

  it.each([
    ["an unknown app", "/lookup?app=nope&user=a", undefined, 400, /unknown app "nope"/],
    ["a missing user", "/lookup?app=shop", undefined, 400, /user is required/],
    [
      "a value that is not a number",
      "/metrics",
      { app: "shop", user: "a", metric: "m", value: "1" },
      400,
      /value must be a finite number/,
    ],
    ["an unknown route", "/nowhere", undefined, 404, /no route GET \/nowhere/],
  ])("answers %s with %s", async (_name, path, body, status, message) => {
    const server = await start();
    const res = await fetch(
      new URL(path, server.url),
      body === undefined ? {} : { method: "POST", body: JSON.stringify(body) },
    );
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toMatch(message);
  });

  it("makes the client throw a coded error on an error answer", async () => {
    const server = await start();
    await expect(createAbnClient(server.url).lookup("nope", "a")).rejects.toMatchObject({
      code: ABN_ERROR_CODES.request,
    });
  });

  it("refuses to start with invalid weights", async () => {
    await expect(
      startAbnServer({ apps: { shop: { weights: [0, 0] } }, store: dataFile }),
    ).rejects.toMatchObject({
      code: ABN_ERROR_CODES.invalid,
    });
  });
});
