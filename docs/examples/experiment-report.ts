// An experiment from a YAML string: load two versions of the demo app, check SLOs on the built-in
// metrics with @iter8/engine, and print a Markdown report (@iter8/report), e.g. for a PR comment.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDemoApp } from "@iter8/demo-app";
import { runExperiment } from "@iter8/engine";
import { renderReport } from "@iter8/report";
import { formatSpecIssue, parseExperiment } from "@iter8/spec";

// v2 answers 30% of requests with a 5xx (seeded, so every run draws the same errors).
const app = await startDemoApp({
  port: 0,
  versions: ["v1", { name: "v2", errorRate: 0.3 }],
  seed: 7,
});
const dir = await mkdtemp(join(tmpdir(), "iter8-example-"));

try {
  const [v1, v2] = app.urls;
  const yaml = `
- task: gen-load-and-collect-metrics
  with:
    numRequests: 40
    qps: 20
    connections: 2
    versionInfo:
    - url: ${v1}/get
    - url: ${v2}/get
- task: assess-app-versions
  with:
    SLOs:
    - metric: built-in/error-rate
      upperLimit: 0.05
    - metric: built-in/p95
      upperLimit: 500
`;
  const parsed = parseExperiment(yaml, { filename: "experiment.yaml" });
  if (!parsed.ok) throw new Error(parsed.issues.map(formatSpecIssue).join("\n"));

  // Runs the tasks in order; result.yaml is written to `dir` after every task.
  const result = await runExperiment(parsed.value, {
    dir,
    signal: AbortSignal.timeout(120_000),
    onEvent: (event) => {
      if (event.type === "task-failed") console.error(event.message);
    },
  });

  console.log(renderReport(parsed.value, result, { format: "markdown" }));
  const satisfiedBy = result.insights?.SLOsSatisfiedBy ?? [];
  console.log(`SLOs satisfied by version: ${JSON.stringify(satisfiedBy)}`);

  // The run completes; v2's error rate (about 0.3) fails its SLO whatever the machine's load.
  if (result.failure || result.aborted || satisfiedBy[1] !== false) {
    console.error("unexpected result: the run should complete and v2 fail the error-rate SLO");
    process.exitCode = 1;
  }
} finally {
  await app.close();
  await rm(dir, { recursive: true, force: true });
}
