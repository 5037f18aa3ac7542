import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import { parseRollout } from "@iter8/spec";
import type { RolloutSpec } from "@iter8/spec";
import { describe, expect, it } from "vitest";
import { startTrafficProxy } from "@iter8/traffic";
import { runRollout } from "../src/index.js";
import type { RolloutDecision, RolloutResult } from "../src/index.js";
import { routingFor, sendMany, startUpstream, waitFor } from "@iter8/test-utils";

/**
 * Candidate requests a step waits for: at most 8 are in flight across a window's edges, so at
 * least 22 complete inside it, over minRequests (5); with every 5th answered 500, the failing
 * candidate's error rate stays near 20%, far over the SLO's 5%.
 */
const STEP_REQUESTS = 30;

async function rolloutAgainst(candidateErrorEvery: number | undefined) {
  const v1 = await startUpstream("v1", { keep: false });
  const v2 = await startUpstream("v2", {
    ...(candidateErrorEvery ? { errorEvery: candidateErrorEvery } : {}),
  });
  const proxy = await startTrafficProxy({
    routing: routingFor([v1, v2], "  - name: app\n    split: [{version: v1, weight: 100}]\n"),
    port: 0,
    adminPort: 0,
  });
  const dir = await mkdtemp(join(tmpdir(), "iter8-rollout-"));
  const parsed = parseRollout(`admin: ${proxy.adminUrl}
baseline: v1
candidate: v2
steps: [20, 50, 100]
interval: 400ms
failureLimit: 2
minRequests: 5
SLOs:
  - metric: built-in/error-rate
    upperLimit: 0.05
  - metric: built-in/p99
    upperLimit: 5000
`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const spec: RolloutSpec = parsed.value;
  const live: RolloutDecision[] = [];
  let done = false;
  // Background traffic, bounded in rounds, until the rollout ends.
  const traffic = (async () => {
    for (let round = 0; !done && round < 400; round++) {
      await sendMany(proxy.url, 50, () => ({}), 8);
    }
  })();
  let result: RolloutResult;
  try {
    result = await runRollout(spec, {
      resultFile: join(dir, "result.yaml"),
      adminToken: proxy.adminToken,
      onDecision: (d) => live.push(d),
      // The interval, and then until the candidate has received STEP_REQUESTS more requests: on a
      // busy machine 400 ms may carry fewer than minRequests, and a check would fail for that
      // rather than for the candidate's errors. Each decision then follows from the candidate.
      sleep: async (ms) => {
        const before = v2.received.length;
        await new Promise((resolve) => setTimeout(resolve, ms));
        const enough = await waitFor(() => v2.received.length - before >= STEP_REQUESTS, 30_000);
        if (!enough) throw new Error(`v2 received under ${STEP_REQUESTS} requests in 30 s`);
      },
    });
  } finally {
    done = true;
    await traffic;
  }
  const written = load(await readFile(join(dir, "result.yaml"), "utf8")) as RolloutResult;
  const finalRouting = proxy.routing;
  await proxy.close();
  await v1.close();
  await v2.close();
  await rm(dir, { recursive: true, force: true });
  return { result, live, written, finalRouting };
}

describe("runRollout", () => {
  it("rolls back a candidate answering 20% errors after failureLimit failed checks", async () => {
    const { result, live, written, finalRouting } = await rolloutAgainst(5);
    expect(result.state).toBe("rolled-back");
    expect(live.map((d) => d.action)).toEqual(["start", "hold", "rollback"]);
    expect(live[1]?.reason).toContain("fails built-in/error-rate <= 0.05");
    expect(live[2]?.reason).toContain("all traffic back to v1");
    expect(finalRouting.routes[0]?.split).toEqual([
      { version: "v1", weight: 100 },
      { version: "v2", weight: 0 },
    ]);
    expect(written).toEqual(JSON.parse(JSON.stringify(result)));
  });

  it("takes a healthy candidate through every step to 100%", async () => {
    const { result, live, written, finalRouting } = await rolloutAgainst(undefined);
    expect(result.state).toBe("promoted");
    expect(live.map((d) => [d.action, d.weight])).toEqual([
      ["start", 0],
      ["advance", 50],
      ["advance", 100],
      ["promote", 100],
    ]);
    expect(finalRouting.routes[0]?.split).toEqual([
      { version: "v1", weight: 0 },
      { version: "v2", weight: 100 },
    ]);
    expect(written.decisions).toHaveLength(4);
    expect(written.decisions[1]?.candidate?.metrics["built-in/error-rate"]).toBe(0);
  });
});
