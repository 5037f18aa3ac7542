import { parseRollout } from "@iter8/spec";
import { startTrafficProxy } from "@iter8/traffic";
import { describe, expect, it } from "vitest";
import { runRollout } from "../src/index.js";
import { routingFor, sendMany, startUpstream } from "@iter8/test-utils";

describe("runRollout with an injected clock and sleep", () => {
  it("waits each interval through the given sleep and stamps decisions with the given clock", async () => {
    const v1 = await startUpstream("v1", { keep: false });
    const v2 = await startUpstream("v2", { keep: false });
    const proxy = await startTrafficProxy({
      routing: routingFor([v1, v2], "  - name: app\n    split: [{version: v1, weight: 100}]\n"),
      port: 0,
      adminPort: 0,
    });
    try {
      const parsed = parseRollout(`admin: ${proxy.adminUrl}
baseline: v1
candidate: v2
steps: [50, 100]
interval: 1h
failureLimit: 1
minRequests: 1
SLOs:
  - {metric: built-in/error-rate, upperLimit: 0.05}
`);
      if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
      const waits: number[] = [];
      let tick = 0;
      const result = await runRollout(parsed.value, {
        adminToken: proxy.adminToken,
        now: () => new Date(Date.UTC(2030, 0, 1, 0, 0, tick++)),
        // The hour-long interval passes as soon as the step has served its traffic.
        sleep: async (ms) => {
          waits.push(ms);
          await sendMany(proxy.url, 40, () => ({}), 4);
        },
      });
      expect(result.state).toBe("promoted");
      expect(waits).toEqual([3_600_000, 3_600_000]);
      expect(result.startTime).toBe("2030-01-01T00:00:00.000Z");
      expect(result.decisions.map((d) => d.time.slice(0, 16))).toEqual(
        result.decisions.map(() => "2030-01-01T00:00"),
      );
    } finally {
      await proxy.close();
      await v1.close();
      await v2.close();
    }
  });
});
