// A reader that closes early (`iter8 report -o json | head -1`, `... | true`) is a normal end for a
// command line tool: the built `iter8` ends quietly, with the command's own exit code.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

const bin = join(import.meta.dirname, "..", "dist", "bin.js");
vi.setConfig({ testTimeout: 60_000 });

const RESULT = `startTime: "2026-12-01T10:00:00Z"
numCompletedTasks: 1
failure: false
insights:
  numVersions: 1
  metricsInfo:
    built-in/request-count: {description: number of requests, type: Counter}
  metricValues:
    - built-in/request-count: [100]
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "iter8-closed-stdout-"));
  await writeFile(join(dir, "result.yaml"), RESULT);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the built iter8 with its stdout closed by the reader before the command writes. */
function runWithClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // Closing our end of the pipe at once: every write of the child meets a pipe without reader.
    child.stdout.destroy();
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 50_000);
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("a closed stdout ends the command quietly", () => {
  it.each([
    [["report", "-o", "json"]],
    [["report", "-o", "html"]],
    [["gen"]],
    [["schema"]],
    [["--help"]],
    [["version"]],
  ])("iter8 %j exits 0 with nothing on stderr", async (args) => {
    const { code, stderr } = await runWithClosedStdout(args);
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("keeps the exit code of a command that fails", async () => {
    const { code, stderr } = await runWithClosedStdout(["assert", "-c", "completed"]);
    // The result does not say how many tasks there were: the condition is unmet (exit 1), and the
    // PASS/FAIL lines that went to the closed stdout are lost without an EPIPE trace on stderr.
    expect(stderr).toBe("");
    expect(code).toBe(1);
  });
});
