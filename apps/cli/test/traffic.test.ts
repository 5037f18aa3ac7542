import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yargs from "yargs";
import { trafficCommand } from "../src/commands/traffic.js";
import type { CommandContext } from "../src/context.js";
import { startDemoApp } from "../src/demo-app/index.js";
import type { DemoApp } from "../src/demo-app/index.js";
import { describeError } from "../src/errors.js";

// `iter8 traffic` through a local yargs (main.ts registers it once the integrator adds it).
async function run(
  argv: string[],
  cwd: string,
  signal?: AbortSignal,
  onOut?: (line: string) => void,
) {
  const out: string[] = [];
  const err: string[] = [];
  let code = 0;
  const ctx: CommandContext = {
    io: {
      out: (t) => {
        for (const line of t.replace(/\n$/, "").split("\n")) {
          out.push(line);
          onOut?.(line);
        }
      },
      err: (t) => err.push(...t.replace(/\n$/, "").split("\n")),
      progress: () => undefined,
    },
    cwd,
    env: {},
    setExitCode: (c) => (code = c),
    ...(signal ? { signal } : {}),
  };
  try {
    await yargs(argv)
      .option("dir", { type: "string", global: true })
      .command(trafficCommand(ctx))
      .strict()
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new Error(message);
      })
      .parseAsync();
  } catch (error) {
    const described = describeError(error, false);
    err.push(...described.lines);
    code = described.exitCode;
  }
  return { code, out, err };
}

let dir: string;
let app: DemoApp;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-traffic-cli-"));
  app = await startDemoApp({
    port: 0,
    versions: [{ name: "v1" }, { name: "v2", errorRate: 0.2 }],
    seed: 7,
  });
  await writeFile(
    join(dir, "routing.yaml"),
    `kubernetes: {host: demo}
versions:
  - {name: v1, url: "${app.urls[0]}"}
  - {name: v2, url: "${app.urls[1]}"}
routes:
  - name: beta
    match: [{headers: {x-group: {exact: beta}}}]
    split: [{version: v2, weight: 1}]
  - name: default
    split: [{version: v1, weight: 100}]
`,
  );
});

afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

describe("iter8 traffic render", () => {
  it("prints an HTTPRoute for --target gateway-api", async () => {
    const { code, out } = await run(
      ["traffic", "render", "--target", "gateway-api", "-f", "routing.yaml"],
      dir,
    );
    expect(code).toBe(0);
    const text = out.join("\n");
    expect(text).toMatch(/^apiVersion: gateway.networking.k8s.io\/v1\nkind: HTTPRoute\n/);
    expect(text.match(/^ {4}- (matches|backendRefs):/gm)).toHaveLength(2);
  });

  it("lists the problems of an invalid routing with file and line, exit 2", async () => {
    await writeFile(
      join(dir, "bad.yaml"),
      "versions: [{name: v1, url: 'http://a:1'}]\nroutes:\n  - split: [{version: v9, weight: 1}]\n",
    );
    const { code, err } = await run(["traffic", "render", "-f", "bad.yaml"], dir);
    expect(code).toBe(2);
    expect(err[0]).toBe(
      'bad.yaml:3:14: [routes[0].split[0].version] unknown version "v9"; did you mean "v1"?',
    );
  });

  it("refuses an unknown target", async () => {
    const { code, err } = await run(["traffic", "render", "--target", "linkerd"], dir);
    expect(code).toBe(2);
    expect(err.join("\n")).toContain('invalid --target value "linkerd"');
  });
});

describe("iter8 traffic schema", () => {
  it("prints the routing JSON Schema", async () => {
    const { code, out } = await run(["traffic", "schema"], dir);
    expect(code).toBe(0);
    const schema = JSON.parse(out.join("\n")) as { required: string[] };
    expect(schema.required).toEqual(expect.arrayContaining(["versions", "routes"]));
  });
});

describe("iter8 traffic proxy and rollout with the demo app", () => {
  it("routes segments, then rolls back a candidate answering 20% errors", async () => {
    const stop = new AbortController();
    let adminUrl = "";
    let proxyUrl = "";
    const proxy = run(
      ["traffic", "proxy", "-f", "routing.yaml", "--port", "0", "--admin-port", "0"],
      dir,
      stop.signal,
      (line) => {
        proxyUrl ||= /listening on (\S+)/.exec(line)?.[1] ?? "";
        adminUrl ||= /admin API on (\S+)/.exec(line)?.[1] ?? "";
      },
    );
    try {
      // Up to 20 s for the listening lines: a loaded machine can take seconds to start the proxy.
      for (let i = 0; i < 1000 && !adminUrl; i++) await new Promise((r) => setTimeout(r, 20));
      expect(adminUrl).not.toBe("");
      const get = async (headers: Record<string, string> = {}) => {
        const res = await fetch(`${proxyUrl}/get`, { headers });
        await res.arrayBuffer();
        return res.headers.get("x-iter8-version");
      };
      const beta = await Promise.all(Array.from({ length: 50 }, () => get({ "x-group": "beta" })));
      expect(beta.every((v) => v === "v2")).toBe(true);

      // A 1 s interval (the CLI has no hook to wait for traffic as the package test does): each
      // check sees enough of v2's 20% errors even when a loaded machine slows the traffic down.
      await writeFile(
        join(dir, "rollout.yaml"),
        `admin: ${adminUrl}
route: default
baseline: v1
candidate: v2
steps: [25, 50, 100]
interval: 1s
failureLimit: 2
minRequests: 5
SLOs:
  - {metric: built-in/error-rate, upperLimit: 0.05}
emit: {target: istio, dir: steps}
`,
      );
      let done = false;
      const traffic = (async () => {
        for (let round = 0; !done && round < 400; round++) {
          await Promise.all(Array.from({ length: 20 }, () => get()));
        }
      })();
      const rollout = await run(["traffic", "rollout", "-f", "rollout.yaml"], dir).finally(() => {
        done = true;
      });
      await traffic;
      expect(rollout.code).toBe(1);
      expect(rollout.out.some((l) => / hold .*fails built-in\/error-rate <= 0.05/.test(l))).toBe(
        true,
      );
      expect(rollout.out.some((l) => / rollback .*all traffic back to v1/.test(l))).toBe(true);
      expect(await readFile(join(dir, "result.yaml"), "utf8")).toMatch(/^state: rolled-back$/m);
      // Each weight change was also written as Istio objects, the last one back at 0%.
      const steps = (await readdir(join(dir, "steps"))).sort();
      expect(steps[0]).toBe("step-01-25.yaml");
      expect(steps.at(-1)).toMatch(/^step-\d\d-0\.yaml$/);
      const last = await readFile(join(dir, "steps", steps.at(-1) ?? ""), "utf8");
      expect(last).toContain("kind: VirtualService");
      expect(last).toMatch(/subset: v2\n\s+weight: 0/);
    } finally {
      stop.abort();
      const stopped = await proxy;
      expect(stopped.code).toBe(0);
    }
  });
});
