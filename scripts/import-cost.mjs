#!/usr/bin/env node
// What loading a third-party module costs: CPU time (user + sys) to require it and resident memory
// after GC in a fresh process, and the V8 heap (after GC) of a fresh worker thread that loads it,
// for the public entry point of undici against the deep path @iter8/loadgen loads, and for
// @iter8/metrics's own HdrHistogram (dist/hdr.js, built first) against the hdr-histogram-js modules
// it loaded before (hdr-histogram-js is still a devDependency of @iter8/metrics, as the tests'
// reference). Variants alternate, each run in its own process; medians are printed with the
// difference from a process (or worker) that loads nothing.
//
//   node scripts/import-cost.mjs [--runs N]
import { execFileSync } from "node:child_process";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const loadgen = join(root, "packages", "loadgen");
const metrics = join(root, "packages", "metrics");
const { runs: runsText } = parseArgs({
  options: { runs: { type: "string", default: "9" } },
}).values;
const runs = Number(runsText);
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`import-cost: --runs wants a positive integer, got "${runsText}"\n`);
  process.exit(2);
}

/** name → [package dir to resolve from, module, extra module or "" ] */
const variants = {
  "(nothing)": [loadgen, "node:os", ""],
  "undici (index)": [loadgen, "undici", ""],
  "undici/lib/dispatcher/client.js": [loadgen, "undici/lib/dispatcher/client.js", ""],
  "hdr-histogram-js (index)": [metrics, "hdr-histogram-js", ""],
  "hdr-histogram-js/dist/Int32Histogram.js": [
    metrics,
    "hdr-histogram-js/dist/Int32Histogram.js",
    "",
  ],
  "  + dist/encoding.js": [
    metrics,
    "hdr-histogram-js/dist/Int32Histogram.js",
    "hdr-histogram-js/dist/encoding.js",
  ],
  "@iter8/metrics dist/hdr.js (own HdrHistogram)": [metrics, "./dist/hdr.js", ""],
  "@iter8/metrics (index)": [metrics, "@iter8/metrics", ""],
};

// Runs in the child: loads the module(s), then reports CPU time and RSS (process) or the worker
// thread's V8 heap after GC (worker).
const child = `
const { createRequire } = require("node:module");
const { Worker } = require("node:worker_threads");
const [mode, dir, spec, extra] = JSON.parse(process.argv[1]);
const load = (dir, spec, extra) => {
  const r = require("node:module").createRequire(dir + "/package.json");
  r(spec);
  if (extra) r(extra);
};
if (mode === "process") {
  const before = process.cpuUsage();
  load(dir, spec, extra);
  const used = process.cpuUsage(before);
  gc(); gc();
  console.log(JSON.stringify({ cpuMs: (used.user + used.system) / 1000, rssMb: process.memoryUsage().rss / 1048576 }));
} else {
  // A worker's own V8 heap after GC: the process RSS a thread adds is too noisy to compare.
  const worker = new Worker(
    "const { parentPort, workerData } = require('node:worker_threads');" +
      "(" + load.toString() + ")(...workerData); gc(); gc();" +
      "parentPort.postMessage(process.memoryUsage().heapUsed);",
    { eval: true, workerData: [dir, spec, extra] },
  );
  worker.on("message", (heapUsed) => {
    console.log(JSON.stringify({ cpuMs: 0, rssMb: heapUsed / 1048576 }));
    void worker.terminate();
  });
}`;

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
for (const mode of ["process", "worker"]) {
  const samples = Object.fromEntries(
    Object.keys(variants).map((name) => [name, { cpu: [], rss: [] }]),
  );
  for (let i = 0; i < runs; i++) {
    for (const [name, [dir, spec, extra]] of Object.entries(variants)) {
      const out = execFileSync(
        process.execPath,
        ["--expose-gc", "-e", child, JSON.stringify([mode, dir, spec, extra])],
        {
          encoding: "utf8",
        },
      );
      const { cpuMs, rssMb } = JSON.parse(out);
      samples[name].cpu.push(cpuMs);
      samples[name].rss.push(rssMb);
    }
  }
  const base = samples["(nothing)"];
  process.stdout.write(
    `\n${mode === "process" ? "fresh process (rss: resident memory after GC)" : "fresh worker thread (rss column: its V8 heap used after GC)"}, median of ${runs}, Node ${process.version}\n`,
  );
  for (const [name, s] of Object.entries(samples)) {
    const rss = median(s.rss);
    const cpu = median(s.cpu);
    const cpuText = mode === "process" ? `cpu ${cpu.toFixed(1).padStart(6)} ms   ` : "";
    process.stdout.write(
      `  ${name.padEnd(46)} ${cpuText}rss ${rss.toFixed(1).padStart(5)} MB  (+${(rss - median(base.rss)).toFixed(1)} MB)\n`,
    );
  }
}
