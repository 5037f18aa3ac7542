// The transport against nginx over h2c (a C HTTP/2 server: its own HPACK encoder, frame sizes and
// flow control), serving a canned HelloReply as apps/bench's gRPC scenarios do.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runGrpcLoad } from "../src/index.js";

const PROTO = fileURLToPath(new URL("./protos/greeter.proto", import.meta.url));
const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find(
  (path) => spawnSync(path, ["-v"], { stdio: "ignore" }).status === 0,
);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.destroy();
        resolve(true);
      });
      socket.on("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

let prefix: string;
let child: ChildProcess | undefined;
let port = 0;

beforeAll(async () => {
  if (!NGINX) return;
  prefix = mkdtempSync(join(tmpdir(), "iter8-grpc-nginx-"));
  // nginx's worker may run as another user: it must read the reply.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, "www"));
  mkdirSync(join(prefix, "tmp"));
  const root = protobuf.loadSync(PROTO);
  const reply = root.lookupType("helloworld.HelloReply").encode({ message: "Hello" }).finish();
  const framed = Buffer.alloc(5 + reply.length);
  framed.writeUInt32BE(reply.length, 1);
  framed.set(reply, 5);
  writeFileSync(join(prefix, "www", "reply.grpc"), framed);
  port = await freePort();
  writeFileSync(
    join(prefix, "nginx.conf"),
    `worker_processes 1;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp;
  http2_max_concurrent_streams 8;
  # A connection ends with GOAWAY after 500 requests: the client must reconnect.
  keepalive_requests 500;
  server {
    listen 127.0.0.1:${port} http2;
    location / {
      root ${prefix}/www;
      types { }
      default_type application/grpc;
      try_files /reply.grpc =404;
      error_page 405 =200 $uri;
      add_trailer grpc-status 0;
    }
  }
}
`,
  );
  child = spawn(NGINX, ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-g", "daemon off;"], {
    stdio: "ignore",
  });
  await waitForPort(port);
});

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child?.once("exit", resolve));
    child.kill("SIGQUIT");
    await exited;
  }
  if (prefix) rmSync(prefix, { recursive: true, force: true });
});

describe.skipIf(!NGINX)("gRPC against nginx over h2c (skipped when nginx is not installed)", () => {
  it("completes the calls over 2 connections x 40 lanes, within nginx's 8-stream limit, reconnecting after its GOAWAYs", async () => {
    const result = await runGrpcLoad({
      host: `127.0.0.1:${port}`,
      call: "helloworld.Greeter.SayHello",
      proto: PROTO,
      data: { name: "bob" },
      numRequests: 2000,
      qps: 0,
      concurrency: 40,
      connections: 2,
      warmupMs: 0,
    });
    expect(result.requests).toBe(2000);
    // After 500 requests nginx sends GOAWAY: streams it had not taken (at most the 8 in flight
    // on that connection) fail as refused; every other call is answered OK. 2000 calls need at
    // least 4 connections.
    const refused = result.errorClasses.refused ?? 0;
    expect(Object.keys(result.errorClasses).filter((k) => k !== "refused")).toEqual([]);
    expect(refused).toBeLessThanOrEqual(8 * 6);
    expect(result.statusCodes).toEqual({ "0": 2000 - refused });
  });
});
