// The `iter8 demo-app` command: a thin layer over @iter8/demo-app (whose own tests are in
// packages/demo-app/test), checked here for its output, its lifetime and its flag errors.
import { spawn } from "node:child_process";
import { connect } from "node:http2";
import type { IncomingHttpHeaders } from "node:http2";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import yargs from "yargs";
import { demoAppCommand } from "../src/commands/demo-app.js";
import type { CommandContext } from "../src/context.js";
import { EXIT_CODES } from "../src/errors.js";
import { main } from "../src/main.js";

describe("iter8 demo-app command", () => {
  it("prints one HTTP and one gRPC listening line per version, serves until aborted, and exits 0", async () => {
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
        "--grpc-port",
        "0",
        "--versions",
        "v1,v2",
        "--latency",
        "v2=1ms",
        "--error-rate",
        "v2=1",
      ]);
    // Up to 20 s for the listening lines: a loaded machine can take seconds to start.
    for (let i = 0; i < 2000 && lines.length < 4; i += 1)
      await new Promise((r) => setTimeout(r, 10));
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^demo-app v1 listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines[1]).toMatch(
      /^demo-app v2 listening on http:\/\/127\.0\.0\.1:\d+ \(latency 1ms, error rate 1\)$/,
    );
    expect(lines[2]).toMatch(/^demo-app v1 gRPC listening on 127\.0\.0\.1:\d+$/);
    expect(lines[3]).toMatch(/^demo-app v2 gRPC listening on 127\.0\.0\.1:\d+$/);
    const v2 = /(http:\S+)/.exec(lines[1] ?? "")?.[1] ?? "";
    expect((await fetch(`${v2}/get`)).status).toBe(500);
    const v2Grpc = /gRPC listening on (\S+)/.exec(lines[3] ?? "")?.[1] ?? "";
    // --error-rate applies to gRPC calls too, failing them with UNAVAILABLE (14).
    expect(await sayHelloOverHttp2(v2Grpc, "bo")).toEqual({ status: "14", message: "" });

    controller.abort();
    await parsing;
    expect(lines.at(-1)).toBe("demo-app stopped");
    expect(exitCode).toBe(0);
    await expect(fetch(`${v2}/get`)).rejects.toThrow();
  });

  it("the built iter8 serves HTTP and gRPC until SIGINT, then closes both and exits 0", async () => {
    const bin = join(import.meta.dirname, "..", "dist", "bin.js");
    const child = spawn(process.execPath, [bin, "demo-app", "--port", "0", "--grpc-port", "0"], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 40_000);
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    const listening = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/gRPC listening on \S+\n/.test(stdout)) resolve(stdout);
      });
      child.once("close", () => reject(new Error(`demo-app exited early: ${stdout}${stderr}`)));
    });
    const http = /listening on (http:\S+)/.exec(listening)?.[1] ?? "";
    const grpcAddress = /gRPC listening on (\S+)/.exec(listening)?.[1] ?? "";
    expect((await fetch(`${http}/get`)).status).toBe(200);
    expect(await sayHelloOverHttp2(grpcAddress, "ann")).toEqual({
      status: "0",
      message: "Hello ann",
    });

    child.kill("SIGINT");
    const code = await exited;
    clearTimeout(killer);
    expect(code).toBe(0);
    expect(stdout.trimEnd().split("\n").at(-1)).toBe("demo-app stopped");
    expect(stderr).toBe("");
    await expect(fetch(`${http}/get`)).rejects.toThrow();
    await expect(sayHelloOverHttp2(grpcAddress, "ann")).rejects.toThrow();
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

/**
 * Calls helloworld.Greeter/SayHello over plain node:http2 (no gRPC library in this package): a
 * length-prefixed HelloRequest out, the reply's `message` and `grpc-status` trailer back.
 */
function sayHelloOverHttp2(
  address: string,
  name: string,
): Promise<{ status: string; message: string }> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    session.once("error", reject);
    const nameBytes = Buffer.from(name, "utf8");
    // HelloRequest: field 1 (name), wire type 2 -> tag 0x0a, then a one-byte length (names < 128 bytes).
    const message = Buffer.concat([Buffer.from([0x0a, nameBytes.length]), nameBytes]);
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    message.copy(frame, 5);
    const stream = session.request({
      ":method": "POST",
      ":path": "/helloworld.Greeter/SayHello",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    let status = "";
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A call that fails at once may end "trailers-only": grpc-status in the response headers.
    stream.on("response", (headers) => (status ||= String(headers["grpc-status"] ?? "")));
    stream.on(
      "trailers",
      (trailers: IncomingHttpHeaders) => (status = String(trailers["grpc-status"])),
    );
    stream.once("error", reject);
    stream.on("end", () => {
      session.close();
      const body = Buffer.concat(chunks);
      // HelloReply: a 5-byte prefix, then field 1 (message): tag 0x0a, one-byte length, text.
      const length = body.length > 6 ? (body[6] ?? 0) : 0;
      resolve({ status, message: body.subarray(7, 7 + length).toString("utf8") });
    });
    stream.end(frame);
  });
}
