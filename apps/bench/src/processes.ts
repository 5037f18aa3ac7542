// Child processes: one-shot commands with a hard time limit, and the long-lived targets (nginx and
// the Node target server), each pinned to a core with taskset.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmod, mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BENCH_REPLY, encodeHelloMessage, frameGrpcMessage } from "./grpc-wire.js";
import type { TargetCommand, TargetEvent, TargetMode, TargetProtocol } from "./servers/protocol.js";

/** What a finished command left behind. */
export interface CommandResult {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  /** Signal that ended it, if any. */
  signal: NodeJS.Signals | null;
  /** Everything it wrote to stdout. */
  stdout: string;
  /** Everything it wrote to stderr. */
  stderr: string;
  /** Whether the time limit killed it. */
  timedOut: boolean;
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/** Kills every child this module started that is still running (used on Ctrl-C). */
export function killAllChildren(): void {
  for (const child of running) killGroup(child, "SIGKILL");
}

/**
 * Runs a command to completion in its own process group; after `timeoutMs` the whole group is
 * killed, so no load loop outlives its budget.
 */
export function runCommand(
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
    running.add(child);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      running.delete(child);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

/** Finds a free TCP port on 127.0.0.1 (by binding port 0 and releasing it). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited before it listened on 127.0.0.1:${port}`);
    }
    if (await canConnect(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on 127.0.0.1:${port} within 10 s`);
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      running.delete(child);
      resolve();
    });
    killGroup(child, signal);
  });
}

/** A running target the generators can hit. */
export interface Target {
  /** Base URL, e.g. http://127.0.0.1:40123/. */
  url: string;
  /** CPU seconds (user + system) its processes have used so far; NaN where /proc cannot tell. */
  cpuSeconds(): Promise<number>;
  /** Stops it and cleans up. */
  stop(): Promise<void>;
}

/**
 * User + system CPU time in clock ticks from the text of `/proc/PID/stat` (fields 14 and 15,
 * counted after the command name, which is in parentheses and may hold spaces).
 */
export function parseProcStatTicks(text: string): number {
  const close = text.lastIndexOf(")");
  const fields = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // fields[0] is field 3 (state), so field 14 (utime) is fields[11] and 15 (stime) fields[12].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (close < 0 || !Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`/proc/PID/stat: cannot read utime and stime from ${JSON.stringify(text)}`);
  }
  return utime + stime;
}

let clockTicksPerSecond: number | undefined;

function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
    const n = Number(out.stdout?.trim());
    clockTicksPerSecond = out.status === 0 && n > 0 ? n : 100;
  }
  return clockTicksPerSecond;
}

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * CPU seconds used so far by a process and its live descendants (nginx's master and its worker).
 * Descendants that already exited are not counted; NaN when the process is gone.
 */
export async function processTreeCpuSeconds(pid: number): Promise<number> {
  let ticks = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const p = pending.pop() as number;
    const stat = await readOrEmpty(`/proc/${p}/stat`);
    if (stat === "") {
      if (p === pid) return Number.NaN;
      continue;
    }
    ticks += parseProcStatTicks(stat);
    const children = await readOrEmpty(`/proc/${p}/task/${p}/children`);
    for (const c of children.split(/\s+/)) if (c !== "") pending.push(Number(c));
  }
  return ticks / ticksPerSecond();
}

function cpuOf(child: ChildProcess): () => Promise<number> {
  // taskset execs its command, so the child's pid is the target's own.
  return () =>
    child.pid === undefined ? Promise.resolve(Number.NaN) : processTreeCpuSeconds(child.pid);
}

/** The Node target server, with its arrival counter. */
export interface NodeTarget extends Target {
  /** Clears the arrival record (time 0 is now); stalls begin `graceMs` after the next arrival. */
  reset(graceMs?: number): Promise<void>;
  /** Arrivals per millisecond since the last reset. */
  arrivals(): Promise<number[]>;
}

/**
 * Renders the nginx configuration: one worker (or `workerProcesses`, which then share the port with
 * `reuseport` so the kernel spreads connections over them), `return 200 "ok"`, no access log,
 * loopback only.
 */
export function renderNginxConfig(prefix: string, port: number, workerProcesses = 1): string {
  return `worker_processes ${workerProcesses};
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:${port}${workerProcesses > 1 ? " reuseport" : ""};
    location / {
      default_type text/plain;
      return 200 "ok";
    }
  }
}
`;
}

/** The file the gRPC nginx serves for every call, under its prefix. */
const GRPC_REPLY_FILE = "reply.grpc";

/**
 * Renders nginx serving gRPC over h2c (`listen ... http2` on a plaintext port; nginx 1.22 has no
 * `http2 on;`): every POST gets the static file `reply.grpc` (a framed `HelloReply`) with content
 * type application/grpc and the trailer `grpc-status: 0`. The static module answers POST with 405;
 * `error_page 405 =200 $uri` turns that into the file with status 200. 1 worker, no access log.
 */
export function renderNginxGrpcConfig(prefix: string, port: number): string {
  return `worker_processes 1;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  http2_max_concurrent_streams 1024;
  server {
    listen 127.0.0.1:${port} http2;
    location / {
      root ${prefix}/www;
      types { }
      default_type application/grpc;
      try_files /${GRPC_REPLY_FILE} =404;
      error_page 405 =200 $uri;
      add_trailer grpc-status 0;
    }
  }
}
`;
}

/**
 * Renders nginx as a reverse proxy: 1 worker, `proxy_pass` to `upstream` over HTTP/1.1 with an
 * upstream keep-alive pool of 64, no access log, no buffering of responses, loopback only.
 */
export function renderNginxProxyConfig(prefix: string, port: number, upstream: string): string {
  const hostPort = new URL(upstream).host;
  return `worker_processes 1;
error_log ${prefix}/error.log warn;
pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  keepalive_requests 100000000;
  keepalive_timeout 120s;
  upstream app {
    server ${hostPort};
    keepalive 64;
    keepalive_requests 100000000;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}

/** What the nginx target serves. */
export type NginxRole =
  /** HTTP/1.1 `return 200 "ok"`, with one worker process unless `workerProcesses` says more. */
  | { kind: "ok"; workerProcesses?: number }
  /** A reverse proxy to `upstream`. */
  | { kind: "proxy"; upstream: string }
  /** gRPC over h2c: a canned `HelloReply` for every call. */
  | { kind: "grpc" };

/**
 * Starts nginx in the foreground (`daemon off`) from a temp prefix, pinned to `core`: the `ok`
 * server, a reverse proxy to `proxyTo`, or the canned gRPC server.
 */
export async function startNginx(
  paths: { nginx: string; taskset: string },
  core: number | string,
  proxyTo?: string | NginxRole,
): Promise<Target> {
  const role: NginxRole =
    typeof proxyTo === "string"
      ? { kind: "proxy", upstream: proxyTo }
      : (proxyTo ?? { kind: "ok" });
  const prefix = await mkdtemp(join(tmpdir(), "iter8-bench-nginx-"));
  await mkdir(join(prefix, "tmp"), { recursive: true });
  const port = await findFreePort();
  const conf = join(prefix, "nginx.conf");
  if (role.kind === "grpc") {
    // nginx's worker runs as an unprivileged user when started as root: it must reach the file.
    await chmod(prefix, 0o755);
    await mkdir(join(prefix, "www"), { mode: 0o755 });
    await writeFile(
      join(prefix, "www", GRPC_REPLY_FILE),
      frameGrpcMessage(encodeHelloMessage(BENCH_REPLY)),
    );
  }
  await writeFile(
    conf,
    role.kind === "ok"
      ? renderNginxConfig(prefix, port, role.workerProcesses)
      : role.kind === "proxy"
        ? renderNginxProxyConfig(prefix, port, role.upstream)
        : renderNginxGrpcConfig(prefix, port),
  );
  const child = spawn(
    paths.taskset,
    ["-c", String(core), paths.nginx, "-p", prefix, "-c", conf, "-g", "daemon off;"],
    { stdio: ["ignore", "ignore", "inherit"], detached: true },
  );
  running.add(child);
  try {
    await waitForPort(port, child, "nginx");
  } catch (error) {
    await stopChild(child, "SIGKILL");
    await rm(prefix, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}/`,
    cpuSeconds: cpuOf(child),
    async stop() {
      // SIGQUIT: graceful shutdown of master and worker.
      await stopChild(child, "SIGQUIT");
      await rm(prefix, { recursive: true, force: true });
    },
  };
}

/**
 * Starts iter8's traffic proxy (`dist/servers/traffic-proxy-server.js`) in front of `upstream`,
 * pinned to `core`.
 */
export async function startTrafficProxyTarget(
  paths: { taskset: string; proxyScript: string },
  upstream: string,
  core: number,
): Promise<Target> {
  const child = spawn(
    paths.taskset,
    ["-c", String(core), process.execPath, paths.proxyScript, upstream],
    { stdio: ["ignore", "pipe", "inherit"], detached: true },
  );
  running.add(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("traffic proxy: no port within 10 s")), 10_000);
    child.stdout?.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`traffic proxy exited with ${code} before it listened`));
    });
  }).catch(async (error: unknown) => {
    await stopChild(child, "SIGKILL");
    throw error;
  });
  await waitForPort(port, child, "traffic proxy");
  return {
    url: `http://127.0.0.1:${port}/`,
    cpuSeconds: cpuOf(child),
    async stop() {
      await stopChild(child, "SIGTERM");
    },
  };
}

/**
 * V8 flags of the Node target. Over gRPC (`node:http2`) its old generation grows by about 4 MB/s
 * at 5 000 calls/s, and each mark-compact paused it for 15-70 ms: the calls held meanwhile
 * arrived in one 100 ms window (+30-64%), which measured the target's collector, not the
 * generator's pacing. A large initial old space leaves the runs (3 s warm-up + 10 s, three runs
 * per process) without a mark-compact; HTTP's target never needed it.
 */
function targetNodeFlags(protocol: TargetProtocol): string[] {
  return protocol === "grpc" ? ["--initial-old-space-size=512"] : [];
}

/**
 * Starts the Node target server (`dist/servers/target-server.js`) pinned to `core`, speaking
 * HTTP/1.1 or gRPC over h2c.
 */
export async function startNodeTarget(
  paths: { taskset: string; serverScript: string },
  mode: TargetMode,
  core: number,
  protocol: TargetProtocol = "http",
): Promise<NodeTarget> {
  const child = spawn(
    paths.taskset,
    [
      "-c",
      String(core),
      process.execPath,
      ...targetNodeFlags(protocol),
      paths.serverScript,
      mode,
      protocol,
    ],
    {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      detached: true,
    },
  );
  running.add(child);
  const waiters: ((event: TargetEvent) => boolean)[] = [];
  child.on("message", (event: TargetEvent) => {
    const index = waiters.findIndex((w) => w(event));
    if (index >= 0) waiters.splice(index, 1);
  });
  function request<T extends TargetEvent["type"]>(
    command: TargetCommand | undefined,
    type: T,
  ): Promise<Extract<TargetEvent, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`target server: no "${type}" within 10 s`)),
        10_000,
      );
      waiters.push((event) => {
        if (event.type !== type) return false;
        clearTimeout(timer);
        resolve(event as Extract<TargetEvent, { type: T }>);
        return true;
      });
      if (command !== undefined) child.send(command);
    });
  }
  const { port } = await request(undefined, "listening").catch(async (error: unknown) => {
    await stopChild(child, "SIGKILL");
    throw error;
  });
  return {
    url: `http://127.0.0.1:${port}/`,
    cpuSeconds: cpuOf(child),
    async reset(graceMs = 0) {
      await request({ type: "reset", graceMs }, "reset-done");
    },
    async arrivals() {
      return (await request({ type: "arrivals" }, "arrivals")).msCounts;
    },
    async stop() {
      await stopChild(child, "SIGTERM");
    },
  };
}
