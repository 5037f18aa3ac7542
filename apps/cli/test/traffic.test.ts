import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yargs from "yargs";
import { trafficCommand } from "../src/commands/traffic.js";
import type { CommandContext } from "../src/context.js";
import { startDemoApp } from "@iter8/demo-app";
import type { DemoApp } from "@iter8/demo-app";
import { describeError } from "../src/errors.js";

// `iter8 traffic` through a local yargs (main.ts registers it once the integrator adds it).
async function run(
  argv: string[],
  cwd: string,
  signal?: AbortSignal,
  onOut?: (line: string) => void,
  env: NodeJS.ProcessEnv = {},
  onErr?: (line: string) => void,
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
      err: (t) => {
        for (const line of t.replace(/\n$/, "").split("\n")) {
          err.push(line);
          onErr?.(line);
        }
      },
      progress: () => undefined,
    },
    cwd,
    env,
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
    let token = "";
    const proxy = run(
      ["traffic", "proxy", "-f", "routing.yaml", "--port", "0", "--admin-port", "0"],
      dir,
      stop.signal,
      (line) => {
        proxyUrl ||= /listening on (\S+)/.exec(line)?.[1] ?? "";
        adminUrl ||= /admin API on (\S+)/.exec(line)?.[1] ?? "";
      },
      {},
      (line) => (token ||= /^admin API token: (\S+)/.exec(line)?.[1] ?? ""),
    );
    try {
      // Up to 20 s for the listening lines and the token: a loaded machine can take seconds to start the proxy.
      for (let i = 0; i < 1000 && !(adminUrl && token); i++)
        await new Promise((r) => setTimeout(r, 20));
      expect(adminUrl).not.toBe("");
      expect(token).not.toBe("");
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
      const rollout = await run(
        ["traffic", "rollout", "-f", "rollout.yaml"],
        dir,
        undefined,
        undefined,
        {
          ITER8_PROXY_TOKEN: token,
        },
      ).finally(() => {
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

describe("iter8 traffic proxy: the admin API's token", () => {
  /** Starts the proxy command; resolves its admin URL and what it wrote, and a stop function. */
  async function startProxyCommand(args: string[], env: NodeJS.ProcessEnv = {}) {
    const stop = new AbortController();
    let adminUrl = "";
    const err: string[] = [];
    const out: string[] = [];
    const done = run(
      ["traffic", "proxy", "-f", "routing.yaml", "--port", "0", "--admin-port", "0", ...args],
      dir,
      stop.signal,
      (line) => {
        out.push(line);
        adminUrl ||= /admin API on (\S+)/.exec(line)?.[1] ?? "";
      },
      env,
      (line) => err.push(line),
    );
    for (let i = 0; i < 250 && !adminUrl; i++) await new Promise((r) => setTimeout(r, 20));
    return {
      adminUrl,
      err,
      out,
      stop: async () => {
        stop.abort();
        return done;
      },
    };
  }

  const stats = (adminUrl: string, token?: string) =>
    fetch(`${adminUrl}/stats`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

  it("prints a new random token once, on stderr only, and the admin API needs it", async () => {
    const proxy = await startProxyCommand([]);
    try {
      expect(proxy.adminUrl).not.toBe("");
      const lines = proxy.err.filter((l) => l.startsWith("admin API token: "));
      expect(lines).toHaveLength(1);
      const token = /^admin API token: (\S+)/.exec(lines[0] ?? "")?.[1] ?? "";
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(proxy.out.join("\n")).not.toContain(token);
      expect((await stats(proxy.adminUrl)).status).toBe(401);
      expect((await stats(proxy.adminUrl, token)).status).toBe(200);
    } finally {
      expect((await proxy.stop()).code).toBe(0);
    }
  });

  it("takes the token from --admin-token-file, or ITER8_PROXY_TOKEN, and prints none", async () => {
    const token = "token-from-a-file-0123456789abcdef";
    await writeFile(join(dir, "admin-token"), `${token}\n`);
    const fromFile = await startProxyCommand(["--admin-token-file", "admin-token"]);
    try {
      expect(fromFile.err.join("\n")).not.toContain(token);
      expect((await stats(fromFile.adminUrl, token)).status).toBe(200);
    } finally {
      await fromFile.stop();
    }
    const fromEnv = await startProxyCommand([], { ITER8_PROXY_TOKEN: `env-${token}` });
    try {
      expect(fromEnv.err.some((l) => l.startsWith("admin API token"))).toBe(false);
      expect((await stats(fromEnv.adminUrl, `env-${token}`)).status).toBe(200);
    } finally {
      await fromEnv.stop();
    }
  });

  it("refuses a token file that is missing or too short, exit 2 in one line", async () => {
    const missing = await run(
      [
        "traffic",
        "proxy",
        "-f",
        "routing.yaml",
        "--port",
        "0",
        "--admin-port",
        "0",
        "--admin-token-file",
        "nope",
      ],
      dir,
    );
    expect(missing.code).toBe(2);
    expect(missing.err[0]).toBe("Error: cannot read --admin-token-file nope: ENOENT");
    await writeFile(join(dir, "short-token"), "abc\n");
    const short = await run(
      ["traffic", "rollout", "-f", "rollout.yaml", "--admin-token-file", "short-token"],
      dir,
    );
    expect(short.code).toBe(2);
    expect(short.err[0]).toContain(
      "--admin-token-file short-token: expected an admin token of at least 16 visible ASCII characters",
    );
  });
});
