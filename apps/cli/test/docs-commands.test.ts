// Every doc command works verbatim: the guides' shell blocks run, in order, in one bash session per
// guide (as a user types them into a terminal), against the demo app on 127.0.0.1, with `iter8`
// put on PATH the way docs/getting-started.md says (`npm link`, here into a scratch npm prefix).
//
// What runs is read from the Markdown. A fenced `sh`/`shell`/`bash` block runs unless an HTML
// comment right above it says otherwise; other blocks run only when marked:
//   <!-- docs-test: skip (reason) -->          not run, with the reason in the guide
//   <!-- docs-test: background PORT ... -->    run in the background (a server that runs until
//                                              stopped); the next block waits for its ports. In a
//                                              block of output, the `$ ` lines are the commands.
//   <!-- docs-test: file NAME -->              the block is the content of the file NAME
//   <!-- docs-test: in-repo -->                run in the root of the repository (install steps)
//   <!-- docs-test: node DIR -->               the block is an ES module run with node in DIR
//   <!-- docs-test: setup: COMMANDS -->        (anywhere) commands run before the guide's blocks,
//                                              for what the guide assumes from an earlier one
import { spawn, spawnSync } from "node:child_process";
import type { SpawnSyncReturns } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadResult, loadRouting } from "@iter8/spec";

const REPO = join(import.meta.dirname, "..", "..", "..");
const DOCS = join(REPO, "docs");
const GUIDE_TIMEOUT_MS = 240_000;

/** The guides checked, in the order a new user reads them. */
const GUIDES = ["getting-started.md", "reports.md", "demo-app.md", "ab-testing.md", "traffic.md"];

interface Block {
  line: number;
  lang: string;
  text: string;
  marker: string | undefined;
}

function blocksOf(markdown: string): { blocks: Block[]; setup: string[] } {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  const setup: string[] = [];
  let marker: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const setupMatch = /^<!-- docs-test: setup: (.*) -->$/.exec(line);
    if (setupMatch?.[1]) {
      setup.push(setupMatch[1]);
      continue;
    }
    const markerMatch = /^<!-- docs-test: (.*) -->$/.exec(line);
    if (markerMatch) {
      marker = markerMatch[1];
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (fence) {
      const start = i;
      const body: string[] = [];
      for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ""); i++)
        body.push(lines[i] ?? "");
      blocks.push({ line: start + 1, lang: fence[1] ?? "", text: body.join("\n"), marker });
      marker = undefined;
      continue;
    }
    if (line.trim() !== "") marker = undefined;
  }
  return { blocks, setup };
}

const SHELL = new Set(["sh", "shell", "bash"]);

/** The bash script of a guide, and the files to remove after it. */
function scriptOf(
  guide: string,
  markdown: string,
): { script: string; ran: number; temp: string[] } {
  const { blocks, setup } = blocksOf(markdown);
  const temp: string[] = [];
  const parts = [
    "set -eo pipefail",
    'wait_port() { curl -s -o /dev/null --retry 30 --retry-connrefused --retry-delay 1 "http://127.0.0.1:$1/" || { echo "nothing answers on port $1" >&2; exit 1; }; }',
    ...setup.map((commands) => `# setup of ${guide}\n${commands}`),
  ];
  let ran = 0;
  for (const block of blocks) {
    const where = `# ${guide}:${block.line}`;
    const marker = block.marker ?? "";
    const [kind = "", ...args] = marker.split(/\s+/);
    if (kind === "skip") continue;
    if (kind === "file") {
      const delimiter = `DOCS_TEST_${randomBytes(4).toString("hex")}`;
      parts.push(`${where}\ncat > ${args[0]} <<'${delimiter}'\n${block.text}\n${delimiter}`);
    } else if (kind === "node") {
      const file = join(REPO, args[0] ?? ".", `.docs-test-${randomBytes(4).toString("hex")}.mjs`);
      temp.push(file);
      parts.push(
        `${where}\ncat > '${file}' <<'DOCS_TEST_MODULE'\n${block.text}\nDOCS_TEST_MODULE\n(cd '${join(REPO, args[0] ?? ".")}' && node '${file}')`,
      );
    } else if (kind === "background") {
      const prompts = block.text.split("\n").filter((l) => l.startsWith("$ "));
      const commands = prompts.length > 0 ? prompts.map((l) => l.slice(2)).join("\n") : block.text;
      parts.push(
        `${where}\n( ${commands}\n) &\n${args.map((port) => `wait_port ${port}`).join("\n")}`,
      );
    } else if (kind === "in-repo") {
      parts.push(`${where}\n(cd '${REPO}'\n${block.text}\n)`);
    } else if (kind === "" && SHELL.has(block.lang)) {
      parts.push(`${where}\n${block.text}`);
    } else if (kind !== "") {
      throw new Error(`${guide}:${block.line}: unknown docs-test marker "${marker}"`);
    } else {
      continue;
    }
    ran++;
  }
  return { script: `${parts.join("\n")}\n`, ran, temp };
}

/** What a guide promises beyond its commands' exit codes, checked on the files it left. */
const OUTCOMES: Record<string, (work: string) => Promise<void>> = {
  "ab-testing.md": async (work) => {
    const result = await loadResult(join(work, "result.yaml"));
    expect(result.insights?.winner?.version).toBe(1);
  },
  "traffic.md": async (work) => {
    // The rollout promoted v2, and routing.yaml on disk says what the proxy served.
    const routing = await loadRouting(join(work, "routing.yaml"));
    const split = routing.routes
      .find((route) => route.name === "default")
      ?.split.map(({ version, weight }) => ({ version, weight }));
    expect(split).toEqual([
      { version: "v1", weight: 0 },
      { version: "v2", weight: 100 },
    ]);
  },
};

let scratch: string;
let prefix: string;
let linked: SpawnSyncReturns<string> | undefined;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "iter8-docs-"));
  prefix = join(scratch, "npm-global");
  await mkdir(prefix, { recursive: true });
  if (!existsSync(join(REPO, "apps", "cli", "dist", "bin.js"))) {
    throw new Error("build first: pnpm build");
  }
  // The guides run the same `npm link` again (getting-started); it is idempotent.
  linked = spawnSync("npm", ["link"], {
    cwd: join(REPO, "apps", "cli"),
    env: environment(scratch),
    encoding: "utf8",
    timeout: 120_000,
  });
}, 130_000);

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

function environment(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    PATH: `${join(prefix, "bin")}:${process.env.PATH ?? ""}`,
    npm_config_prefix: prefix,
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    NO_COLOR: "1",
  };
  for (const name of ["ITER8HUB", "ITER8_PROXY_TOKEN", "INIT_CWD", "npm_config_global"]) {
    delete env[name];
  }
  return env;
}

/** Runs a guide's script in its own process group, and stops whatever it left running. */
async function runGuide(script: string, cwd: string, env: NodeJS.ProcessEnv) {
  const child = spawn("bash", ["-c", script], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => stopGroup(child.pid, "SIGKILL"), GUIDE_TIMEOUT_MS - 20_000);
  // "exit", not "close": the servers the guide left in the background still hold the pipes.
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", resolve);
  });
  clearTimeout(timer);
  // Servers the guide started in the background (demo app, abn, proxy, client loop) end here.
  stopGroup(child.pid, "SIGTERM");
  for (let i = 0; i < 100 && groupAlive(child.pid); i++)
    await new Promise((r) => setTimeout(r, 100));
  stopGroup(child.pid, "SIGKILL");
  return { code, output };
}

function stopGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

function groupAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the guides' commands work verbatim", () => {
  it("puts iter8 on PATH as getting-started says (npm link into a scratch prefix)", () => {
    expect(linked?.status, linked?.stderr).toBe(0);
    const version = spawnSync(join(prefix, "bin", "iter8"), ["--version"], {
      env: environment(scratch),
      encoding: "utf8",
    });
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    // It links and installs nothing into the checkout.
    expect(existsSync(join(REPO, "apps", "cli", "package-lock.json"))).toBe(false);
  });

  it.each(GUIDES)(
    "%s",
    async (guide) => {
      const markdown = await readFile(join(DOCS, guide), "utf8");
      const { script, ran, temp } = scriptOf(guide, markdown);
      expect(ran).toBeGreaterThan(0);
      const work = join(scratch, guide.replace(/\.md$/, ""));
      await mkdir(join(work, "home"), { recursive: true });
      await writeFile(join(work, "guide.sh"), script);
      try {
        const { code, output } = await runGuide(script, work, environment(join(work, "home")));
        expect(code, `${guide} failed (script in ${work}/guide.sh):\n${output.slice(-4000)}`).toBe(
          0,
        );
        await OUTCOMES[guide]?.(work);
      } finally {
        await Promise.all(temp.map((file) => rm(file, { force: true })));
      }
    },
    GUIDE_TIMEOUT_MS,
  );
});
