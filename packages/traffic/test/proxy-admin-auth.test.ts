// The admin API's protection: a bearer token, a Host check against DNS rebinding, and refusal of
// browser-style cross-site requests.
import { request as httpRequest } from "node:http";
import { routingToDocument } from "@iter8/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createProxyAdminClient, startTrafficProxy, TrafficError } from "../src/index.js";
import type { TrafficProxy } from "../src/index.js";
import { routingFor, startUpstream } from "@iter8/test-utils";
import type { Upstream } from "@iter8/test-utils";

let v1: Upstream;
let proxy: TrafficProxy;
let port = 0;

beforeAll(async () => {
  v1 = await startUpstream("v1", { keep: false });
  proxy = await startTrafficProxy({
    routing: routingFor([v1], "  - split: [{version: v1, weight: 1}]\n"),
    port: 0,
    adminPort: 0,
  });
  port = Number(new URL(proxy.adminUrl).port);
});

afterAll(async () => {
  await proxy.close();
  await v1.close();
});

interface Sent {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One admin request with exactly these headers (Host included), as raw as node:http sends it. */
function send(options: Sent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { host: `127.0.0.1:${port}`, ...options.headers };
    const req = httpRequest(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

const errorOf = (body: string): string => (JSON.parse(body) as { error: string }).error;

const auth = () => ({ authorization: `Bearer ${proxy.adminToken}` });

const ENDPOINTS: Array<[string, string]> = [
  ["GET", "/metrics"],
  ["GET", "/routing"],
  ["PUT", "/routing"],
  ["GET", "/stats"],
  ["POST", "/stats/window"],
];

describe("the admin API's token", () => {
  it("generates a random token of 43 base64url characters when given none", async () => {
    expect(proxy.adminToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = await startTrafficProxy({
      routing: proxy.routing,
      port: 0,
      adminPort: 0,
    });
    await other.close();
    expect(other.adminToken).not.toBe(proxy.adminToken);
  });

  it.each(ENDPOINTS)(
    "answers 401 to %s %s without the token or with a wrong one",
    async (method, path) => {
      const without = await send({ method, path });
      expect(without.status).toBe(401);
      expect(errorOf(without.body)).toContain("Authorization: Bearer <token>");
      const wrong = await send({
        method,
        path,
        headers: { authorization: `Bearer ${proxy.adminToken.slice(0, -1)}x` },
      });
      expect(wrong.status).toBe(401);
      const basic = await send({ method, path, headers: { authorization: proxy.adminToken } });
      expect(basic.status).toBe(401);
    },
  );

  it("serves every endpoint to a request with the token", async () => {
    expect((await send({ path: "/metrics", headers: auth() })).status).toBe(200);
    expect((await send({ path: "/routing", headers: auth() })).status).toBe(200);
    expect((await send({ path: "/stats", headers: auth() })).status).toBe(200);
    const window = await send({ method: "POST", path: "/stats/window", headers: auth() });
    expect(window.status).toBe(200);
    const put = await send({
      method: "PUT",
      path: "/routing",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify(routingToDocument(proxy.routing)),
    });
    expect(put.status).toBe(200);
  });

  it("answers GET /healthz without a token (it tells nothing and changes nothing)", async () => {
    const health = await send({ path: "/healthz", headers: { host: "10.1.2.3:9901" } });
    expect(health).toEqual({ status: 200, body: "ok\n" });
  });

  it("is sent by createProxyAdminClient given the token, and refused without it", async () => {
    const client = createProxyAdminClient(proxy.adminUrl, { token: proxy.adminToken });
    const routing = await client.getRouting();
    expect(await client.putRouting(routing)).toBeGreaterThan(1);
    expect((await client.takeWindow()).versions.v1).toBeDefined();
    const anonymous = createProxyAdminClient(proxy.adminUrl);
    const error = await anonymous.getRouting().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrafficError);
    expect((error as TrafficError).code).toBe("ITER8_TRAFFIC_ADMIN");
    expect((error as TrafficError).message).toContain("answered 401");
    expect((error as TrafficError).hint).toContain("ITER8_PROXY_TOKEN");
  });

  it("refuses a token given as an option that is too short, naming the rule", async () => {
    const error = await startTrafficProxy({
      routing: proxy.routing,
      port: 0,
      adminPort: 0,
      adminToken: "short",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrafficError);
    expect((error as TrafficError).code).toBe("ITER8_TRAFFIC_ADMIN_TOKEN");
    expect((error as TrafficError).message).toBe(
      "adminToken: expected an admin token of at least 16 visible ASCII characters (no spaces), got 5 characters",
    );
  });

  it("accepts a token given as an option", async () => {
    const token = "a-token-of-the-users-own-0123456789";
    const own = await startTrafficProxy({
      routing: proxy.routing,
      port: 0,
      adminPort: 0,
      adminToken: token,
    });
    try {
      expect(own.adminToken).toBe(token);
      const client = createProxyAdminClient(own.adminUrl, { token });
      expect((await client.getRouting()).versions[0]?.name).toBe("v1");
    } finally {
      await own.close();
    }
  });
});

describe("the admin API against DNS rebinding and cross-site requests", () => {
  it.each([`localhost:${0}`, `127.0.0.1:${0}`, `[::1]:${0}`])(
    "answers to the loopback Host %s with the admin port",
    async (host) => {
      const shown = host.replace(/:0$/, `:${port}`);
      const res = await send({ path: "/stats", headers: { ...auth(), host: shown } });
      expect(res.status).toBe(200);
    },
  );

  it.each([
    "attacker.example",
    "attacker.example:9901",
    "127.0.0.1",
    "127.0.0.1:1",
    "localhost.attacker.example",
  ])("answers 421 to Host %s, even with the token", async (host) => {
    const res = await send({ path: "/stats", headers: { ...auth(), host } });
    expect(res.status).toBe(421);
    expect(errorOf(res.body)).toContain(`not ${host}`);
  });

  it("answers to a name given in adminHostnames", async () => {
    const own = await startTrafficProxy({
      routing: proxy.routing,
      port: 0,
      adminPort: 0,
      adminHostnames: ["proxy.internal"],
    });
    try {
      const ownPort = new URL(own.adminUrl).port;
      const res = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          {
            host: "127.0.0.1",
            port: ownPort,
            path: "/stats",
            headers: {
              host: `proxy.internal:${ownPort}`,
              authorization: `Bearer ${own.adminToken}`,
            },
          },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end();
      });
      expect(res).toBe(200);
    } finally {
      await own.close();
    }
  });

  it.each([
    ["Origin of another site", { origin: "http://attacker.example" }],
    ["Origin null (sandboxed page)", { origin: "null" }],
    ["Origin of the admin host on another port", { origin: "http://127.0.0.1:1" }],
    ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
    ["Sec-Fetch-Site: same-site", { "sec-fetch-site": "same-site" }],
  ])("answers 403 to a request with %s, even with the token", async (_what, headers) => {
    const res = await send({
      method: "POST",
      path: "/stats/window",
      headers: { ...auth(), ...headers },
    });
    expect(res.status).toBe(403);
    expect(errorOf(res.body)).toContain("cross-site request");
  });

  it("serves a same-origin request (Origin of the admin address, Sec-Fetch-Site: same-origin)", async () => {
    const res = await send({
      path: "/stats",
      headers: { ...auth(), origin: `http://127.0.0.1:${port}`, "sec-fetch-site": "same-origin" },
    });
    expect(res.status).toBe(200);
  });

  it.each([
    ["text/plain", "POST", "/stats/window"],
    ["application/x-www-form-urlencoded", "POST", "/stats/window"],
    ["multipart/form-data; boundary=x", "PUT", "/routing"],
    ["text/plain;charset=UTF-8", "PUT", "/routing"],
  ])("answers 415 to a %s body (a form post), even with the token", async (type, method, path) => {
    const res = await send({
      method,
      path,
      headers: { ...auth(), "content-type": type },
      body: JSON.stringify(routingToDocument(proxy.routing)),
    });
    expect(res.status).toBe(415);
    expect(errorOf(res.body)).toContain("must be application/json");
  });

  it("answers 415 to a PUT body without a content type", async () => {
    const res = await send({
      method: "PUT",
      path: "/routing",
      headers: auth(),
      body: JSON.stringify(routingToDocument(proxy.routing)),
    });
    expect(res.status).toBe(415);
  });

  it("takes a routing as application/yaml", async () => {
    const res = await send({
      method: "PUT",
      path: "/routing",
      headers: { ...auth(), "content-type": "application/yaml" },
      body: `versions: [{name: v1, url: "${v1.url}"}]\nroutes:\n  - split: [{version: v1, weight: 1}]\n`,
    });
    expect(res.status).toBe(200);
  });
});
