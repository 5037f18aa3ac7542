// @iter8/grpc is an optional peer dependency of the engine: a grpc task without it fails with one
// line saying what to install, and a broken @iter8/grpc install is not mistaken for a missing one.
// The errors are Node's own: a child process imports the package from a folder where it is absent
// and reports the error's code and message, which the injected loader then throws.
// (.ci/pack-check.mjs checks the same from a real npm install of the engine without @iter8/grpc.)
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Experiment, GrpcTask } from "@iter8/spec";
import { parseExperiment } from "@iter8/spec";
import {
  createTaskRegistry,
  EngineError,
  ENGINE_ERROR_CODES,
  runExperiment,
} from "../src/index.js";
import type { EngineEvent, TaskRegistry } from "../src/index.js";
import { createGrpcTaskRunner, loadGrpcPackage } from "../src/tasks/grpc.js";
import type { GrpcPackage } from "../src/tasks/grpc.js";

const MISSING_LINE =
  "the grpc task needs the package @iter8/grpc, an optional peer dependency of @iter8/engine: " +
  "npm install @iter8/grpc";

let empty: string;
let dir: string;

beforeAll(async () => {
  // No node_modules here or above (the system's temporary folder), so nothing resolves.
  empty = await mkdtemp(join(tmpdir(), "iter8-no-grpc-"));
  dir = await mkdtemp(join(tmpdir(), "iter8-grpc-optional-"));
});
afterAll(async () => {
  await rm(empty, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

/** The error Node's `import(specifier)` raises in a folder where the package is not installed. */
function nodeImportError(specifier: string): Error {
  const script = `try { await import(${JSON.stringify(specifier)}); console.log("{}"); } catch (e) {
    console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: empty,
    encoding: "utf8",
    timeout: 60_000,
  });
  const reported = JSON.parse(child.stdout) as { code?: string; message?: string };
  if (reported.code === undefined || reported.message === undefined) {
    throw new Error(`${specifier} resolved from ${empty}; the test needs it absent`);
  }
  return Object.assign(new Error(reported.message), { code: reported.code });
}

const failingLoad = (error: Error) => (): Promise<GrpcPackage> => Promise.reject(error);

/** Replaces the registry's grpc runner with one that loads @iter8/grpc with `load`. */
function registerGrpc(registry: TaskRegistry, load: () => Promise<GrpcPackage>): void {
  const runner = createGrpcTaskRunner(load);
  registry.register("grpc", (task, ctx) => runner(task as GrpcTask, ctx));
}

function experimentOf(text: string): Experiment {
  const parsed = parseExperiment(text);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return parsed.value;
}

const experiment = () =>
  experimentOf(
    [
      "- run: echo before",
      "- task: grpc",
      "  with:",
      "    call: helloworld.Greeter.SayHello",
      "    host: 127.0.0.1:1",
      "    total: 5",
    ].join("\n"),
  );

describe("the grpc task without @iter8/grpc", () => {
  it("fails its task with one line saying what to install, and records no measurement", async () => {
    const missing = nodeImportError("@iter8/grpc");
    expect(missing.message).toContain("'@iter8/grpc'");
    const registry = createTaskRegistry();
    registerGrpc(registry, failingLoad(missing));
    const events: EngineEvent[] = [];
    const result = await runExperiment(experiment(), {
      dir,
      registry,
      onEvent: (event) => events.push(event),
    });

    expect(result.failure).toBe(true);
    expect(result.numCompletedTasks).toBe(1);
    expect(result.failedTask).toEqual({ index: 1, task: "grpc", message: MISSING_LINE });
    expect(result.failedTask?.message).not.toContain("\n");
    expect(result.insights).toBeUndefined();
    expect(events).toContainEqual({
      type: "task-failed",
      index: 1,
      task: "grpc",
      message: MISSING_LINE,
    });
  });

  it("throws an EngineError (ITER8_TASK_FAILED, a failure) with the install command as its hint", async () => {
    const missing = nodeImportError("@iter8/grpc");
    const error = await loadGrpcPackage(failingLoad(missing)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    const engineError = error as EngineError;
    expect(engineError.code).toBe(ENGINE_ERROR_CODES.taskFailed);
    expect(engineError.kind).toBe("failure");
    expect(engineError.message).toBe(MISSING_LINE);
    expect(engineError.hint).toBe("npm install @iter8/grpc");
    expect(engineError.cause).toBe(missing);
  });

  it("passes on a package missing under an installed @iter8/grpc as it is", async () => {
    const broken = nodeImportError("protobufjs");
    const error = await loadGrpcPackage(failingLoad(broken)).catch((e: unknown) => e);
    expect(error).toBe(broken);

    const registry = createTaskRegistry();
    registerGrpc(registry, failingLoad(broken));
    const result = await runExperiment(experiment(), { dir, registry });
    expect(result.failedTask?.message).toBe(broken.message);
    expect(result.failedTask?.message).toContain("'protobufjs'");
  });

  it("loads the installed @iter8/grpc when it is there", async () => {
    const loaded = await loadGrpcPackage(() => import("@iter8/grpc"));
    expect(typeof loaded.runGrpcLoad).toBe("function");
  });
});
