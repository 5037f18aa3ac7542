import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import { GREETER_PROTO_PATH } from "@iter8/demo-app";
import * as protoLoader from "@grpc/proto-loader";
import { describe, expect, it } from "vitest";
import { BENCH_NAME, BENCH_REPLY } from "./grpc-wire.js";
import {
  parseProcStatTicks,
  processTreeCpuSeconds,
  renderNginxGrpcConfig,
  renderNginxProxyConfig,
  startNginx,
  startNodeTarget,
} from "./processes.js";

const NGINX = "/usr/sbin/nginx";
const TASKSET = "/usr/bin/taskset";
const haveTools = existsSync(NGINX) && existsSync(TASKSET);
const PROTO = GREETER_PROTO_PATH;
// The Node target runs from the build (`turbo run test` builds the bench first).
const TARGET_SERVER = fileURLToPath(new URL("../dist/servers/target-server.js", import.meta.url));

type Greeter = grpc.Client & {
  SayHello(
    request: { name: string },
    options: grpc.CallOptions,
    callback: (error: grpc.ServiceError | null, reply?: { message: string }) => void,
  ): void;
};

function greeter(host: string): Greeter {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(PROTO, { keepCase: true })) as {
    helloworld: { Greeter: grpc.ServiceClientConstructor };
  };
  return new pkg.helloworld.Greeter(host, grpc.credentials.createInsecure()) as unknown as Greeter;
}

function sayHello(client: Greeter, name: string): Promise<{ message: string }> {
  return new Promise((resolve, reject) =>
    client.SayHello({ name }, { deadline: Date.now() + 10_000 }, (error, reply) =>
      error || reply === undefined ? reject(error ?? new Error("no reply")) : resolve(reply),
    ),
  );
}

function hostOf(url: string): string {
  return new URL(url).host;
}

describe("parseProcStatTicks", () => {
  it("adds utime and stime, counting fields after the command name", () => {
    // A command name may hold spaces and parentheses; fields 14 and 15 are 1234 and 56.
    const stat =
      "4242 (nginx: worker (x)) S 4241 4241 4241 0 -1 4194624 100 0 0 0 1234 56 0 0 20 0 1 0 5 0 0";
    expect(parseProcStatTicks(stat)).toBe(1290);
  });

  it("fails clearly on text that is not a stat line", () => {
    expect(() => parseProcStatTicks("nonsense")).toThrow(/utime and stime/);
  });
});

describe("processTreeCpuSeconds", () => {
  it("reads this process's CPU time from /proc, and NaN for a process that is gone", async () => {
    let x = 0;
    for (let i = 0; i < 2e7; i++) x += i;
    expect(x).toBeGreaterThan(0);
    const seconds = await processTreeCpuSeconds(process.pid);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(
      process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6 + 1,
    );
    expect(await processTreeCpuSeconds(2 ** 22 + 1)).toBeNaN();
  });
});

describe("renderNginxGrpcConfig", () => {
  it("serves the canned reply over h2c with status 200, the gRPC content type and trailer", () => {
    const conf = renderNginxGrpcConfig("/tmp/x", 8080);
    expect(conf).toContain("listen 127.0.0.1:8080 http2;");
    expect(conf).toContain("root /tmp/x/www;");
    expect(conf).toContain("default_type application/grpc;");
    expect(conf).toContain("error_page 405 =200 $uri;");
    expect(conf).toContain("add_trailer grpc-status 0;");
  });
});

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

describe.runIf(haveTools)("startNginx serving gRPC over h2c", () => {
  it("answers a real @grpc/grpc-js client's SayHello with the canned HelloReply and status OK", async () => {
    const nginx = await startNginx({ nginx: NGINX, taskset: TASKSET }, 0, { kind: "grpc" });
    const client = greeter(hostOf(nginx.url));
    try {
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) => sayHello(client, `caller ${i}`)),
      );
      expect(replies).toEqual(Array.from({ length: 20 }, () => ({ message: BENCH_REPLY })));
      const cpu = await nginx.cpuSeconds();
      expect(Number.isFinite(cpu) && cpu >= 0).toBe(true);
    } finally {
      client.close();
      await nginx.stop();
    }
  });
});

describe.runIf(existsSync(TASKSET))("the Node target server over gRPC", () => {
  const paths = { taskset: TASKSET, serverScript: TARGET_SERVER };

  it("answers SayHello and counts every call's arrival", async () => {
    if (!existsSync(TARGET_SERVER)) throw new Error(`build the bench first: ${TARGET_SERVER}`);
    const target = await startNodeTarget(paths, "ok", 0, "grpc");
    const client = greeter(hostOf(target.url));
    try {
      await target.reset();
      const replies = await Promise.all(
        Array.from({ length: 25 }, () => sayHello(client, BENCH_NAME)),
      );
      expect(replies.every((r) => r.message === BENCH_REPLY)).toBe(true);
      const arrivals = await target.arrivals();
      expect(arrivals.reduce((a, b) => a + b, 0)).toBe(25);
    } finally {
      client.close();
      await target.stop();
    }
  });

  it("in stall mode holds a call that arrives in a stall until the stall ends", async () => {
    if (!existsSync(TARGET_SERVER)) throw new Error(`build the bench first: ${TARGET_SERVER}`);
    const target = await startNodeTarget(paths, "stall", 0, "grpc");
    const client = greeter(hostOf(target.url));
    try {
      // Connect first, so the held call measures the stall and not the connection.
      await sayHello(client, "connect");
      // Stalls begin at the next arrival (grace 0), and that call lands at the start of one.
      await target.reset(0);
      const started = performance.now();
      const reply = await sayHello(client, BENCH_NAME);
      const heldMs = performance.now() - started;
      expect(reply.message).toBe(BENCH_REPLY);
      // The stall is 500 ms long; the call cannot be answered before it ends.
      expect(heldMs).toBeGreaterThanOrEqual(450);
    } finally {
      client.close();
      await target.stop();
    }
  });
});
