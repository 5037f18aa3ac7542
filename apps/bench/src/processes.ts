// Child processes: one-shot commands with a hard time limit, and the long-lived targets (nginx and
// the Node target server), each pinned to a core with taskset.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile, mkdir } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TargetCommand, TargetEvent, TargetMode } from "./servers/protocol.js";

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
  /** Stops it and cleans up. */
  stop(): Promise<void>;
}

/** The Node target server, with its arrival counter. */
export interface NodeTarget extends Target {
  /** Clears the arrival record (time 0 is now); stalls begin `graceMs` after the next arrival. */
  reset(graceMs?: number): Promise<void>;
  /** Arrivals per millisecond since the last reset. */
  arrivals(): Promise<number[]>;
}

/** Renders the nginx configuration: one worker, `return 200 "ok"`, no access log, loopback only. */
export function renderNginxConfig(prefix: string, port: number): string {
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
  server {
    listen 127.0.0.1:${port};
    location / {
      default_type text/plain;
      return 200 "ok";
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

/**
 * Starts nginx in the foreground (`daemon off`) from a temp prefix, pinned to `core`: the `ok`
 * server, or a reverse proxy to `proxyTo`.
 */
export async function startNginx(
  paths: { nginx: string; taskset: string },
  core: number,
  proxyTo?: string,
): Promise<Target> {
  const prefix = await mkdtemp(join(tmpdir(), "iter8-bench-nginx-"));
  await mkdir(join(prefix, "tmp"), { recursive: true });
  const port = await findFreePort();
  const conf = join(prefix, "nginx.conf");
  await writeFile(
    conf,
    proxyTo === undefined
      ? renderNginxConfig(prefix, port)
      : renderNginxProxyConfig(prefix, port, proxyTo),
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
    async stop() {
      await stopChild(child, "SIGTERM");
    },
  };
}

/** Starts the Node target server (`dist/servers/target-server.js`) pinned to `core`. */
export async function startNodeTarget(
  paths: { taskset: string; serverScript: string },
  mode: TargetMode,
  core: number,
): Promise<NodeTarget> {
  const child = spawn(
    paths.taskset,
    ["-c", String(core), process.execPath, paths.serverScript, mode],
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
