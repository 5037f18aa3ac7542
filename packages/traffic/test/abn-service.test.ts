import { appendFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ABN_ERROR_CODES, assignVersion, createAbnClient, startAbnServer } from "../src/index.js";
import type { AbnServer } from "../src/index.js";

let dir = "";
let dataFile = "";
const servers: AbnServer[] = [];

async function start(weights = [75, 25]): Promise<AbnServer> {
  const server = await startAbnServer({ apps: { shop: { weights } }, dataFile });
  servers.push(server);
  return server;
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-abn-"));
  dataFile = join(dir, "abn.jsonl");
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

  it("loses nothing across a restart (the data file is replayed)", async () => {
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
    expect(after).toEqual(before);
    const total = after.versions.reduce((n, v) => n + (v.metrics.conversion?.count ?? 0), 0);
    expect(total).toBe(30);
  });

  it("ignores a torn last line left by a crash mid-write", async () => {
    const first = await start();
    await createAbnClient(first.url).recordMetric("shop", "alice", "conversion", 1);
    await first.close();
    servers.splice(0);
    await appendFile(dataFile, '{"kind":"metric","app":"shop","us');
    const second = await start();
    const summary = await createAbnClient(second.url).summaries("shop");
    const v = assignVersion("alice", [75, 25], "shop");
    expect(summary.versions[v]?.metrics.conversion).toEqual({ count: 1, sum: 1, sumSquares: 1 });
    expect((await readFile(dataFile, "utf8")).split("\n")[0]).toContain('"kind":"metric"');
    // A record written after the torn line survives the next restart.
    await createAbnClient(second.url).recordMetric("shop", "alice", "conversion", 0);
    await second.close();
    servers.splice(0);
    const third = await start();
    const again = await createAbnClient(third.url).summaries("shop");
    expect(again.versions[v]?.metrics.conversion).toEqual({ count: 2, sum: 1, sumSquares: 1 });
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
      startAbnServer({ apps: { shop: { weights: [0, 0] } }, dataFile }),
    ).rejects.toMatchObject({
      code: ABN_ERROR_CODES.invalid,
    });
  });
});
