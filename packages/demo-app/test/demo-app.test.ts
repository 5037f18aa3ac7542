import { Agent, get } from "node:http";
import { createServer as createNetServer, connect } from "node:net";
import type { Server as NetServer } from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import {
  DemoAppOptionError,
  escapeLabelValue,
  EXPOSITION_CONTENT_TYPE,
  parseDurationFlag,
  resolveDemoAppFlags,
  startDemoApp,
} from "../src/index.js";
import type { DemoApp, DemoAppFlags, DemoAppOptions } from "../src/index.js";

const running: DemoApp[] = [];

async function start(options: DemoAppOptions = {}): Promise<DemoApp> {
  const app = await startDemoApp({ port: 0, ...options });
  running.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.close()));
});

function urlOf(app: DemoApp, index = 0): string {
  const url = app.urls[index];
  if (url === undefined) throw new Error(`no version ${index}`);
  return url;
}

async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * Sends `count` GETs to `url`, `concurrency` at a time over keep-alive connections (node:http is
 * about twice as fast as fetch here); returns how many got each status.
 */
async function sendMany(url: string, count: number, concurrency = 8): Promise<Map<number, number>> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const sendOne = (): Promise<number> =>
    new Promise((resolve, reject) => {
      get(url, { agent }, (res) => {
        res.resume();
        res.once("end", () => resolve(res.statusCode ?? 0));
      }).once("error", reject);
    });
  const statuses = new Map<number, number>();
  let sent = 0;
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < count) {
          sent += 1;
          const status = await sendOne();
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return statuses;
}

async function timeRequest(url: string): Promise<number> {
  const begin = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return performance.now() - begin;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * A strict reader of the Prometheus text exposition format 0.0.4: every line must be a HELP, a TYPE
 * or a sample of a family whose TYPE came first; label values are unescaped; histograms must have
 * cumulative buckets ending in `+Inf` equal to `_count`. Throws on anything else.
 */
function parseExposition(text: string): Sample[] {
  expect(text.endsWith("\n")).toBe(true);
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") {
        expect(["counter", "gauge", "histogram", "summary", "untyped"]).toContain(meta[3]);
        expect(types.has(meta[2] ?? "")).toBe(false);
        types.set(meta[2] ?? "", meta[3] ?? "");
      }
      continue;
    }
    const head = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{|\s)/.exec(line);
    if (!head) throw new Error(`not an exposition line: ${line}`);
    const name = head[1] ?? "";
    let at = name.length;
    const labels: Record<string, string> = {};
    if (line[at] === "{") {
      at += 1;
      while (line[at] !== "}") {
        const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at));
        if (!label) throw new Error(`bad label at ${at}: ${line}`);
        at += label[0].length;
        let value = "";
        while (line[at] !== '"') {
          if (at >= line.length) throw new Error(`unterminated label value: ${line}`);
          if (line[at] === "\\") {
            const escaped = line[at + 1];
            if (escaped === "n") value += "\n";
            else if (escaped === "\\" || escaped === '"') value += escaped;
            else throw new Error(`bad escape in: ${line}`);
            at += 2;
          } else {
            value += line[at];
            at += 1;
          }
        }
        at += 1;
        labels[label[1] ?? ""] = value;
        if (line[at] === ",") at += 1;
      }
      at += 1;
    }
    const valueText = line.slice(at).trim();
    expect(valueText).toMatch(/^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]Inf|NaN)$/);
    const family = types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, "");
    expect(types.has(family), `TYPE before ${name}`).toBe(true);
    samples.push({ name, labels, value: Number(valueText.replace("Inf", "Infinity")) });
  }
  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, buckets] of series) {
      const values = buckets.map((b) => b.value);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(buckets.at(-1)?.labels.le).toBe("+Inf");
      const count = samples.find(
        (x) => x.name === `${family}_count` && JSON.stringify(x.labels) === key,
      );
      expect(count?.value).toBe(buckets.at(-1)?.value);
    }
  }
  return samples;
}

async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe(EXPOSITION_CONTENT_TYPE);
  return parseExposition(await res.text());
}

function valueOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string>,
): number | undefined {
  return samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

describe("demo-app endpoints", () => {
  it("GET /get echoes args, headers, url, origin and the version", async () => {
    const app = await start({ versions: ["blue"] });
    const url = `${urlOf(app)}/get?user=ann&tag=a&tag=b`;
    const { status, body } = await getJson(url, { headers: { "x-trace": "t-1" } });
    expect(status).toBe(200);
    expect(body.args).toEqual({ user: "ann", tag: ["a", "b"] });
    expect(body.headers).toMatchObject({ "x-trace": "t-1" });
    expect(body.url).toBe(url);
    expect(body.origin).toMatch(/127\.0\.0\.1/);
    expect(body.version).toBe("blue");
  });

  it("labels every response with the x-demo-app-version header", async () => {
    const app = await start({ versions: ["v1", "v2"] });
    for (const [i, name] of ["v1", "v2"].entries()) {
      for (const path of ["/get", "/status/503", "/nowhere", "/healthz", "/metrics"]) {
        const res = await fetch(`${urlOf(app, i)}${path}`);
        await res.arrayBuffer();
        expect(res.headers.get("x-demo-app-version"), path).toBe(name);
      }
    }
  });

  it("POST /post echoes the body as data, and as json when it parses", async () => {
    const app = await start();
    const sent = { items: [1, 2], ok: true };
    const json = await getJson(`${urlOf(app)}/post?x=1`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(sent),
    });
    expect(json.status).toBe(200);
    expect(json.body).toMatchObject({ data: JSON.stringify(sent), json: sent, args: { x: "1" } });

    const text = await getJson(`${urlOf(app)}/post`, { method: "POST", body: "not json" });
    expect(text.body).toMatchObject({ data: "not json", json: null });

    const form = await getJson(`${urlOf(app)}/post`, {
      method: "POST",
      body: new URLSearchParams({ a: "1", b: "two" }),
    });
    expect(form.body.form).toEqual({ a: "1", b: "two" });
  });

  it("/anything echoes any method with its body", async () => {
    const app = await start();
    const { status, body } = await getJson(`${urlOf(app)}/anything/deep/path`, {
      method: "PUT",
      body: "payload",
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ method: "PUT", data: "payload" });
  });

  it("answers a wrong method with 405 and an Allow header", async () => {
    const app = await start();
    const res = await fetch(`${urlOf(app)}/get`, { method: "POST", body: "x" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers a body over the limit with 413", async () => {
    const app = await start({ maxBodyBytes: 16 });
    const res = await fetch(`${urlOf(app)}/post`, { method: "POST", body: "x".repeat(17) });
    expect(res.status).toBe(413);
    const ok = await fetch(`${urlOf(app)}/post`, { method: "POST", body: "x".repeat(16) });
    expect(ok.status).toBe(200);
  });

  it("answers an unknown path with 404", async () => {
    const app = await start();
    const res = await fetch(`${urlOf(app)}/nowhere`);
    expect(res.status).toBe(404);
  });

  it.each([200, 201, 204, 302, 304, 404, 418, 500, 503, 599])(
    "/status/%i answers with that status",
    async (code) => {
      const app = await start();
      const res = await fetch(`${urlOf(app)}/status/${code}`, { redirect: "manual" });
      await res.arrayBuffer();
      expect(res.status).toBe(code);
    },
  );

  it.each(["99", "100", "101", "600", "2000", "abc"])(
    "/status/%s is rejected with 400",
    async (code) => {
      const app = await start();
      const res = await fetch(`${urlOf(app)}/status/${code}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(code);
    },
  );

  it.each([
    ["60", 60],
    ["60ms", 60],
    ["0.06s", 60],
  ])("/delay/%s waits at least %i ms", async (text, ms) => {
    const app = await start();
    const begin = performance.now();
    const { status, body } = await getJson(`${urlOf(app)}/delay/${text}`);
    const elapsed = performance.now() - begin;
    expect(status).toBe(200);
    expect(body.delayMs).toBe(ms);
    expect(elapsed).toBeGreaterThanOrEqual(ms);
  });

  it.each(["10001", "11s", "-5", "soon"])("/delay/%s is rejected with 400", async (text) => {
    const app = await start();
    const res = await fetch(`${urlOf(app)}/delay/${text}`);
    expect(res.status).toBe(400);
  });

  it("/ and /healthz describe the version and its settings", async () => {
    const app = await start({
      versions: [{ name: "v9", latencyMs: 0, jitterMs: 0, errorRate: 1 }],
    });
    const health = await getJson(`${urlOf(app)}/healthz`);
    expect(health).toEqual({ status: 200, body: { status: "ok", version: "v9" } });
    const index = await getJson(`${urlOf(app)}/`);
    expect(index.status).toBe(200);
    expect(index.body).toMatchObject({ version: "v9", latencyMs: 0, errorRate: 1 });
  });
});

describe("demo-app tuning per version", () => {
  it("a seeded error rate lands near its value over 1000 requests and repeats with the seed", async () => {
    const errorsWith = async (seed: number): Promise<number> => {
      const app = await start({ versions: [{ name: "v1", errorRate: 0.2 }], seed });
      const statuses = await sendMany(`${urlOf(app)}/get`, 1000);
      expect([...statuses.keys()].sort()).toEqual([200, 500]);
      return statuses.get(500) ?? 0;
    };
    const first = await errorsWith(42);
    // Binomial(1000, 0.2): sd ≈ 12.6, so 150..250 is about four sd either side.
    expect(first).toBeGreaterThanOrEqual(150);
    expect(first).toBeLessThanOrEqual(250);
    expect(await errorsWith(42)).toBe(first);
  }, 20_000);

  it("applies each version's error rate to that version only", async () => {
    const app = await start({ versions: ["v1", { name: "v2", errorRate: 1 }] });
    expect([...(await sendMany(`${urlOf(app, 0)}/get`, 30))]).toEqual([[200, 30]]);
    expect([...(await sendMany(`${urlOf(app, 1)}/get`, 30))]).toEqual([[500, 30]]);
    const { body } = await getJson(`${urlOf(app, 1)}/get`);
    expect(body).toEqual({ error: "injected error (--error-rate)", version: "v2" });
  });

  it("applies each version's latency to that version only", async () => {
    const app = await start({
      versions: ["v1", { name: "v2", latencyMs: 20 }, { name: "v3", latencyMs: 10, jitterMs: 10 }],
      seed: 7,
    });
    const minimum = async (i: number): Promise<number> => {
      const times: number[] = [];
      for (let n = 0; n < 10; n += 1) times.push(await timeRequest(`${urlOf(app, i)}/get`));
      return Math.min(...times);
    };
    const [v1, v2, v3] = [await minimum(0), await minimum(1), await minimum(2)];
    expect(v2).toBeGreaterThanOrEqual(20);
    expect(v2).toBeGreaterThan(v1);
    expect(v3).toBeGreaterThanOrEqual(10);
  });
});

describe("demo-app /metrics", () => {
  it("counts requests per version, method, path and code, and not the scrapes", async () => {
    const app = await start({ versions: ["v1", { name: "v2", errorRate: 1 }] });
    const [v1, v2] = [urlOf(app, 0), urlOf(app, 1)];
    await sendMany(`${v1}/get`, 5);
    await sendMany(`${v1}/status/404`, 3);
    await (await fetch(`${v1}/post`, { method: "POST", body: "{}" })).arrayBuffer();
    await sendMany(`${v2}/get`, 4);

    const first = await scrape(v1);
    const second = await scrape(v1);
    expect(second).toEqual(first);
    const count = (labels: Record<string, string>): number | undefined =>
      valueOf(first, "demo_app_requests_total", labels);
    expect(count({ version: "v1", method: "GET", path: "/get", code: "200" })).toBe(5);
    expect(count({ version: "v1", method: "GET", path: "/status/:code", code: "404" })).toBe(3);
    expect(count({ version: "v1", method: "POST", path: "/post", code: "200" })).toBe(1);
    expect(first.filter((s) => s.name === "demo_app_requests_total")).toHaveLength(3);
    expect(first.every((s) => s.labels.version === "v1")).toBe(true);
    expect(valueOf(first, "demo_app_request_duration_seconds_count", { version: "v1" })).toBe(9);
    expect(valueOf(first, "demo_app_errors_total", { version: "v1" })).toBe(0);

    const other = await scrape(v2);
    expect(
      valueOf(other, "demo_app_requests_total", { version: "v2", path: "/get", code: "500" }),
    ).toBe(4);
    expect(valueOf(other, "demo_app_errors_total", { version: "v2" })).toBe(4);
    expect(valueOf(other, "demo_app_request_duration_seconds_count", { version: "v2" })).toBe(4);
  });

  it("puts a delayed request in a histogram bucket no lower than its delay", async () => {
    const app = await start();
    await getJson(`${urlOf(app)}/delay/30`);
    const samples = await scrape(urlOf(app));
    const le = (bound: string): number | undefined =>
      valueOf(samples, "demo_app_request_duration_seconds_bucket", { le: bound });
    expect(le("0.025")).toBe(0);
    expect(le("+Inf")).toBe(1);
    expect(valueOf(samples, "demo_app_request_duration_seconds_sum", {})).toBeGreaterThanOrEqual(
      0.03,
    );
  });

  it.each([
    ["plain", "plain"],
    ['say "hi"', 'say \\"hi\\"'],
    ["back\\slash", "back\\\\slash"],
    ["two\nlines", "two\\nlines"],
  ])("escapes the label value %j", (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });

  it("escapes a version name with quotes and backslashes in its series", async () => {
    const name = 'v"1\\x';
    const app = await start({ versions: [name] });
    await sendMany(`${urlOf(app)}/get`, 2);
    const res = await fetch(`${urlOf(app)}/metrics`);
    const text = await res.text();
    expect(text).toContain('version="v\\"1\\\\x"');
    const samples = parseExposition(text);
    expect(valueOf(samples, "demo_app_requests_total", { version: name, code: "200" })).toBe(2);
  });
});

describe("demo-app ports and lifecycle", () => {
  async function listenOn(port: number): Promise<NetServer> {
    const server = createNetServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return server;
  }
  const closeNet = (server: NetServer): Promise<void> =>
    new Promise((resolve) => server.close(() => resolve()));

  it("serves the versions on consecutive ports from --port", async () => {
    let app: DemoApp | undefined;
    for (let attempt = 0; attempt < 5 && !app; attempt += 1) {
      const probe = await listenOn(0);
      const port = (probe.address() as { port: number }).port;
      await closeNet(probe);
      if (port > 65533) continue;
      app = await start({ port, versions: ["v1", "v2", "v3"] }).catch(() => undefined);
      if (app) expect(app.urls).toEqual([0, 1, 2].map((i) => `http://127.0.0.1:${port + i}`));
    }
    expect(app).toBeDefined();
    for (const [i, url] of (app?.urls ?? []).entries()) {
      expect((await getJson(`${url}/get`)).body.version).toBe(`v${i + 1}`);
    }
  });

  it("fails with ITER8_DEMO_APP_LISTEN when a port is taken, and releases the others", async () => {
    const taken = await listenOn(0);
    try {
      const port = (taken.address() as { port: number }).port;
      await expect(startDemoApp({ port })).rejects.toMatchObject({
        code: "ITER8_DEMO_APP_LISTEN",
        message: expect.stringContaining(`127.0.0.1:${port}`) as unknown,
      });
    } finally {
      await closeNet(taken);
    }
  });

  it("close() cuts a pending delay short and stops listening", async () => {
    const app = await startDemoApp({ port: 0 });
    const url = new URL(urlOf(app));
    const socket = connect(Number(url.port), "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) =>
      socket.write(`GET /delay/10000 HTTP/1.1\r\nhost: ${url.host}\r\n\r\n`, () => resolve()),
    );
    // A round trip on another connection, so the server has read the delayed request by now.
    await getJson(`${urlOf(app)}/healthz`);
    await app.close();
    await closed;
    expect(received).toBe("");
    await expect(fetch(`${urlOf(app)}/get`)).rejects.toThrow();
  });
});

describe("iter8 demo-app flags", () => {
  it("resolves per-version and bare values, named ones winning", () => {
    const options = resolveDemoAppFlags({
      versions: "v1,v2,v3",
      latency: ["v2=20ms", "5ms"],
      jitter: ["v3=1.5s"],
      errorRate: ["v2=0.02,v3=5%"],
      grpcErrorCode: ["v3=resource_exhausted", "13"],
      port: "9000",
      grpcPort: "9100",
      seed: "42",
    });
    expect(options).toEqual({
      host: "127.0.0.1",
      port: 9000,
      grpcPort: 9100,
      seed: 42,
      versions: [
        { name: "v1", latencyMs: 5, jitterMs: 0, errorRate: 0, grpcErrorCode: 13 },
        { name: "v2", latencyMs: 20, jitterMs: 0, errorRate: 0.02, grpcErrorCode: 13 },
        { name: "v3", latencyMs: 5, jitterMs: 1500, errorRate: 0.05, grpcErrorCode: 8 },
      ],
    });
  });

  it("defaults to v1 on 127.0.0.1:8080, gRPC on 50051 with UNAVAILABLE as the injected error", () => {
    expect(resolveDemoAppFlags({})).toEqual({
      host: "127.0.0.1",
      port: 8080,
      grpcPort: 50051,
      versions: [{ name: "v1", latencyMs: 0, jitterMs: 0, errorRate: 0, grpcErrorCode: 14 }],
    });
  });

  it("serves no gRPC with --no-grpc (grpc: false)", () => {
    expect(resolveDemoAppFlags({ grpc: false, grpcPort: "9100" })).not.toHaveProperty("grpcPort");
  });

  it.each<[DemoAppFlags, string, string]>([
    [{ latency: ["v2=fast"], versions: "v1,v2" }, "--latency", "fast"],
    [{ latency: ["20"] }, "--latency", "20"],
    [{ latency: ["v3=20ms"], versions: "v1,v2" }, "--latency", "v3=20ms"],
    [{ jitter: ["-5ms"] }, "--jitter", "-5ms"],
    [{ errorRate: ["v1=1.5"] }, "--error-rate", "1.5"],
    [{ errorRate: ["abc"] }, "--error-rate", "abc"],
    [{ errorRate: ["-0.1"] }, "--error-rate", "-0.1"],
    [{ port: "70000" }, "--port", "70000"],
    [{ port: "http" }, "--port", "http"],
    [{ port: "65535", versions: "v1,v2" }, "--port", "65535"],
    [{ versions: "v1,v1" }, "--versions", "v1"],
    [{ versions: "a=b" }, "--versions", "a=b"],
    [{ versions: "," }, "--versions", ","],
    [{ seed: "1.5" }, "--seed", "1.5"],
    [{ grpcPort: "grpc" }, "--grpc-port", "grpc"],
    [{ grpcPort: "65535", versions: "v1,v2" }, "--grpc-port", "65535"],
    [{ grpcErrorCode: ["v1=0"] }, "--grpc-error-code", "0"],
    [{ grpcErrorCode: ["OOPS"] }, "--grpc-error-code", "OOPS"],
    [{ grpcErrorCode: ["17"] }, "--grpc-error-code", "17"],
  ])("rejects %j with a DemoAppOptionError naming %s and %s", (flags, flag, value) => {
    let error: unknown;
    try {
      resolveDemoAppFlags(flags);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DemoAppOptionError);
    expect((error as DemoAppOptionError).message).toContain(flag);
    expect((error as DemoAppOptionError).message).toContain(`"${value}`);
    expect((error as DemoAppOptionError).message).not.toContain("\n");
  });

  it.each([
    ["500ms", 500],
    ["1s", 1000],
    ["1m30s", 90_000],
    ["250us", 0.25],
    ["0", 0],
  ])("reads the Go duration %j as %s ms", (text, ms) => {
    expect(parseDurationFlag("--latency", text)).toBe(ms);
  });
});
