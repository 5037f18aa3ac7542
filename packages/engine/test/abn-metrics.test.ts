import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseExperiment } from "@iter8/spec";
import type { Experiment } from "@iter8/spec";
import { assignVersion, createAbnClient, startAbnServer } from "@iter8/traffic";
import type { AbnServer } from "@iter8/traffic";
import { runExperiment } from "../src/index.js";

let dir = "";
let abn: AbnServer | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-abnmetrics-"));
});

afterEach(async () => {
  await abn?.close();
  abn = undefined;
  await rm(dir, { recursive: true, force: true });
});

function parse(yaml: string): Experiment {
  const parsed = parseExperiment(yaml);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return parsed.value;
}

describe("abnmetrics", () => {
  it.each(["constructor", "toString", "__proto__"])(
    "reads a metric named %s that only one version posted as empty in the other",
    async (metric) => {
      abn = await startAbnServer({
        apps: { shop: { weights: [1, 1] } },
        store: join(dir, "abn.db"),
      });
      const client = createAbnClient(abn.url);
      const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
      const inV0 = users.filter((u) => assignVersion(u, [1, 1], "shop") === 0).slice(0, 3);
      for (const [i, user] of inV0.entries()) await client.recordMetric("shop", user, metric, i);
      const result = await runExperiment(
        parse(`- task: abnmetrics\n  with: {url: "${abn.url}", app: shop}\n`),
        { dir },
      );
      expect(result.failure).toBe(false);
      const name = `abn/${metric}`;
      expect(result.insights?.metricSummaries?.[0]?.[name]).toEqual({
        type: "mean",
        count: 3,
        sum: 3,
        sumSquares: 5,
      });
      expect(result.insights?.metricSummaries?.[1]?.[name]).toEqual({
        type: "mean",
        count: 0,
        sum: 0,
        sumSquares: 0,
      });
      expect(result.insights?.metricValues[0]?.[name]).toEqual([1]);
      expect(result.insights?.metricValues[1]?.[name]).toBeUndefined();
    },
  );
});
