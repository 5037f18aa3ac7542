// `iter8 k launch|assert|report|log|delete` end to end through a kubeconfig pointing at the
// Kubernetes API double (packages/test-utils): its kubelet runs each pod's `iter8 k run --shard
// i/N` as a built `iter8` process, the shards meet in the group's Secrets (as the pods' own
// ServiceAccount, under the Role launch created), shard 0 merges and writes result.yaml into the
// result Secret. No real API server can run here; docs/kubernetes.md says what the double leaves out.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { startKubeApiDouble } from "@iter8/test-utils";
import type { KubeApiDouble, KubeletScript } from "@iter8/test-utils";
import { parseResult } from "@iter8/spec";

const bin = join(import.meta.dirname, "..", "dist", "bin.js");
// Generous: the 4-shard run (five node processes) took 95 s at a load of 35.
vi.setConfig({ testTimeout: 240_000, hookTimeout: 30_000 });

interface Spawned {
  code: number | null;
  stdout: string;
  stderr: string;
}

function iter8(
  args: string[],
  cwd: string,
  kubeconfig: string,
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<Spawned> {
  return new Promise<Spawned>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd, NO_COLOR: "1", KUBECONFIG: kubeconfig },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 220_000);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout, child);
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let server: Server;
let port: number;
let served = 0;
let work: string;
let api: KubeApiDouble | undefined;

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build first (pnpm build)`);
  server = createServer((_req, res) => {
    served++;
    res.end("ok");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  work = await mkdtemp(join(tmpdir(), "iter8-k-kube-"));
  await writeFile(
    join(work, "experiment.yaml"),
    [
      "- task: gen-load-and-collect-metrics",
      "  with:",
      "    numRequests: 400",
      "    qps: 0",
      "    connections: 8",
      "    warmup: 0s",
      "    versionInfo:",
      `    - url: http://127.0.0.1:${port}/`,
      "- task: assess-app-versions",
      "  with:",
      "    SLOs:",
      "    - metric: built-in/error-rate",
      "      upperLimit: 0",
      "",
    ].join("\n"),
  );
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(work, { recursive: true, force: true });
});
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const kubelet = (more: Partial<KubeletScript> = {}): KubeletScript => ({
  entrypoint: [process.execPath, bin],
  env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" },
  ...more,
});

async function start(script: KubeletScript) {
  api = await startKubeApiDouble({ kubelet: script });
  return { double: api, kubeconfig: api.writeKubeconfig("loadtest") };
}

function resultIn(double: KubeApiDouble, group: string) {
  const secret = double
    .objects("secrets", "loadtest")
    .find((s) => s.metadata?.name === `${group}-result`);
  const data = secret?.data as Record<string, string> | undefined;
  const text = data?.["result.yaml"];
  if (text === undefined) return undefined;
  const parsed = parseResult(Buffer.from(text, "base64").toString("utf8"));
  if (!parsed.ok) throw new Error(`result does not parse: ${JSON.stringify(parsed.issues)}`);
  return parsed.value;
}

describe("iter8 k against the Kubernetes API double", () => {
  it.each([1, 4])(
    "launch -> %i shard(s) run -> merge -> k assert -> k report -> k log -> k delete",
    async (n) => {
      const { double, kubeconfig } = await start(kubelet());
      served = 0;
      const group = `e2e-${n}`;
      const launch = await iter8(
        ["k", "launch", "-g", group, "-p", String(n), "--image", "iter8:test", "--wait"],
        work,
        kubeconfig,
      );
      expect(launch.stderr).toContain(`created Job/${group}-job`);
      expect(launch.stdout).toContain(`Job completed: ${n} pod(s) succeeded.`);
      expect(launch.code).toBe(0);
      // The shards together sent exactly the experiment's requests.
      expect(served).toBe(400);
      const result = resultIn(double, group);
      expect(result?.failure).toBe(false);
      expect(result?.insights?.metricValues[0]?.["built-in/request-count"]).toEqual([400]);
      if (n > 1)
        expect(result?.insights?.loadDetails?.[0]?.shards?.requests).toEqual([100, 100, 100, 100]);
      // The pods did everything as their ServiceAccount, and nothing they did was refused. Shards
      // that propose the start time at once race for it by design: the losers' patches of the
      // result Secret fail their resourceVersion precondition (409) and they read the winner's.
      const pods = double.requests.filter(
        (r) => r.caller === `system:serviceaccount:loadtest:${group}-iter8`,
      );
      expect(pods.length).toBeGreaterThan(0);
      const lostStartRace = (r: (typeof pods)[number]) =>
        r.status === 409 &&
        r.method === "PATCH" &&
        r.path === `/api/v1/namespaces/loadtest/secrets/${group}-result`;
      expect(pods.filter((r) => r.status >= 400 && !lostStartRace(r))).toEqual([]);
      expect(pods.filter(lostStartRace).length).toBeLessThan(n);

      const flags = ["-g", group, "-n", "loadtest"];
      const assert = await iter8(
        ["k", "assert", ...flags, "-c", "completed", "-c", "nofailure", "-c", "slos"],
        work,
        kubeconfig,
      );
      expect(assert.stdout).toContain("All conditions are satisfied.");
      expect(assert.code).toBe(0);

      const report = await iter8(["k", "report", ...flags, "-o", "json"], work, kubeconfig);
      expect(report.code).toBe(0);
      expect(report.stdout).toContain("built-in/request-count");

      const log = await iter8(["k", "log", ...flags], work, kubeconfig);
      expect(log.code).toBe(0);
      for (let i = 0; i < n; i++) expect(log.stdout).toMatch(new RegExp(`^\\[shard ${i}\\] `, "m"));
      expect(
        log.stdout
          .split("\n")
          .filter(Boolean)
          .every((line) => /^\[shard \d\] /.test(line)),
      ).toBe(true);

      const del = await iter8(["k", "delete", ...flags], work, kubeconfig);
      expect(del.code).toBe(0);
      expect(del.stdout).toContain(`Deleted group ${group} in namespace loadtest`);
      for (const resource of [
        "secrets",
        "serviceaccounts",
        "roles",
        "rolebindings",
        "jobs",
        "pods",
      ]) {
        expect(double.objects(resource, "loadtest")).toEqual([]);
      }
    },
  );

  it("a shard that never starts fails the experiment, naming the shard, after the ready timeout", async () => {
    const { double, kubeconfig } = await start(kubelet({ neverStart: ({ index }) => index === 1 }));
    const launch = await iter8(
      ["k", "launch", "-g", "stuck", "-p", "2", "--image", "iter8:test", "--wait"].concat([
        "--ready-timeout",
        "3s",
        "--report-timeout",
        "3s",
      ]),
      work,
      kubeconfig,
    );
    expect(launch.code).toBe(1);
    expect(launch.stderr).toMatch(/Job failed: BackoffLimitExceeded/);
    const result = resultIn(double, "stuck");
    expect(result?.failure).toBe(true);
    expect(result?.failedTask?.message ?? "").toMatch(/shard 1/);
    const assert = await iter8(["k", "assert", "-g", "stuck", "-c", "nofailure"], work, kubeconfig);
    expect(assert.code).toBe(1);
    expect(assert.stdout).toContain("FAIL");
  });

  it("a shard whose pod crashes fails the Job and launch --wait; delete still removes everything", async () => {
    const { double, kubeconfig } = await start(
      kubelet({
        entrypointFor: ({ index }) =>
          index === 1
            ? [process.execPath, "-e", "console.error('out of memory'); process.exit(137)"]
            : undefined,
      }),
    );
    const launch = await iter8(
      ["k", "launch", "-g", "crash", "-p", "2", "--image", "iter8:test", "--wait"],
      work,
      kubeconfig,
    );
    expect(launch.code).toBe(1);
    expect(launch.stderr).toMatch(
      /Job failed: BackoffLimitExceeded.*iter8 k log -g crash -n loadtest/,
    );
    const assert = await iter8(
      ["k", "assert", "-g", "crash", "-c", "completed", "-c", "nofailure"],
      work,
      kubeconfig,
    );
    expect(assert.code).not.toBe(0);
    const del = await iter8(["k", "delete", "-g", "crash"], work, kubeconfig);
    expect(del.code).toBe(0);
    expect(double.objects("secrets", "loadtest")).toEqual([]);
  });

  it("Ctrl-C stops launch --wait with 130, leaves the objects and says how to delete them", async () => {
    const { double, kubeconfig } = await start(kubelet({ neverStart: () => true }));
    let interrupted = false;
    const launch = await iter8(
      ["k", "launch", "-g", "waiting", "-p", "2", "--image", "iter8:test", "--wait"],
      work,
      kubeconfig,
      (stdout, child) => {
        if (!interrupted && stdout.includes("Launched group waiting")) {
          interrupted = true;
          child.kill("SIGINT");
        }
      },
    );
    expect(interrupted).toBe(true);
    expect(launch.code).toBe(130);
    expect(launch.stderr).toContain("Stopped waiting; the experiment goes on in the cluster.");
    expect(launch.stderr).toContain("iter8 k delete -g waiting -n loadtest");
    expect(double.objects("jobs", "loadtest").map((j) => j.metadata?.name)).toEqual([
      "waiting-job",
    ]);
    expect(double.objects("pods", "loadtest")).toHaveLength(2);
  });
});
