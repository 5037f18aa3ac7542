// Run by .ci/pack-check.mjs in a project where @iter8/engine is installed from its tarball without
// its optional peer dependency @iter8/grpc: the engine's declarations type-check (the project
// compiles it with skipLibCheck false), its entry point loads, and a grpc task fails with one line
// saying what to install. Exits 0 and prints that line when all holds.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as engine from "@iter8/engine";
import type { EngineEvent, RunExperimentOptions } from "@iter8/engine";
import { parseExperiment } from "@iter8/spec";

const EXPECTED =
  "task 1 (grpc): the grpc task needs the package @iter8/grpc, an optional peer dependency of " +
  "@iter8/engine: npm install @iter8/grpc";

const parsed = parseExperiment(
  [
    "- task: grpc",
    "  with:",
    "    call: helloworld.Greeter.SayHello",
    "    host: 127.0.0.1:1",
    "    total: 1",
  ].join("\n"),
);
if (!parsed.ok) throw new Error("the check's own experiment does not parse");

const dir = await mkdtemp(join(tmpdir(), "iter8-engine-without-grpc-"));
try {
  const events: EngineEvent[] = [];
  const options: RunExperimentOptions = {
    dir,
    signal: AbortSignal.timeout(60_000),
    onEvent: (event) => events.push(event),
  };
  const result = await engine.runExperiment(parsed.value, options);
  const failed = result.failedTask;
  const line = failed
    ? `task ${failed.index + 1} (${failed.task}): ${failed.message}`
    : "no failure";
  console.log(line);
  if (line !== EXPECTED || !events.some((e) => e.type === "task-failed")) {
    console.error(`expected: ${EXPECTED}`);
    process.exitCode = 1;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
