import type { RolloutSpec } from "@iter8/spec";
import type { RolloutOptions, RolloutResult } from "./run-rollout.js";

/**
 * Runs a gradual rollout against a running proxy (the contract is `run-rollout.ts`'s): sets the
 * candidate's weight step by step, checks its SLOs after each step, then promotes, holds or rolls
 * back. Its module (providers, statistics) is loaded at the first call, so that loading the engine
 * for an experiment run does not hold it in memory.
 */
export async function runRollout(
  spec: RolloutSpec,
  options: RolloutOptions = {},
): Promise<RolloutResult> {
  const { runRollout: run } = await import("./run-rollout.js");
  return run(spec, options);
}
