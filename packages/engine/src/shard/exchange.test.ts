import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDirectoryExchange } from "./exchange.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-exchange-"));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe("createDirectoryExchange", () => {
  it("keeps the first proposed start time: every proposer gets the one that holds", async () => {
    const exchangeDir = join(dir, "x");
    const proposals = Array.from({ length: 16 }, (_, i) =>
      createDirectoryExchange(exchangeDir).proposeStart(1000 + i),
    );
    const held = await Promise.all(proposals);
    expect(new Set(held).size).toBe(1);
    expect(held[0]).toBeGreaterThanOrEqual(1000);
    expect(await createDirectoryExchange(exchangeDir).startTime()).toBe(held[0]);
    expect(await createDirectoryExchange(exchangeDir).proposeStart(5)).toBe(held[0]);
  });

  it("reads back what each shard published, one report per shard", async () => {
    const exchange = createDirectoryExchange(join(dir, "x"));
    expect(await exchange.reports()).toEqual([]);
    expect(await exchange.startTime()).toBeUndefined();
    await exchange.markReady(2, 1234);
    await exchange.markReady(0, 1200);
    await exchange.publishMeasurement(0, "m0");
    await exchange.publishFailure(2, "no payload");
    await exchange.writeResult("startTime: x\n");
    expect(await exchange.reports()).toEqual([
      { shard: 0, readyAt: 1200, measurement: "m0" },
      { shard: 2, readyAt: 1234, failure: "no payload" },
    ]);
  });

  it("refuses a start time that is not one, naming the file", async () => {
    const exchange = createDirectoryExchange(dir);
    await writeFile(join(dir, "start.json"), "soon");
    await expect(exchange.startTime()).rejects.toThrow(
      `shard exchange ${join(dir, "start.json")}: expected {"at": <epoch ms>}`,
    );
  });
});
