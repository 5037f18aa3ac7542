import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startKubeApiDouble } from "@iter8/test-utils";
import type { KubeApiDouble } from "@iter8/test-utils";
import {
  buildLaunchObjects,
  connectCluster,
  deleteGroup,
  KubeError,
  launchGroup,
  readGroup,
  readJobState,
} from "../src/index.js";
import type { KubeCluster, LaunchSpec } from "../src/index.js";

const EXPERIMENT = readFileSync(new URL("fixtures/experiment.yaml", import.meta.url), "utf8");

const spec = (parallelism: number): LaunchSpec => ({
  experimentYaml: EXPERIMENT,
  namespace: "loadtest",
  group: "checkout",
  parallelism,
  image: "iter8:test",
  version: "0.1.0",
});

let api: KubeApiDouble;
let cluster: KubeCluster;

beforeEach(async () => {
  // No kubelet: the Job's pods stay as the controller made them, so only the API calls run.
  api = await startKubeApiDouble();
  cluster = connectCluster({ env: { KUBECONFIG: api.writeKubeconfig("loadtest") } });
});
afterEach(async () => {
  await api.close();
});

const names = (resource: string) => api.objects(resource, "loadtest").map((o) => o.metadata?.name);

describe("connectCluster", () => {
  it("takes the namespace from the kubeconfig's context, unless one is named", () => {
    expect(cluster.namespace).toBe("loadtest");
    expect(cluster.server).toBe(api.url);
    const other = connectCluster({ env: { KUBECONFIG: api.writeKubeconfig() }, namespace: "x" });
    expect(other.namespace).toBe("x");
  });

  it("names a context that does not exist, and the ones that do", () => {
    expect(() =>
      connectCluster({ env: { KUBECONFIG: api.writeKubeconfig() }, context: "prod" }),
    ).toThrow(/no context "prod" in the kubeconfig/);
  });

  it("says so when there is no configuration at all", () => {
    let caught: unknown;
    try {
      connectCluster({ env: { HOME: "/nonexistent" } });
    } catch (error) {
      caught = error;
    }
    expect((caught as KubeError).code).toBe("ITER8_KUBE_CONFIG");
    expect((caught as KubeError).message).toMatch(/no Kubernetes configuration/);
  });
});

describe("launchGroup and deleteGroup", () => {
  it("creates every object, Secrets stored as base64 data, and the Job's pods", async () => {
    const { created, deleted } = await launchGroup(cluster, buildLaunchObjects(spec(2)), {
      waitForPodsMs: 0,
    });
    expect(deleted).toEqual([]);
    expect(created).toEqual([
      "ServiceAccount/checkout-iter8",
      "Role/checkout-iter8",
      "RoleBinding/checkout-iter8",
      "Secret/checkout-spec",
      "Secret/checkout-result",
      "Secret/checkout-shard-0",
      "Secret/checkout-shard-1",
      "Job/checkout-job",
    ]);
    const stored = api
      .objects("secrets", "loadtest")
      .find((s) => s.metadata?.name === "checkout-spec");
    expect(stored?.stringData).toBeUndefined();
    const data = stored?.data as Record<string, string>;
    expect(Buffer.from(data["experiment.yaml"] ?? "", "base64").toString("utf8")).toBe(EXPERIMENT);
    expect(names("pods")).toHaveLength(2);
    expect(await readJobState(cluster, "checkout")).toMatchObject({ state: "running", active: 2 });
    expect(await readGroup(cluster, "checkout")).toEqual({ experimentYaml: EXPERIMENT });
  });

  it("replaces an earlier launch of the group, Secrets of its extra shards included", async () => {
    await launchGroup(cluster, buildLaunchObjects(spec(4)), { waitForPodsMs: 0 });
    expect(names("secrets")).toContain("checkout-shard-3");
    const { deleted } = await launchGroup(cluster, buildLaunchObjects(spec(2)), {
      waitForPodsMs: 5000,
    });
    expect(deleted).toEqual(
      expect.arrayContaining([
        "Job/checkout-job",
        "Secret/checkout-shard-3",
        "Role/checkout-iter8",
      ]),
    );
    expect(names("secrets").sort()).toEqual([
      "checkout-result",
      "checkout-shard-0",
      "checkout-shard-1",
      "checkout-spec",
    ]);
    expect(names("pods")).toHaveLength(2);
  });

  it("deletes every object of the group and nothing else", async () => {
    await launchGroup(cluster, buildLaunchObjects(spec(2)), { waitForPodsMs: 0 });
    await launchGroup(cluster, buildLaunchObjects({ ...spec(1), group: "other" }), {
      waitForPodsMs: 0,
    });
    const deleted = await deleteGroup(cluster, "checkout", { waitForPodsMs: 5000 });
    // The Job's pods go with it (propagationPolicy Background), or are deleted one by one.
    expect(deleted.filter((ref) => !ref.startsWith("Pod/")).sort()).toEqual([
      "Job/checkout-job",
      "Role/checkout-iter8",
      "RoleBinding/checkout-iter8",
      "Secret/checkout-result",
      "Secret/checkout-shard-0",
      "Secret/checkout-shard-1",
      "Secret/checkout-spec",
      "ServiceAccount/checkout-iter8",
    ]);
    for (const resource of [
      "secrets",
      "serviceaccounts",
      "roles",
      "rolebindings",
      "jobs",
      "pods",
    ]) {
      const left = api
        .objects(resource, "loadtest")
        .map((o) => o.metadata?.labels?.["iter8.tools/group"]);
      expect(left.every((group) => group === "other")).toBe(true);
      expect(left.length).toBeGreaterThan(0);
    }
    expect(await deleteGroup(cluster, "checkout", { waitForPodsMs: 0 })).toEqual([]);
  });

  it("says which group is missing when reading one never launched", async () => {
    await expect(readGroup(cluster, "nothing")).rejects.toThrow(
      'no experiment group "nothing" in namespace loadtest',
    );
  });

  it("turns a refused call into a one-line error with the status and the server's reason", async () => {
    const stranger = connectCluster({
      env: { KUBECONFIG: api.writeKubeconfig("loadtest", "stranger") },
    });
    let caught: unknown;
    try {
      await launchGroup(stranger, buildLaunchObjects(spec(1)), { waitForPodsMs: 0 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KubeError);
    expect((caught as KubeError).code).toBe("ITER8_KUBE_API");
    expect((caught as KubeError).message).toMatch(
      /^list Jobs of group checkout: 403 jobs is forbidden: User "system:serviceaccount:loadtest:stranger" cannot list/,
    );
    expect((caught as KubeError).hint).toMatch(/kubectl auth can-i/);
  });
});
