// The `iter8 demo-app` command: a thin layer over @iter8/demo-app (whose own tests are in
// packages/demo-app/test), checked here for its output, its lifetime and its flag errors.
import { describe, expect, it } from "vitest";
import yargs from "yargs";
import { demoAppCommand } from "../src/commands/demo-app.js";
import type { CommandContext } from "../src/context.js";
import { EXIT_CODES } from "../src/errors.js";
import { main } from "../src/main.js";

describe("iter8 demo-app command", () => {
  it("prints one listening line per version, serves until aborted, and exits 0", async () => {
    const lines: string[] = [];
    const controller = new AbortController();
    let exitCode: number | undefined;
    const ctx: CommandContext = {
      io: {
        out: (text) => lines.push(text),
        err: (text) => lines.push(`ERR ${text}`),
        progress: () => undefined,
      },
      cwd: process.cwd(),
      env: {},
      signal: controller.signal,
      setExitCode: (code) => {
        exitCode = code;
      },
    };
    const parsing = yargs()
      .command(demoAppCommand(ctx))
      .strict()
      .exitProcess(false)
      .parseAsync([
        "demo-app",
        "--port",
        "0",
        "--versions",
        "v1,v2",
        "--latency",
        "v2=1ms",
        "--error-rate",
        "v2=1",
      ]);
    // Up to 20 s for the listening lines: a loaded machine can take seconds to start.
    for (let i = 0; i < 2000 && lines.length < 2; i += 1)
      await new Promise((r) => setTimeout(r, 10));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^demo-app v1 listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(
      /^demo-app v2 listening on http:\/\/127\.0\.0\.1:\d+ \(latency 1ms, error rate 1\)$/,
    );
    const v2 = /(http:\S+)/.exec(lines[1] ?? "")?.[1] ?? "";
    expect((await fetch(`${v2}/get`)).status).toBe(500);

    controller.abort();
    await parsing;
    expect(lines.at(-1)).toBe("demo-app stopped");
    expect(exitCode).toBe(0);
    await expect(fetch(`${v2}/get`)).rejects.toThrow();
  });

  it("rejects a bad flag value with an invalid-input error before listening", async () => {
    const ctx: CommandContext = {
      io: { out: () => undefined, err: () => undefined, progress: () => undefined },
      cwd: process.cwd(),
      env: {},
      setExitCode: () => undefined,
    };
    await expect(
      yargs()
        .command(demoAppCommand(ctx))
        .exitProcess(false)
        .fail((message, error) => {
          throw error ?? new Error(message);
        })
        .parseAsync(["demo-app", "--port", "0", "--error-rate", "v1=2"]),
    ).rejects.toThrow(/--error-rate value "2"/);
  });

  it("exits 2 (invalid input) on a bad flag value, naming the flag and the value", async () => {
    const err: string[] = [];
    const code = await main(["demo-app", "--port", "0", "--latency", "v1=fast"], {
      io: { out: () => undefined, err: (text) => err.push(text), progress: () => undefined },
    });
    expect(code).toBe(EXIT_CODES.invalid);
    expect(err.join("\n")).toContain('invalid --latency value "fast"');
  });
});
