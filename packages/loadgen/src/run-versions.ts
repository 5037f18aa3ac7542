import type { LoadInputs, VersionInfo } from "@iter8/spec";
import { resolvePayload } from "./payload.js";
import { runLoad } from "./run-load.js";
import type { LatencyHistogram } from "@iter8/metrics";
import type { LoadOptions, LoadProgress, LoadResult } from "./types.js";

/** What `runVersions` accepts besides the inputs. */
export interface RunVersionsControl {
  /** Aborting stops the current version (its result is marked aborted) and skips the rest. */
  signal?: AbortSignal;
  /** Progress of the version being loaded. */
  onProgress?: (versionIndex: number, progress: LoadProgress) => void;
  /** Each timeline sample of the version being loaded, with its interval's histogram (see `LoadControl.onSample`). */
  onSample?: (versionIndex: number, sample: LoadProgress, interval: LatencyHistogram) => void;
  /** Directory that relative `payloadFile` paths resolve against (default: the working directory). */
  baseDir?: string;
  /** Load all versions at the same time instead of one after another (default false). */
  parallel?: boolean;
}

/** The load options of one version: the task's inputs with the version's URL and headers. */
export function loadOptionsForVersion(
  inputs: LoadInputs,
  version: VersionInfo,
  body: Uint8Array | undefined,
): LoadOptions {
  const options: LoadOptions = {
    url: version.url,
    qps: inputs.qps,
    connections: inputs.connections,
    errorRanges: inputs.errorRanges,
  };
  if (inputs.method !== undefined) options.method = inputs.method;
  if (inputs.headers !== undefined || version.headers !== undefined) {
    options.headers = { ...inputs.headers, ...version.headers };
  }
  if (body !== undefined) options.body = body;
  if (inputs.contentType !== undefined) options.contentType = inputs.contentType;
  if (inputs.numRequests !== undefined) options.numRequests = inputs.numRequests;
  if (inputs.durationMs !== undefined) options.durationMs = inputs.durationMs;
  if (inputs.timeoutMs !== undefined) options.timeoutMs = inputs.timeoutMs;
  if (inputs.warmupMs !== undefined) options.warmupMs = inputs.warmupMs;
  if (inputs.workers !== undefined) options.workers = inputs.workers;
  if (inputs.pacing !== undefined) options.pacing = inputs.pacing;
  if (inputs.schedule !== undefined) options.schedule = inputs.schedule;
  return options;
}

/**
 * Loads every version of a `gen-load-and-collect-metrics` task, one after another (or all at once
 * with `parallel`): reads the payload once (`LoadgenError` `ITER8_LOAD_PAYLOAD` when it fails), then
 * runs each non-null version.
 * Resolves one entry per `versionInfo` entry: a result, or `null` for a skipped version and for
 * versions not reached because the run was aborted.
 */
export async function runVersions(
  inputs: LoadInputs,
  control: RunVersionsControl = {},
): Promise<Array<LoadResult | null>> {
  const payloadOptions: { baseDir?: string; signal?: AbortSignal } = {};
  if (control.baseDir !== undefined) payloadOptions.baseDir = control.baseDir;
  if (control.signal !== undefined) payloadOptions.signal = control.signal;
  const body = await resolvePayload(inputs, payloadOptions);
  const results: Array<LoadResult | null> = inputs.versionInfo.map(() => null);
  const runVersion = async (index: number, version: VersionInfo): Promise<LoadResult> => {
    const { onProgress, onSample } = control;
    const result = await runLoad(loadOptionsForVersion(inputs, version, body), {
      ...(control.signal ? { signal: control.signal } : {}),
      ...(onProgress ? { onProgress: (p: LoadProgress) => onProgress(index, p) } : {}),
      ...(onSample
        ? { onSample: (p: LoadProgress, h: LatencyHistogram) => onSample(index, p, h) }
        : {}),
    });
    results[index] = result;
    return result;
  };
  if (control.parallel) {
    const runs: Array<Promise<LoadResult>> = [];
    inputs.versionInfo.forEach((version, index) => {
      if (version) runs.push(runVersion(index, version));
    });
    await Promise.all(runs);
    return results;
  }
  for (let index = 0; index < inputs.versionInfo.length; index++) {
    const version = inputs.versionInfo[index];
    if (!version) continue;
    if (control.signal?.aborted) break;
    const result = await runVersion(index, version);
    if (result.aborted) break;
  }
  return results;
}
