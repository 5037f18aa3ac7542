import { Buffer } from "node:buffer";
import { existsSync } from "node:fs";
import * as http2 from "node:http2";
import { fileURLToPath } from "node:url";
import { runLoad } from "@iter8/loadgen";
import type { LoadOptions, LoadResult } from "@iter8/loadgen";
import { LatencyHistogram } from "@iter8/metrics";
import {
  fullNameOf,
  loadProto,
  resolveMethod,
  rootFromDescriptorSet,
  splitCall,
} from "./definitions.js";
import type { ResolvedMethod } from "./definitions.js";
import { GrpcError } from "./errors.js";
import {
  STAT_FIRST_MESSAGE,
  STAT_MESSAGES_RECEIVED,
  STAT_MESSAGES_SENT,
} from "./grpc-transport.js";
import type { GrpcTransportOptions } from "./grpc-transport.js";
import { MessageSource, encodeJson, hasTemplateActions } from "./messages.js";
import type { CallInfo, MessagePlan, MetadataPlan } from "./messages.js";
import { reflectService } from "./reflection.js";
import { readSource } from "./sources.js";
import { GRPC_STATUS, grpcStatusName } from "./status.js";
import type { GrpcLoadControl, GrpcLoadOptions, GrpcLoadResult, GrpcStreamStats } from "./types.js";

/** Defaults as ghz's. */
const GRPC_DEFAULTS = {
  numRequests: 200,
  timeoutMs: 20_000,
  connectTimeoutMs: 10_000,
  connections: 1,
} as const;

/** Metadata names the transport sets itself (or HTTP/2 forbids). */
const RESERVED_METADATA = new Set(["content-type", "te", "grpc-timeout", "connection", "host"]);
const METADATA_NAME = /^[0-9a-z_.-]+$/;

function fail(message: string): never {
  throw new GrpcError("ITER8_GRPC_OPTIONS", message);
}

function checkNumber(name: string, value: number | undefined, min: number, integer = false): void {
  if (value === undefined) return;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value < min ||
    (integer && !Number.isInteger(value))
  ) {
    fail(
      `${name} must be ${integer ? "an integer" : "a number"} >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
}

/** `host:port` (a bracketed IPv6 address too); the scheme is not part of ghz's `host`. */
function parseHost(host: string): string {
  if (typeof host !== "string" || host.trim() === "") fail("host is required (host:port)");
  const trimmed = host.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    fail(`host must be host:port without a scheme, got ${JSON.stringify(host)}`);
  }
  if (!/^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+):\d{1,5}$/.test(trimmed)) {
    fail(`host must be host:port, got ${JSON.stringify(host)}`);
  }
  return trimmed;
}

function validate(options: GrpcLoadOptions): void {
  if (typeof options.call !== "string") fail("call is required (package.Service.Method)");
  splitCall(options.call);
  const sources = (["proto", "protoURL", "protoset"] as const).filter(
    (k) => options[k] !== undefined,
  );
  if (sources.length > 1)
    fail(`give one of proto, protoURL and protoset, not ${sources.join(" and ")}`);
  const data = (["data", "dataURL", "binaryData", "binaryDataURL"] as const).filter(
    (k) => options[k] !== undefined,
  );
  if (data.length > 1)
    fail(`give one of data, dataURL, binaryData and binaryDataURL, not ${data.join(" and ")}`);
  if (options.metadata !== undefined && options.metadataURL !== undefined) {
    fail("give metadata or metadataURL, not both");
  }
  checkNumber("qps", options.qps, 0);
  checkNumber("concurrency", options.concurrency, 1, true);
  checkNumber("connections", options.connections, 1, true);
  checkNumber("numRequests", options.numRequests, 1, true);
  checkNumber("durationMs", options.durationMs, 1);
  checkNumber("timeoutMs", options.timeoutMs, 1);
  checkNumber("connectTimeoutMs", options.connectTimeoutMs, 1);
  checkNumber("keepaliveMs", options.keepaliveMs, 1);
  checkNumber("skipFirst", options.skipFirst, 0, true);
  checkNumber("streamIntervalMs", options.streamIntervalMs, 0);
  checkNumber("streamCallDurationMs", options.streamCallDurationMs, 0);
  checkNumber("streamCallCount", options.streamCallCount, 0, true);
  if (options.qps === undefined) fail("qps is required (0 = as fast as concurrency allows)");
  if (options.concurrency === undefined) fail("concurrency is required");
  if ((options.connections ?? 1) > options.concurrency) {
    fail(
      `connections (${options.connections}) must not exceed concurrency (${options.concurrency}), as in ghz`,
    );
  }
}

/** The service definition: proto, protoURL or protoset, else server reflection. */
async function loadDefinition(
  options: GrpcLoadOptions,
  baseDir: string,
  origin: string,
  tls: GrpcTransportOptions["tls"],
): Promise<ResolvedMethod> {
  const source = { importPaths: options.importPaths, baseDir };
  if (options.proto !== undefined || options.protoURL !== undefined) {
    const entry = (options.proto ?? options.protoURL) as string;
    return resolveMethod(await loadProto(source, entry), options.call, entry);
  }
  if (options.protoset !== undefined) {
    const bytes = await readSource(options.protoset, "protoset", "ITER8_GRPC_PROTO", baseDir);
    return resolveMethod(
      rootFromDescriptorSet(bytes, `protoset ${options.protoset}`),
      options.call,
      options.protoset,
    );
  }
  const { service } = splitCall(options.call);
  const session = http2.connect(
    origin,
    tls
      ? { ca: tls.ca, servername: tls.servername, rejectUnauthorized: tls.rejectUnauthorized }
      : {},
  );
  session.on("error", () => undefined);
  try {
    const root = await reflectService(
      session,
      options.host,
      service,
      options.connectTimeoutMs ?? GRPC_DEFAULTS.connectTimeoutMs,
    );
    return resolveMethod(root, options.call, `server reflection at ${options.host}`);
  } finally {
    session.destroy();
  }
}

/** The request messages: encoded once, or kept as JSON when a string holds a template action. */
async function planMessages(
  options: GrpcLoadOptions,
  method: ResolvedMethod,
  baseDir: string,
): Promise<MessagePlan> {
  if (options.binaryData !== undefined) {
    const list = Array.isArray(options.binaryData) ? options.binaryData : [options.binaryData];
    if (list.length === 0)
      throw new GrpcError("ITER8_GRPC_DATA", "binaryData: give at least one message");
    return { kind: "encoded", messages: list.map((m) => Uint8Array.from(m)) };
  }
  if (options.binaryDataURL !== undefined) {
    return {
      kind: "encoded",
      messages: [
        await readSource(options.binaryDataURL, "binaryDataURL", "ITER8_GRPC_DATA", baseDir),
      ],
    };
  }
  let data: unknown = options.data;
  let where = "data";
  if (options.dataURL !== undefined) {
    where = `dataURL ${options.dataURL}`;
    const text = Buffer.from(
      await readSource(options.dataURL, "dataURL", "ITER8_GRPC_DATA", baseDir),
    ).toString("utf8");
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new GrpcError("ITER8_GRPC_DATA", `${where}: not JSON: ${(error as Error).message}`);
    }
  }
  const values = data === undefined ? [{}] : Array.isArray(data) ? data : [data];
  if (values.length === 0)
    throw new GrpcError("ITER8_GRPC_DATA", `${where}: give at least one message`);
  const label = (i: number): string => (Array.isArray(data) ? `${where}[${i}]` : where);
  if (hasTemplateActions(values)) {
    // Check each message renders and encodes now, not in the middle of the load.
    const sample = sampleCallData(method);
    const plan: MessagePlan = {
      kind: "templated",
      values,
      root: method.root.toJSON(),
      requestType: fullNameOf(method.requestType),
    };
    const source = new MessageSource(plan);
    for (let i = 0; i < values.length; i++) {
      try {
        source.frame(i, sample);
      } catch (error) {
        throw new GrpcError(
          "ITER8_GRPC_DATA",
          `${label(i)}: ${(error as Error).message.replace(/^data\[\d+\]: /, "")}`,
        );
      }
    }
    return plan;
  }
  return {
    kind: "encoded",
    messages: values.map((value, i) => encodeJson(method.requestType, value, label(i))),
  };
}

function callInfo(method: ResolvedMethod): CallInfo {
  return {
    FullyQualifiedName: method.fullName,
    MethodName: method.methodName,
    ServiceName: method.serviceName,
    InputName: method.requestType.name,
    OutputName: method.responseType.name,
    IsClientStreaming: method.kind === "client-stream" || method.kind === "bidi-stream",
    IsServerStreaming: method.kind === "server-stream" || method.kind === "bidi-stream",
  };
}

function sampleCallData(method: ResolvedMethod): object {
  return {
    ...callInfo(method),
    WorkerID: "0",
    RequestNumber: 0,
    Timestamp: "",
    TimestampUnix: 0,
    TimestampUnixMilli: 0,
    TimestampUnixNano: "0",
    UUID: "",
  };
}

async function planMetadata(options: GrpcLoadOptions, baseDir: string): Promise<MetadataPlan> {
  let metadata: unknown = options.metadata;
  let where = "metadata";
  if (options.metadataURL !== undefined) {
    where = `metadataURL ${options.metadataURL}`;
    const text = Buffer.from(
      await readSource(options.metadataURL, "metadataURL", "ITER8_GRPC_DATA", baseDir),
    ).toString("utf8");
    try {
      metadata = JSON.parse(text);
    } catch (error) {
      throw new GrpcError("ITER8_GRPC_DATA", `${where}: not JSON: ${(error as Error).message}`);
    }
  }
  if (metadata === undefined) return { entries: [], templated: false };
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
    throw new GrpcError("ITER8_GRPC_DATA", `${where}: must be an object of names to string values`);
  }
  const entries: Array<[string, string]> = [];
  for (const [rawName, value] of Object.entries(metadata)) {
    const name = rawName.toLowerCase();
    if (typeof value !== "string") {
      throw new GrpcError(
        "ITER8_GRPC_DATA",
        `${where}.${rawName}: the value must be a string, got ${JSON.stringify(value)}`,
      );
    }
    if (!METADATA_NAME.test(name) || name.startsWith("grpc-") || RESERVED_METADATA.has(name)) {
      throw new GrpcError(
        "ITER8_GRPC_DATA",
        `${where}.${rawName}: not a metadata name a client may send (lower-case letters, digits, - _ .; not grpc-*, content-type, te)`,
      );
    }
    entries.push([
      name,
      name.endsWith("-bin") ? Buffer.from(value, "utf8").toString("base64") : value,
    ]);
  }
  return { entries, templated: entries.some(([, value]) => hasTemplateActions(value)) };
}

/**
 * The transport module: `grpc-transport.js` next to this module. Worker threads cannot load
 * TypeScript, so when this package runs from its sources (tests) they get the built `dist/` entry.
 */
function transportModule(workers: number): string {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return new URL("./grpc-transport.js", here).href;
  if (workers <= 1) return new URL("./grpc-transport.ts", here).href;
  const built = new URL("../dist/grpc-transport.js", here);
  if (!existsSync(fileURLToPath(built))) {
    fail(`workers > 1 needs the built transport ${fileURLToPath(built)}; build @iter8/grpc first`);
  }
  return built.href;
}

/**
 * Runs gRPC load against one target on the shared load engine of `@iter8/loadgen`: paced (open
 * model) when `qps > 0`, else as fast as `concurrency` allows; after a discarded warm-up and
 * `skipFirst` calls. Resolves with the measurement; when `control.signal` aborts, resolves early
 * with what was measured, marked `aborted`. Throws `GrpcError` for invalid options, a definition
 * that cannot be read or lacks the method, bad messages, or failed reflection.
 */
export async function runGrpcLoad(
  options: GrpcLoadOptions,
  control: GrpcLoadControl = {},
): Promise<GrpcLoadResult> {
  validate(options);
  const authority = parseHost(options.host);
  const baseDir = options.baseDir ?? process.cwd();
  const tlsOptions = options.tls;
  let tls: GrpcTransportOptions["tls"];
  if (tlsOptions) {
    const ca =
      tlsOptions.caFile === undefined
        ? undefined
        : Buffer.from(
            await readSource(tlsOptions.caFile, "tls.caFile", "ITER8_GRPC_OPTIONS", baseDir),
          ).toString("utf8");
    tls = {
      ca,
      servername: tlsOptions.serverName,
      rejectUnauthorized: tlsOptions.skipVerify !== true,
    };
  }
  const origin = `${tls ? "https" : "http"}://${authority}`;
  const method = await loadDefinition(options, baseDir, origin, tls);
  const messages = await planMessages(options, method, baseDir);
  const metadata = await planMetadata(options, baseDir);
  const countErrors = options.countErrors ?? true;
  const workers = options.workers ?? 1;

  const transport: GrpcTransportOptions = {
    origin,
    // As ghz (grpc-go): a TLS server name (cname) is also the calls' :authority.
    authority: tlsOptions?.serverName ?? authority,
    path: method.path,
    kind: method.kind,
    connections: options.connections ?? GRPC_DEFAULTS.connections,
    timeoutMs: options.timeoutMs ?? GRPC_DEFAULTS.timeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? GRPC_DEFAULTS.connectTimeoutMs,
    keepaliveMs: options.keepaliveMs,
    tls,
    messages,
    metadata,
    call: callInfo(method),
    streamIntervalMs: options.streamIntervalMs ?? 0,
    streamCallCount: options.streamCallCount ?? 0,
    streamCallDurationMs: options.streamCallDurationMs ?? 0,
  };
  const numRequests =
    options.numRequests ??
    (options.durationMs === undefined ? GRPC_DEFAULTS.numRequests : undefined);
  const load: LoadOptions = {
    url: `${origin}${method.path}`,
    qps: options.qps,
    connections: options.concurrency,
    numRequests,
    durationMs: options.durationMs,
    timeoutMs: transport.timeoutMs,
    ...warmup(options, numRequests),
    workers,
    pacing: options.pacing,
    // gRPC: OK is 0; with count-errors every other status is an error, else none.
    errorRanges: countErrors ? [{ lower: 1 }] : [],
    transport: { module: transportModule(workers), options: transport },
  };
  if (options.schedule) load.schedule = options.schedule;
  const result = await runLoad(load, control);
  return toGrpcResult(result, method);
}

/** `skipFirst` calls are discarded on top of the warm-up (ghz `skipFirst`). */
function warmup(
  options: GrpcLoadOptions,
  numRequests: number | undefined,
): Pick<LoadOptions, "warmupMs" | "warmupRequests"> {
  const skip = options.skipFirst ?? 0;
  if (skip === 0) return { warmupMs: options.warmupMs };
  // The default warm-up by count (5% of the calls), plus skipFirst; not cut short by time.
  const base =
    options.warmupMs === undefined && numRequests !== undefined
      ? Math.floor(numRequests * 0.05)
      : 0;
  return { warmupRequests: base + skip };
}

function toGrpcResult(result: LoadResult, method: ResolvedMethod): GrpcLoadResult {
  const statusNames: Record<string, number> = {};
  for (const [code, count] of Object.entries(result.statusCodes)) {
    const name = grpcStatusName(Number(code));
    statusNames[name] = (statusNames[name] ?? 0) + count;
  }
  // Calls that got no status (connection refused, reset, ...): ghz reports them as Unavailable.
  const failures = Object.values(result.errorClasses).reduce((a, b) => a + b, 0);
  if (failures > 0) {
    const name = grpcStatusName(GRPC_STATUS.unavailable);
    statusNames[name] = (statusNames[name] ?? 0) + failures;
  }
  const { transportStats, ...load } = result;
  const grpc: GrpcLoadResult = { ...load, kind: method.kind, statusNames };
  if (method.kind !== "unary") {
    const seconds = result.durationMs / 1000;
    const sent = transportStats?.counts[STAT_MESSAGES_SENT] ?? 0;
    const received = transportStats?.counts[STAT_MESSAGES_RECEIVED] ?? 0;
    const streams: GrpcStreamStats = {
      messagesSent: sent,
      messagesReceived: received,
      sentRate: seconds > 0 ? sent / seconds : 0,
      receivedRate: seconds > 0 ? received / seconds : 0,
      firstMessage: transportStats?.histograms[STAT_FIRST_MESSAGE] ?? new LatencyHistogram(),
    };
    grpc.streams = streams;
  }
  return grpc;
}
