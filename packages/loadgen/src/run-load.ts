import { LoadEngine } from "./load-engine.js";
import { createEngineDeps, loadTransport, planShare, toLoadResult } from "./engine-setup.js";
import { resolveLoadOptions } from "./options.js";
import type { LoadControl, LoadOptions, LoadResult } from "./types.js";
import type { Clock } from "./waker.js";
import { runWithWorkers } from "./workers.js";

/** Time from the call to the first send, for setting up (connections open during the warm-up). */
const START_DELAY_MS = 5;

/**
 * Runs the load of one version: paced (open model, latency from the intended send time) when
 * `qps > 0`, as fast as `connections` allow otherwise; after a discarded warm-up. Resolves with the
 * measurement; when `signal` aborts, resolves early with what was measured, marked `aborted`.
 * Throws `LoadgenError` (`ITER8_LOAD_OPTIONS`) for invalid options.
 */
export async function runLoad(
  options: LoadOptions,
  control: LoadControl = {},
): Promise<LoadResult> {
  const resolved = resolveLoadOptions(options);
  if (resolved.workers > 1) return runWithWorkers(options, resolved, control);
  const createTransport = await loadTransport(resolved, 0, 1);
  const clock: Clock = () => performance.now();
  const engine = new LoadEngine(
    planShare(resolved, clock() + START_DELAY_MS, 0, 1),
    createEngineDeps(resolved, clock, createTransport),
  );
  const result = await engine.run(control);
  return toLoadResult(result, performance.timeOrigin);
}
