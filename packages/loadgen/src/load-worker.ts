// Entry of a load worker thread (`workers > 1`): runs one share of the load with its own engine
// and reports progress and the encoded result to the coordinating thread.
import { parentPort, workerData } from "node:worker_threads";
import { LatencyHistogram } from "@iter8/metrics";
import { LoadEngine } from "./load-engine.js";
import { resolveLoadOptions } from "./options.js";
import type { ResolvedLoadOptions } from "./options.js";
import { createEngineDeps, loadTransport, planShare } from "./engine-setup.js";
import type { CreateTransport } from "./transport.js";
import { encodeEngineResult, hrNowMs } from "./worker-protocol.js";
import type { FromWorker, ToWorker, WorkerInput } from "./worker-protocol.js";
import type { LoadProgress } from "./types.js";

const port = parentPort;
if (port) {
  const input = workerData as WorkerInput;
  const post = (message: FromWorker): void => port.postMessage(message);
  const abort = new AbortController();
  let options: ResolvedLoadOptions | undefined;
  let createTransport: CreateTransport | undefined;
  port.on("message", (message: ToWorker) => {
    if (message.type === "abort") {
      abort.abort();
      return;
    }
    if (!options || !createTransport) return;
    try {
      const clock = (): number => performance.now();
      const toHrMs = hrNowMs() - clock();
      const config = planShare(options, message.startAtHrMs - toHrMs, input.index, input.count);
      const engine = new LoadEngine(config, createEngineDeps(options, clock, createTransport));
      let sampled: LoadProgress | undefined;
      void engine
        .run({
          signal: abort.signal,
          // Each timeline sample goes out once, with its interval histogram (a few KB a second).
          onSample: (sample, interval) => {
            sampled = sample;
            post({ type: "sample", sample, interval: interval.encode() });
          },
          onProgress: (progress) => {
            if (progress !== sampled) post({ type: "progress", progress });
          },
        })
        .then((result) => {
          post({ type: "result", result: encodeEngineResult(result, toHrMs) });
          port.close();
        });
    } catch (error) {
      post({ type: "failed", message: (error as Error).message });
      port.close();
    }
  });
  // Resolve the options and build the transport (which may load modules) before saying ready;
  // load the histogram codec and warm it up now, not in the first second of measuring.
  void (async () => {
    try {
      options = resolveLoadOptions({ ...input.options, workers: input.count });
      createTransport = await loadTransport(options, input.index, input.count);
      new LatencyHistogram().encode();
      post({ type: "ready" });
    } catch (error) {
      post({ type: "failed", message: (error as Error).message });
      port.close();
    }
  })();
}
