import { readFileSync, writeFileSync } from "node:fs";
import { load, loadAll } from "js-yaml";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Secret } from "kubernetes-models/v1/Secret";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { describe, expect, it } from "vitest";
import { buildLaunchObjects, formatLaunchObjects, KubeError } from "../src/index.js";
import type { LaunchObject, LaunchSpec } from "../src/index.js";
import { unknownFields } from "./strict-fields.js";

const EXPERIMENT = readFileSync(new URL("fixtures/experiment.yaml", import.meta.url), "utf8");

const spec = (parallelism: number): LaunchSpec => ({
  experimentYaml: EXPERIMENT,
  namespace: "loadtest",
  group: "checkout",
  parallelism,
  image: "ghcr.io/iter8-ts/iter8:0.1.0",
  version: "0.1.0",
});

function validate(object: LaunchObject): void {
  switch (object.kind) {
    case "ServiceAccount":
      new ServiceAccount(object as never).validate();
      break;
    case "Role":
      new Role(object as never).validate();
      break;
    case "RoleBinding":
      new RoleBinding(object as never).validate();
      break;
    case "Secret":
      new Secret(object as never).validate();
      break;
    case "Job":
      new Job(object as never).validate();
      break;
    default:
      throw new Error(`unexpected kind ${String(object.kind)}`);
  }
}

describe("buildLaunchObjects", () => {
  it.each([1, 4])(
    "gives %i-pod objects that the Kubernetes schemas accept, with no unknown field",
    (n) => {
      const objects = buildLaunchObjects(spec(n));
      expect(objects.map((o) => o.kind)).toEqual([
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "Secret",
        "Secret",
        ...Array<string>(n).fill("Secret"),
        "Job",
      ]);
      for (const object of objects) {
        expect(() => validate(object)).not.toThrow();
        expect(unknownFields(object, `V1${object.kind ?? ""}`)).toEqual([]);
      }
    },
  );

  it("is checked for unknown fields: a misspelt key is found", () => {
    const [job] = buildLaunchObjects(spec(2)).filter((o) => o.kind === "Job");
    const misspelt = {
      ...job,
      spec: { ...(job as { spec: object }).spec, completionMod: "Indexed" },
    };
    expect(unknownFields(misspelt, "V1Job")).toEqual(["spec.completionMod"]);
  });

  it.each([1, 4])("prints the %i-pod launch as in its golden file", (n) => {
    const golden = new URL(`fixtures/launch-${n}.yaml`, import.meta.url);
    const text = formatLaunchObjects(buildLaunchObjects(spec(n)));
    if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, "utf8"));
    // The stream is what kubectl apply reads: one object per document, equal to the built ones.
    expect(loadAll(text)).toEqual(JSON.parse(JSON.stringify(buildLaunchObjects(spec(n)))));
  });

  it("runs one plain Job for one pod and an Indexed Job of N pods for N", () => {
    const single = buildLaunchObjects(spec(1)).at(-1) as { spec: Record<string, unknown> };
    expect(single.spec.completionMode).toBeUndefined();
    const job = buildLaunchObjects(spec(4)).at(-1) as {
      spec: {
        completionMode: string;
        completions: number;
        parallelism: number;
        backoffLimit: number;
        template: {
          spec: {
            restartPolicy: string;
            containers: { args: string[]; env: { name: string }[] }[];
            affinity: unknown;
          };
        };
      };
    };
    expect(job.spec).toMatchObject({
      completionMode: "Indexed",
      completions: 4,
      parallelism: 4,
      backoffLimit: 0,
    });
    const pod = job.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.containers[0]?.args).toEqual(["k", "run", "--shard", "$(JOB_COMPLETION_INDEX)/4"]);
    expect(pod.containers[0]?.env.map((e) => e.name)).toEqual([
      "ITER8_K_GROUP",
      "ITER8_K_NAMESPACE",
      "JOB_COMPLETION_INDEX",
    ]);
    expect(JSON.stringify(pod.affinity)).toContain(
      "preferredDuringSchedulingIgnoredDuringExecution",
    );
    const unspread = buildLaunchObjects({ ...spec(4), spread: false }).at(-1) as typeof job;
    expect(unspread.spec.template.spec.affinity).toBeUndefined();
  });

  it("grants the pods only get on the experiment, get and patch on the group's own Secrets, list on pods", () => {
    const role = buildLaunchObjects(spec(3)).find((o) => o.kind === "Role") as {
      rules: {
        apiGroups: string[];
        resources: string[];
        verbs: string[];
        resourceNames?: string[];
      }[];
    };
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["secrets"], resourceNames: ["checkout-spec"], verbs: ["get"] },
      {
        apiGroups: [""],
        resources: ["secrets"],
        resourceNames: [
          "checkout-result",
          "checkout-shard-0",
          "checkout-shard-1",
          "checkout-shard-2",
        ],
        verbs: ["get", "patch"],
      },
      { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
    ]);
    const verbs = role.rules.flatMap((r) => r.verbs);
    for (const verb of ["create", "delete", "update", "watch", "*"])
      expect(verbs).not.toContain(verb);
    expect(role.rules.flatMap((r) => r.resources)).not.toContain("pods/log");
  });

  it("keeps the experiment in the spec Secret verbatim", () => {
    const secret = buildLaunchObjects(spec(1)).find(
      (o) => o.metadata?.name === "checkout-spec",
    ) as {
      stringData: Record<string, string>;
    };
    expect(secret.stringData["experiment.yaml"]).toBe(EXPERIMENT);
    expect(load(secret.stringData["experiment.yaml"] ?? "")).toEqual(load(EXPERIMENT));
  });

  it("runs the pods as non-root on a read-only root file system with every capability dropped", () => {
    const job = buildLaunchObjects(spec(1)).at(-1) as {
      spec: {
        template: { spec: { securityContext: object; containers: { securityContext: object }[] } };
      };
    };
    expect(job.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(job.spec.template.spec.containers[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    const account = buildLaunchObjects(spec(1))[0] as { automountServiceAccountToken: boolean };
    expect(account.automountServiceAccountToken).toBe(false);
  });

  it("sets the requests and limits given", () => {
    const job = buildLaunchObjects({
      ...spec(2),
      resources: {
        requests: { cpu: "250m", memory: "128Mi" },
        limits: { cpu: "2", memory: "2Gi" },
      },
    }).at(-1) as { spec: { template: { spec: { containers: { resources: object }[] } } } };
    expect(job.spec.template.spec.containers[0]?.resources).toEqual({
      requests: { cpu: "250m", memory: "128Mi" },
      limits: { cpu: "2", memory: "2Gi" },
    });
  });

  it.each([
    [{ group: "Checkout" }, 'invalid --group "Checkout"'],
    [{ group: "a".repeat(41) }, "at most 40 characters"],
    [{ namespace: "load_test" }, 'invalid namespace "load_test"'],
    [{ parallelism: 0 }, "invalid --parallelism 0"],
    [{ parallelism: 65 }, "invalid --parallelism 65: a whole number from 1 to 64"],
    [{ parallelism: 1.5 }, "invalid --parallelism 1.5"],
    [{ image: "" }, 'invalid --image ""'],
    [{ resources: { requests: { memory: "lots" } } }, 'invalid memory request "lots"'],
  ] as [Partial<LaunchSpec>, string][])("refuses %j with a one-line error", (change, message) => {
    let caught: unknown;
    try {
      buildLaunchObjects({ ...spec(1), ...change });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(KubeError);
    expect((caught as KubeError).code).toBe("ITER8_KUBE_OPTIONS");
    expect((caught as KubeError).message).toContain(message);
    expect((caught as KubeError).message).not.toContain("\n");
  });
});
