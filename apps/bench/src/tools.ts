// Finds (and, as root, installs from Debian) the outside tools the bench drives.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Absolute paths of every tool the bench runs. */
export interface Tools {
  /** wrk (Debian package `wrk`). */
  wrk: string;
  /** nginx (Debian `nginx-light` or `nginx`). */
  nginx: string;
  /** taskset (Debian `util-linux`). */
  taskset: string;
  /** GNU time, for peak RSS and CPU time (Debian `time`). */
  time: string;
  /** h2load, the HTTP/2 load generator of nghttp2 (Debian `nghttp2-client`). */
  h2load: string;
  /** autocannon's CLI script (npm devDependency), run with this Node. */
  autocannon: string;
}

/** Raised when a tool is missing and cannot be installed. */
export class BenchToolsError extends Error {
  /** Stable error code. */
  readonly code = "ITER8_BENCH_TOOLS";
  override readonly name = "BenchToolsError";
}

const SYSTEM_TOOLS = [
  { name: "wrk", fallbacks: ["/usr/bin/wrk"] },
  { name: "nginx", fallbacks: ["/usr/sbin/nginx"] },
  { name: "taskset", fallbacks: ["/usr/bin/taskset"] },
  // GNU time; the shell keyword `time` is not it.
  { name: "time", fallbacks: ["/usr/bin/time"], onlyFallbacks: true },
  { name: "h2load", fallbacks: ["/usr/bin/h2load"] },
] as const;

/** The Debian packages that provide `SYSTEM_TOOLS` (nginx-light falls back to nginx). */
const PACKAGES = ["wrk", "nginx-light", "util-linux", "time", "nghttp2-client"];

function locate(tool: (typeof SYSTEM_TOOLS)[number]): string | undefined {
  for (const path of tool.fallbacks) if (existsSync(path)) return path;
  if ("onlyFallbacks" in tool) return undefined;
  const found = spawnSync("sh", ["-c", `command -v ${tool.name}`], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path.length > 0 ? path : undefined;
}

function runLoud(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: "inherit" }).status === 0;
}

function locateAutocannon(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve("autocannon/package.json")), "autocannon.js");
  } catch {
    throw new BenchToolsError(
      "autocannon is not installed (it is a devDependency of @iter8/bench): run `pnpm install`",
    );
  }
}

/**
 * Returns the tools' paths. Missing Debian tools are installed with apt-get when running as root;
 * otherwise this throws, naming the packages to install.
 */
export function ensureTools(log: (line: string) => void): Tools {
  let missing = SYSTEM_TOOLS.filter((t) => locate(t) === undefined).map((t) => t.name);
  if (missing.length > 0) {
    const packages = PACKAGES.join(" ");
    if (process.getuid?.() !== 0) {
      throw new BenchToolsError(
        `missing ${missing.join(", ")}; install them first: sudo apt-get install -y ${packages}`,
      );
    }
    log(`installing ${missing.join(", ")} from Debian (apt-get) ...`);
    const env = ["-y", "-q", "install"];
    const ok =
      runLoud("apt-get", ["update", "-q"]) &&
      (runLoud("apt-get", [...env, ...PACKAGES]) ||
        runLoud("apt-get", [...env, ...PACKAGES.map((p) => (p === "nginx-light" ? "nginx" : p))]));
    missing = SYSTEM_TOOLS.filter((t) => locate(t) === undefined).map((t) => t.name);
    if (!ok || missing.length > 0) {
      throw new BenchToolsError(`apt-get could not provide ${missing.join(", ") || packages}`);
    }
  }
  const path = (name: (typeof SYSTEM_TOOLS)[number]["name"]): string => {
    const tool = SYSTEM_TOOLS.find((t) => t.name === name);
    return (tool && locate(tool)) as string;
  };
  return {
    wrk: path("wrk"),
    nginx: path("nginx"),
    taskset: path("taskset"),
    time: path("time"),
    h2load: path("h2load"),
    autocannon: locateAutocannon(),
  };
}
