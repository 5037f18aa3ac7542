import { isAbsolute, resolve } from "node:path";
// Only types at the top: @iter8/grpc is an optional peer dependency, imported when a grpc task runs.
import type { GrpcLoadOptions, GrpcLoadResult, runGrpcLoad } from "@iter8/grpc";
import { summariseLoad } from "@iter8/loadgen";
import type { LoadProgress } from "@iter8/loadgen";
import { deriveGrpcMetrics, grpcMetricSummaries } from "@iter8/metrics";
import type { GrpcLoadDetails, GrpcTarget, GrpcTask, VersionLoadDetails } from "@iter8/spec";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";
import { InsightsRecorder } from "../insights-recorder.js";
import type { TaskContext, TaskRunner } from "../registry.js";

/** What the grpc task uses of `@iter8/grpc`. */
export interface GrpcPackage {
  runGrpcLoad: typeof runGrpcLoad;
}

/** The package the grpc task loads, an optional peer dependency of @iter8/engine. */
const GRPC_PACKAGE = "@iter8/grpc";

/**
 * Loads `@iter8/grpc` with `load`. When the package itself is not installed, fails with one line
 * saying how to install it; any other failure (a dependency of an installed `@iter8/grpc` missing,
 * a broken file) is rethrown as it is.
 */
export async function loadGrpcPackage(load: () => Promise<GrpcPackage>): Promise<GrpcPackage> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : "";
    if (
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
      message.includes(`'${GRPC_PACKAGE}'`)
    ) {
      throw new EngineError(
        ENGINE_ERROR_CODES.taskFailed,
        `the grpc task needs the package ${GRPC_PACKAGE}, an optional peer dependency of ` +
          `@iter8/engine: npm install ${GRPC_PACKAGE}`,
        `npm install ${GRPC_PACKAGE}`,
        { cause: error },
      );
    }
    throw error;
  }
}

const isUrl = (text: string) => /^https?:\/\//iu.test(text);

/**
 * The options of `runGrpcLoad` for one target of a `grpc` task: relative files (proto, protoset,
 * import paths, data, metadata, CA) resolve against the experiment's directory; base64
 * `binaryData` is decoded.
 */
export function grpcLoadOptions(target: GrpcTarget, dir: string): GrpcLoadOptions {
  const local = (path: string) => (isAbsolute(path) ? path : resolve(dir, path));
  const fileOrUrl = (ref: string | undefined) =>
    ref === undefined ? undefined : isUrl(ref) ? ref : local(ref);
  const options: GrpcLoadOptions = {
    host: target.host,
    call: target.call,
    qps: target.qps,
    concurrency: target.concurrency,
    connections: target.connections,
    countErrors: target.countErrors,
    baseDir: dir,
  };
  const set = <K extends keyof GrpcLoadOptions>(key: K, value: GrpcLoadOptions[K] | undefined) => {
    if (value !== undefined) options[key] = value;
  };
  set("proto", fileOrUrl(target.proto));
  set("protoURL", target.protoURL);
  set("protoset", fileOrUrl(target.protoset));
  set("importPaths", target.importPaths?.map(local));
  set("data", target.data);
  set("dataURL", fileOrUrl(target.dataURL));
  set(
    "binaryData",
    target.binaryData?.map((text) => new Uint8Array(Buffer.from(text, "base64"))),
  );
  set("binaryDataURL", fileOrUrl(target.binaryDataURL));
  set("metadata", target.metadata);
  set("metadataURL", fileOrUrl(target.metadataURL));
  set("numRequests", target.numRequests);
  set("durationMs", target.durationMs);
  set("schedule", target.schedule);
  set("timeoutMs", target.timeoutMs);
  set("connectTimeoutMs", target.connectTimeoutMs);
  set("keepaliveMs", target.keepaliveMs);
  if (target.tls) {
    const { caFile, ...rest } = target.tls;
    options.tls = caFile === undefined ? rest : { ...rest, caFile: local(caFile) };
  }
  set("skipFirst", target.skipFirst);
  set("streamIntervalMs", target.streamIntervalMs);
  set("streamCallDurationMs", target.streamCallDurationMs);
  set("streamCallCount", target.streamCallCount);
  set("warmupMs", target.warmupMs);
  set("workers", target.workers);
  set("pacing", target.pacing);
  return options;
}

/** What a gRPC load records in `loadDetails` besides the HTTP load's details. */
export function grpcLoadDetails(result: GrpcLoadResult): GrpcLoadDetails {
  const details: GrpcLoadDetails = { kind: result.kind, statusNames: { ...result.statusNames } };
  const streams = result.streams;
  if (streams) {
    const first = streams.firstMessage;
    details.streams = {
      messagesSent: streams.messagesSent,
      messagesReceived: streams.messagesReceived,
      sentRate: streams.sentRate,
      receivedRate: streams.receivedRate,
      ...(first.count > 0
        ? {
            firstMessageMs: {
              p50: first.percentile(50) / 1000,
              p99: first.percentile(99) / 1000,
              max: first.max / 1000,
            },
          }
        : {}),
    };
  }
  return details;
}

function detailsOf(result: GrpcLoadResult): VersionLoadDetails {
  return { ...summariseLoad(result), grpc: grpcLoadDetails(result) };
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

// A version's details when it has endpoints: their counts and latencies added up, and each
// endpoint's own details.
function endpointsDetails(results: Array<[string, GrpcLoadResult]>): VersionLoadDetails | null {
  const first = results[0]?.[1];
  if (!first) return null;
  const latency = first.latency.clone();
  const statusCodes: Record<string, number> = {};
  const errorClasses: Record<string, number> = {};
  const statusNames: Record<string, number> = {};
  for (const [i, [, result]] of results.entries()) {
    if (i > 0) latency.merge(result.latency);
    addCounts(statusCodes, result.statusCodes);
    addCounts(errorClasses, result.errorClasses);
    addCounts(statusNames, result.statusNames);
  }
  const kinds = new Set(results.map(([, r]) => r.kind));
  const details: VersionLoadDetails = {
    ...summariseLoad({
      ...first,
      latency,
      statusCodes,
      errorClasses,
      timeline: [],
      aborted: results.some(([, r]) => r.aborted),
    }),
    grpc: { kind: kinds.size === 1 ? first.kind : "mixed", statusNames },
    endpoints: Object.fromEntries(results.map(([name, r]) => [name, detailsOf(r)])),
  };
  delete details.dispatchLagMs;
  return details;
}

/**
 * `grpc` (alias `gen-load-and-collect-metrics-grpc`): loads each version's gRPC method (or each
 * v0.13 endpoint of the one version) in turn and records the `grpc/...` metrics
 * (`grpc-<endpoint>/...` for endpoints) and the load details. Each target's result is recorded as
 * soon as it is measured; when aborted, the part measured is recorded (marked partial) and the
 * remaining targets are skipped.
 */
export const grpcTaskRunner: TaskRunner<GrpcTask> = createGrpcTaskRunner(
  () => import("@iter8/grpc"),
);

/** The grpc task's runner, loading `@iter8/grpc` with `load` when it runs (tests pass their own). */
export function createGrpcTaskRunner(load: () => Promise<GrpcPackage>): TaskRunner<GrpcTask> {
  return async (task, ctx) => {
    const { runGrpcLoad } = await loadGrpcPackage(load);
    await runGrpcTask(task, ctx, runGrpcLoad);
  };
}

async function runGrpcTask(
  task: GrpcTask,
  ctx: TaskContext,
  runGrpcLoad: GrpcPackage["runGrpcLoad"],
): Promise<void> {
  const endpoints = task.with.endpoints ? Object.entries(task.with.endpoints) : undefined;
  const numVersions = endpoints ? 1 : task.with.versionInfo.length;
  const percentiles = task.with.percentiles;
  const recorder = new InsightsRecorder(ctx.result.insights, numVersions);
  const insights = recorder.insights;
  const details: Array<VersionLoadDetails | null> = insights.loadDetails ?? [];
  while (details.length < insights.numVersions) details.push(null);
  const save = () => {
    insights.loadDetails = details;
    ctx.result.insights = recorder.finish();
  };
  const load = (target: GrpcTarget, version: number) =>
    runGrpcLoad(grpcLoadOptions(target, ctx.dir), {
      signal: ctx.signal,
      onProgress: (progress: LoadProgress) =>
        ctx.emit({ type: "load-progress", index: ctx.index, version, numVersions, progress }),
    });

  try {
    if (endpoints) {
      const measured: Array<[string, GrpcLoadResult]> = [];
      for (const [name, target] of endpoints) {
        if (ctx.signal.aborted) break;
        const result = await load(target, 0);
        measured.push([name, result]);
        recorder.recordBuiltIns(0, deriveGrpcMetrics(result, percentiles, name));
        recorder.recordSummaries(0, grpcMetricSummaries(result, name));
        details[0] = endpointsDetails(measured);
      }
      return;
    }
    for (const [version, target] of task.with.versionInfo.entries()) {
      if (!target || ctx.signal.aborted) continue;
      const result = await load(target, version);
      details[version] = detailsOf(result);
      recorder.recordBuiltIns(version, deriveGrpcMetrics(result, percentiles));
      recorder.recordSummaries(version, grpcMetricSummaries(result));
    }
  } finally {
    save();
  }
}
