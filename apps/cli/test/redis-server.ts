// A real redis-server (Debian package) for tests: on a free 127.0.0.1 port, data in a temp dir.
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A redis-server started by a test. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>`; append `/<db>` for a database of its own. */
  url: string;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s) and removes its directory. */
  stop(): Promise<void>;
}

/** True when the `redis-server` binary can be run. */
export function hasRedisServer(): boolean {
  const probe = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  return probe.error === undefined && probe.status === 0;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Starts redis-server with an fsync'ed append-only file, and `extraArgs` (e.g. `--maxmemory 2mb`);
 * tries three ports before giving up.
 */
export async function startRedis(extraArgs: readonly string[] = []): Promise<TestRedis> {
  const dir = await mkdtemp(join(tmpdir(), "iter8-redis-"));
  let lastOutput = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        ...extraArgs,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    const ready = await waitForReady(child);
    if (ready.ok) {
      return {
        url: `redis://127.0.0.1:${port}`,
        stop: async () => {
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    lastOutput = ready.output;
    await stopChild(child);
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`redis-server did not start: ${lastOutput}`);
}

function waitForReady(child: ChildProcess): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    let output = "";
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      resolve({ ok, output });
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) done(true);
    };
    const onExit = (): void => done(false);
    const timer = setTimeout(() => done(false), 20_000);
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", onExit);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
