import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { startKubeApiDouble } from "@iter8/test-utils";
import type { KubeApiDouble, KubeletScript } from "@iter8/test-utils";
import {
  buildLaunchObjects,
  connectCluster,
  createSecretExchange,
  KubeError,
  launchGroup,
  MAX_SECRET_BYTES,
} from "../src/index.js";
import type { KubeCluster } from "../src/index.js";

let api: KubeApiDouble | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** Launches group `checkout` of `shards` pods and connects as the pods' ServiceAccount. */
async function launched(shards: number, kubelet?: KubeletScript) {
  api = await startKubeApiDouble(kubelet ? { kubelet } : {});
  const admin = connectCluster({ env: { KUBECONFIG: api.writeKubeconfig("loadtest") } });
  const objects = buildLaunchObjects({
    experimentYaml: "- task: assess\n",
    namespace: "loadtest",
    group: "checkout",
    parallelism: shards,
    image: "iter8:test",
    version: "0.1.0",
  });
  await launchGroup(admin, objects, { waitForPodsMs: 0 });
  const asPod = (): KubeCluster =>
    connectCluster({ env: { KUBECONFIG: api!.writeKubeconfig("loadtest", "checkout-iter8") } });
  return { admin, asPod, double: api };
}

describe("createSecretExchange", () => {
  it("carries ready marks, measurements, failures and the result, with only the pods' rights", async () => {
    const { asPod, double } = await launched(3);
    const exchange = createSecretExchange(asPod(), { group: "checkout", shards: 3 });
    expect(await exchange.reports()).toEqual([]);
    await exchange.markReady(0, 1000);
    await exchange.markReady(2, 1002);
    await exchange.publishMeasurement(2, 'HISTFAAAAB3ncmpg...\n{"count":5}');
    await exchange.publishFailure(1, "connection refused by http://checkout:8080/");
    expect(await exchange.reports()).toEqual([
      { shard: 0, readyAt: 1000 },
      { shard: 1, failure: "connection refused by http://checkout:8080/" },
      { shard: 2, readyAt: 1002, measurement: 'HISTFAAAAB3ncmpg...\n{"count":5}' },
    ]);
    expect(await exchange.startTime()).toBeUndefined();
    await exchange.writeResult("numCompletedTasks: 1\n");
    const result = double
      .objects("secrets", "loadtest")
      .find((s) => s.metadata?.name === "checkout-result");
    const data = result?.data as Record<string, string>;
    expect(Buffer.from(data["result.yaml"] ?? "", "base64").toString()).toBe(
      "numCompletedTasks: 1\n",
    );
    // Every call was the ServiceAccount's, and none was refused.
    const pods = double.requests.filter(
      (r) => r.caller === "system:serviceaccount:loadtest:checkout-iter8",
    );
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.filter((r) => r.status >= 400)).toEqual([]);
  });

  it("writes the start time once: concurrent proposals all resolve to the first one written", async () => {
    const { asPod, double } = await launched(8);
    const proposals = Array.from({ length: 8 }, (_, i) => 5000 + i);
    const exchanges = proposals.map(() =>
      createSecretExchange(asPod(), { group: "checkout", shards: 8 }),
    );
    const agreed = await Promise.all(exchanges.map((e, i) => e.proposeStart(proposals[i] ?? 0)));
    const [first] = agreed;
    expect(new Set(agreed).size).toBe(1);
    expect(proposals).toContain(first);
    expect(await exchanges[3]?.startTime()).toBe(first);
    const writes = double.requests.filter(
      (r) => r.method === "PATCH" && r.path.endsWith("/secrets/checkout-result"),
    );
    expect(writes.filter((r) => r.status === 200)).toHaveLength(1);
    expect(writes.filter((r) => r.status !== 200).every((r) => r.status === 409)).toBe(true);
    // A later proposal changes nothing.
    expect(await exchanges[0]?.proposeStart(9999)).toBe(first);
  });

  it("refuses a measurement larger than a Secret holds, before sending it", async () => {
    const { asPod, double } = await launched(1);
    const exchange = createSecretExchange(asPod(), { group: "checkout", shards: 1 });
    const before = double.requests.length;
    const error: unknown = await exchange
      .publishMeasurement(0, "x".repeat(MAX_SECRET_BYTES))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeError);
    expect((error as KubeError).code).toBe("ITER8_KUBE_TOO_LARGE");
    expect((error as KubeError).message).toMatch(
      /shard 0's measurement is 1048576 bytes; Secret checkout-shard-0 holds at most/,
    );
    expect(double.requests.length).toBe(before);
    await exchange.publishMeasurement(0, "x".repeat(MAX_SECRET_BYTES - 8192));
  });

  it("gives the pods no access to another group's Secrets", async () => {
    const { admin, asPod } = await launched(1);
    await launchGroup(
      admin,
      buildLaunchObjects({
        experimentYaml: "- task: assess\n",
        namespace: "loadtest",
        group: "other",
        image: "iter8:test",
        version: "0.1.0",
      }),
      { waitForPodsMs: 0 },
    );
    const intruder = createSecretExchange(asPod(), { group: "other", shards: 1 });
    await expect(intruder.markReady(0, 1)).rejects.toThrow(
      /403 secrets "other-shard-0" is forbidden/,
    );
  });

  it("reports a shard whose pod failed before it wrote anything", async () => {
    const { asPod } = await launched(2, {
      // Shard 1's container exits 3 at once; shard 0's pod never starts.
      entrypoint: [process.execPath, "-e", "process.exit(3)"],
      neverStart: ({ index }) => index === 0,
    });
    const exchange = createSecretExchange(asPod(), { group: "checkout", shards: 2 });
    let reports = await exchange.reports();
    // Bounded poll: on a busy machine the pod's node process takes seconds to start and exit.
    for (let i = 0; i < 200 && reports.length === 0; i++) {
      await sleep(100);
      reports = await exchange.reports();
    }
    expect(reports).toEqual([
      {
        shard: 1,
        failure: expect.stringMatching(
          /^pod checkout-job-1-\w+ failed \(Error, exit code 3\)$/,
        ) as string,
      },
    ]);
  });
});
