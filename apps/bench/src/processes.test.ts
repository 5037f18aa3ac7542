import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { renderNginxProxyConfig, startNginx } from "./processes.js";

const NGINX = "/usr/sbin/nginx";
const TASKSET = "/usr/bin/taskset";
const haveTools = existsSync(NGINX) && existsSync(TASKSET);

describe("renderNginxProxyConfig", () => {
  it("proxies to the upstream's host and port over HTTP/1.1 with a keep-alive pool", () => {
    const conf = renderNginxProxyConfig("/tmp/x", 8080, "http://127.0.0.1:4321/");
    expect(conf).toContain("server 127.0.0.1:4321;");
    expect(conf).toContain("keepalive 64;");
    expect(conf).toContain("proxy_pass http://app;");
    expect(conf).toContain('proxy_set_header Connection "";');
    expect(conf).toContain("listen 127.0.0.1:8080;");
  });
});

describe.runIf(haveTools)("startNginx as a reverse proxy", () => {
  it("forwards requests to a real upstream on 127.0.0.1", async () => {
    const upstream = createServer((req, res) => res.end(`upstream saw ${req.url}`));
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`;
    const nginx = await startNginx({ nginx: NGINX, taskset: TASKSET }, 0, url);
    try {
      const answer = await fetch(`${nginx.url}hello?x=1`);
      expect(answer.status).toBe(200);
      expect(await answer.text()).toBe("upstream saw /hello?x=1");
    } finally {
      await nginx.stop();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    }
  });
});
