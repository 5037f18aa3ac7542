import { z } from "zod";
import { describeValue } from "../describe-value.js";
import { SPEC_LIMITS } from "../limits.js";
import { explainBadLoadSchedule } from "../load-schedule.js";
import type { LoadSchedule } from "../load-schedule.js";
import type { GrpcInputs, GrpcTarget, GrpcTask, GrpcTlsInputs } from "../model.js";
import { TASK_NAMES } from "../model.js";
import { compact, condition, duration, httpUrl, named, taskName, withCondition } from "./common.js";
import { percentiles } from "./load.js";

/** Defaults of the `grpc` task: ghz's (`total` 200, `concurrency` 50, one connection, no rate limit). */
const DEFAULT_GRPC: {
  readonly total: number;
  readonly concurrency: number;
  readonly connections: number;
  readonly rps: number;
} = Object.freeze({ total: 200, concurrency: 50, connections: 1, rps: 0 });

/**
 * ghz options iter8's `grpc` task does not implement, with what each does in ghz. Each one is
 * refused with a message naming it (Iter8 passed them to ghz; iter8 cannot honour them yet).
 */
export const GRPC_UNIMPLEMENTED_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  cert: "client certificate for mutual TLS",
  key: "client private key for mutual TLS",
  authority: "the :authority header",
  async: "asynchronous requests",
  "concurrency-schedule": "a concurrency ramp",
  "concurrency-start": "a concurrency ramp",
  "concurrency-end": "a concurrency ramp",
  "concurrency-step": "a concurrency ramp",
  "concurrency-step-duration": "a concurrency ramp",
  "concurrency-max-duration": "a concurrency ramp",
  "duration-stop": "what happens to calls in flight at the end of duration",
  "max-duration": "a cap on the run's duration",
  "stream-dynamic-messages": "re-rendering templates per stream message",
  "reflect-metadata": "metadata for reflection calls",
  "enable-compression": "gzip compression of messages",
  "lb-strategy": "the client's load-balancing strategy",
  "max-recv-message-size": "the largest message received",
  "max-send-message-size": "the largest message sent",
  "disable-template-functions": "turning off template functions",
  "disable-template-data": "turning off template data",
  output: "ghz's report file",
  format: "ghz's report format",
  cpus: "the number of CPUs ghz uses",
  name: "the name of ghz's report",
  tags: "tags of ghz's report",
  debug: "ghz's debug log",
});

function notImplemented(key: string, what: string) {
  return z
    .never({
      error: () =>
        key === "cert" || key === "key"
          ? `${key} (${what}) is not implemented: iter8's grpc task supports TLS with a CA file (cacert), cname and skipTLS, not client certificates`
          : `the ghz option ${key} (${what}) is not implemented by iter8's grpc task; remove it`,
    })
    .optional()
    .describe(`Not implemented (ghz: ${what})`);
}

const CALL_PATTERN = /^[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*[./][A-Za-z_][\w]*$/u;

const host = z
  .string()
  .min(1)
  .refine((text) => !/^[a-z][a-z0-9+.-]*:\/\//iu.test(text), {
    error: (issue) =>
      `host ${JSON.stringify(issue.input)} is host:port without a scheme, e.g. "127.0.0.1:50051"`,
  })
  .refine((text) => !/\s/u.test(text), {
    error: (issue) => `host ${JSON.stringify(issue.input)} contains white space`,
  })
  .describe("gRPC server as host:port, e.g. 127.0.0.1:50051");

const call = z
  .string()
  .regex(CALL_PATTERN, {
    error: (issue) =>
      `call ${describeValue(issue.input)} is not a method name; write package.Service.Method or package.Service/Method, e.g. "helloworld.Greeter.SayHello"`,
  })
  .describe("Method to call: package.Service.Method or package.Service/Method");

const metadata = named(
  "GrpcMetadata",
  z
    .record(
      z.string().regex(/^[0-9a-z_.-]+$/u, {
        error: (issue) =>
          `metadata key ${JSON.stringify(issue.input)} is not valid: gRPC metadata keys are lower-case letters, digits, '-', '_' and '.'`,
      }),
      z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v)),
    )
    .describe("Request metadata (gRPC headers), key: value; values may hold ghz templates"),
);

const fileOrUrl = (what: string) =>
  z.string().min(1).describe(`${what}: a path relative to the experiment, or an http(s) URL`);

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/u, {
  error: (issue) =>
    `binaryData must be base64 (as Go writes []byte), got ${describeValue(issue.input)}`,
});

const positiveDuration = (name: string, description: string) =>
  duration(description).refine((ms) => ms > 0, { error: `${name} must be longer than 0` });

const count = (what: string) => z.int().min(1).describe(what);

const rate = (name: string) =>
  z
    .number()
    .min(0, { error: `${name} cannot be negative` })
    .max(SPEC_LIMITS.maxQps, {
      error: (issue) =>
        `${name} ${describeValue(issue.input)} is too high: at most ${SPEC_LIMITS.maxQps} per version`,
    });

/** The ghz settings a task, a version or an endpoint may carry (every key optional). */
const settingsShape = {
  host: host.optional(),
  call: call.optional(),
  proto: z
    .string()
    .min(1)
    .optional()
    .describe("Path of the .proto file, relative to the experiment"),
  protoURL: httpUrl.optional().describe("http(s) URL of the .proto file"),
  protoset: fileOrUrl("Compiled FileDescriptorSet (protoc -o)").optional(),
  protosetURL: httpUrl
    .optional()
    .describe("http(s) URL of a compiled FileDescriptorSet (Iter8's name)"),
  importPaths: z
    .array(z.string().min(1))
    .optional()
    .describe("Directories searched for the proto's imports, relative to the experiment"),
  "import-paths": z.array(z.string().min(1)).optional().describe("ghz's name of importPaths"),
  data: z
    .union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown())).min(1)], {
      error: (issue) =>
        `data must be a message (a mapping) or a non-empty list of messages, got ${describeValue(issue.input)}`,
    })
    .optional()
    .describe(
      "Request message as protobuf JSON, or a list of messages (a stream sends them in order); strings may hold ghz templates such as {{.RequestNumber}}",
    ),
  dataURL: fileOrUrl("JSON file holding data").optional(),
  "data-file": z.string().min(1).optional().describe("ghz's name of dataURL (a path)"),
  binaryData: z
    .union([base64, z.array(base64).min(1)])
    .optional()
    .describe("Binary-encoded request message(s), base64"),
  binaryDataURL: fileOrUrl("Binary-encoded request message").optional(),
  "binary-file": z.string().min(1).optional().describe("ghz's name of binaryDataURL (a path)"),
  metadata: metadata.optional(),
  metadataURL: fileOrUrl("JSON object of metadata").optional(),
  "metadata-file": z.string().min(1).optional().describe("ghz's name of metadataURL (a path)"),
  total: count("Number of calls per version; default 200 unless duration is set").optional(),
  rps: rate("rps")
    .optional()
    .describe("Calls per second per version; 0 (default) sends as fast as concurrency allows"),
  concurrency: z
    .int()
    .min(1)
    .max(SPEC_LIMITS.maxConnections, {
      error: (issue) =>
        `concurrency ${describeValue(issue.input)} is too many: at most ${SPEC_LIMITS.maxConnections} per version`,
    })
    .optional()
    .describe(`Calls in flight at most per version; default ${DEFAULT_GRPC.concurrency}`),
  connections: z
    .int()
    .min(1)
    .max(SPEC_LIMITS.maxConnections, {
      error: (issue) =>
        `connections ${describeValue(issue.input)} is too many: at most ${SPEC_LIMITS.maxConnections} per version`,
    })
    .optional()
    .describe("Separate HTTP/2 connections the calls are spread over; default 1"),
  duration: positiveDuration(
    "duration",
    "How long to call each version; total is ignored when set",
  ).optional(),
  timeout: positiveDuration("timeout", "Per-call deadline; default 20s").optional(),
  "connect-timeout": positiveDuration(
    "connect-timeout",
    "Connection timeout; default 10s",
  ).optional(),
  keepalive: positiveDuration("keepalive", "HTTP/2 keepalive ping interval").optional(),
  insecure: z
    .boolean()
    .optional()
    .describe("Plaintext (h2c), the default; false uses TLS with Node's CA store"),
  cacert: z
    .string()
    .min(1)
    .optional()
    .describe("PEM file of the CA that signed the server's certificate (TLS)"),
  cname: z.string().min(1).optional().describe("Server name for TLS verification and SNI"),
  skipTLS: z.boolean().optional().describe("TLS without verifying the server's certificate"),
  skipFirst: z.int().min(0).optional().describe("Calls sent and discarded before measuring"),
  "count-errors": z
    .boolean()
    .optional()
    .describe(
      "Count non-OK statuses as errors (default true); false counts only transport failures",
    ),
  "stream-interval": duration("Streams: time between messages sent").optional(),
  "stream-call-duration": positiveDuration(
    "stream-call-duration",
    "Streams: the client ends each stream after this long",
  ).optional(),
  "stream-call-count": count(
    "Streams: the client ends each stream after this many messages",
  ).optional(),
  "load-schedule": z
    .enum(["const", "step", "line"])
    .optional()
    .describe("Rate schedule: const (rps), step or line (a ramp from load-start)"),
  "load-start": rate("load-start")
    .refine((r) => r > 0, { error: "load-start must be above 0" })
    .optional()
    .describe("Ramp: starting rate, calls per second"),
  "load-end": rate("load-end")
    .refine((r) => r > 0, { error: "load-end must be above 0" })
    .optional()
    .describe("Ramp: final rate, held to the end"),
  "load-step": z
    .number()
    .optional()
    .describe("Ramp: rate change per step (step) or per second (line)"),
  "load-step-duration": positiveDuration(
    "load-step-duration",
    "Ramp (step): time between steps",
  ).optional(),
  "load-max-duration": positiveDuration(
    "load-max-duration",
    "Ramp: longest time the rate changes",
  ).optional(),
  warmup: duration("Warm-up before measuring, discarded; Go syntax: 1s").optional(),
  workers: z
    .int()
    .min(1)
    .max(SPEC_LIMITS.maxWorkers, {
      error: (issue) =>
        `workers ${describeValue(issue.input)} is too many: at most ${SPEC_LIMITS.maxWorkers} per version`,
    })
    .optional()
    .describe("Worker threads sharing the load of one version"),
  pacing: z
    .enum(["precise", "timer"])
    .optional()
    .describe("How paced calls are timed: precise (default) or timer, as for HTTP"),
  ...Object.fromEntries(
    Object.entries(GRPC_UNIMPLEMENTED_OPTIONS).map(([key, what]) => [
      key,
      notImplemented(key, what),
    ]),
  ),
};

const settings = z.strictObject(settingsShape);
type Settings = z.output<typeof settings>;

const versionEntry = named(
  "GrpcVersionInfo",
  z
    .strictObject({
      host: host.optional(),
      call: call.optional(),
      metadata: metadata.optional(),
    })
    .nullable()
    .describe("This version's host, call and metadata (over the task's), or null to skip it"),
);

const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/u;

const endpoints = z
  .record(
    z.string().regex(ENDPOINT_NAME, {
      error: (issue) =>
        `endpoint name ${JSON.stringify(issue.input)} must be letters, digits, '_', '.' and '-' (it names metrics grpc-<name>/...)`,
    }),
    named("GrpcEndpoint", settings.describe("Settings of one endpoint, over the task's")),
  )
  .refine((map) => Object.keys(map).length > 0, {
    error: "endpoints must name at least one endpoint",
  })
  .describe("Iter8 v0.13+: named endpoints of one version, each recorded as grpc-<name>/...");

type Written = Settings & {
  versionInfo?: Array<{ host?: string; call?: string; metadata?: Record<string, string> } | null>;
  endpoints?: Record<string, Settings>;
  percentiles: number[];
};

const PAIRS_OF_ONE: ReadonlyArray<readonly string[]> = [
  ["proto", "protoURL", "protoset", "protosetURL"],
  ["data", "dataURL", "data-file", "binaryData", "binaryDataURL", "binary-file"],
  ["metadataURL", "metadata-file"],
  ["importPaths", "import-paths"],
];

// Problems within one set of settings (the task's, or an endpoint's merged over the task's).
function checkSettings(s: Settings, own: Settings, ctx: z.RefinementCtx, at: PropertyKey[]): void {
  for (const group of PAIRS_OF_ONE) {
    const set = group.filter((k) => own[k as keyof Settings] !== undefined);
    if (set.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [...at, set[1] ?? group[0] ?? ""],
        message: `set only one of ${group.join(", ")} (found ${set.join(" and ")})`,
      });
    }
  }
  if (own.metadata !== undefined && own.metadataURL !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: [...at, "metadataURL"],
      message: "set metadata or metadataURL, not both",
    });
  }
  const tlsKeys = (["cacert", "cname", "skipTLS"] as const).filter((k) => s[k] !== undefined);
  if (s.insecure === true && tlsKeys.length > 0) {
    ctx.addIssue({
      code: "custom",
      path: [...at, "insecure"],
      message: `insecure: true means plaintext, but ${tlsKeys.join(" and ")} ask for TLS; remove insecure to use TLS`,
    });
  }
  const schedule = s["load-schedule"] ?? "const";
  const rampKeys = (
    ["load-start", "load-end", "load-step", "load-step-duration", "load-max-duration"] as const
  ).filter((k) => own[k] !== undefined);
  if (schedule === "const") {
    for (const key of rampKeys) {
      ctx.addIssue({
        code: "custom",
        path: [...at, key],
        message: `${key} applies only to a ramp: set load-schedule: step or line`,
      });
    }
    return;
  }
  const need = (key: keyof Settings, why: string) => {
    if (s[key] === undefined) {
      ctx.addIssue({
        code: "custom",
        path: at,
        message: `load-schedule: ${schedule} needs ${String(key)} (${why})`,
      });
    }
  };
  need("load-start", "the starting rate");
  need("load-step", "the rate change");
  if (schedule === "step") need("load-step-duration", "the time between steps");
  if (s.rps !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: [...at, "rps"],
      message: `rps applies to load-schedule: const; a ${schedule} ramp sets its rates with load-start, load-step and load-end`,
    });
  }
  const ramp = scheduleOf(s).schedule;
  if (ramp?.kind !== "step" && ramp?.kind !== "line") return;
  const bad = explainBadLoadSchedule(ramp, {
    start: "load-start",
    step: "load-step",
    stepDurationMs: "load-step-duration",
    end: "load-end",
    maxDurationMs: "load-max-duration",
  });
  if (bad) ctx.addIssue({ code: "custom", path: [...at, bad.key], message: bad.message });
}

// The ramp of load-schedule step or line (undefined for const, or when a needed key is missing);
// under a ramp the rate it starts at stands in for rps, which loadgen does not use then.
function scheduleOf(s: Settings): { schedule?: LoadSchedule; qps: number } {
  const kind = s["load-schedule"];
  const start = s["load-start"];
  const step = s["load-step"];
  if ((kind !== "step" && kind !== "line") || start === undefined || step === undefined) {
    return { qps: s.rps ?? DEFAULT_GRPC.rps };
  }
  const bounds: { end?: number; maxDurationMs?: number } = {};
  if (s["load-end"] !== undefined) bounds.end = s["load-end"];
  if (s["load-max-duration"] !== undefined) bounds.maxDurationMs = s["load-max-duration"];
  const every = s["load-step-duration"];
  if (kind === "step" && every === undefined) return { qps: start };
  const schedule: LoadSchedule =
    kind === "step"
      ? { kind, start, step, stepDurationMs: every ?? 0, ...bounds }
      : { kind, start, step, ...bounds };
  return { schedule, qps: start };
}

function tlsOf(s: Settings): GrpcTlsInputs | undefined {
  if (s.insecure !== false && s.cacert === undefined && s.cname === undefined && !s.skipTLS) {
    return undefined;
  }
  return compact({ caFile: s.cacert, serverName: s.cname, skipVerify: s.skipTLS });
}

// One target: the task's settings with an endpoint's (or a version's host, call and metadata) over them.
function toTarget(s: Settings): GrpcTarget {
  const { schedule, qps } = scheduleOf(s);
  const binary = s.binaryData;
  const target: GrpcTarget = {
    host: s.host ?? "",
    call: s.call ?? "",
    qps,
    concurrency: s.concurrency ?? DEFAULT_GRPC.concurrency,
    connections: s.connections ?? DEFAULT_GRPC.connections,
    countErrors: s["count-errors"] ?? true,
  };
  if (s.duration !== undefined) target.durationMs = s.duration;
  else target.numRequests = s.total ?? DEFAULT_GRPC.total;
  return compact({
    ...target,
    proto: s.proto,
    protoURL: s.protoURL,
    protoset: s.protoset ?? s.protosetURL,
    importPaths: s.importPaths ?? s["import-paths"],
    data: s.data,
    dataURL: s.dataURL ?? s["data-file"],
    binaryData: binary === undefined ? undefined : Array.isArray(binary) ? binary : [binary],
    binaryDataURL: s.binaryDataURL ?? s["binary-file"],
    metadata: s.metadata,
    metadataURL: s.metadataURL ?? s["metadata-file"],
    schedule,
    timeoutMs: s.timeout,
    connectTimeoutMs: s["connect-timeout"],
    keepaliveMs: s.keepalive,
    tls: tlsOf(s),
    skipFirst: s.skipFirst,
    streamIntervalMs: s["stream-interval"],
    streamCallDurationMs: s["stream-call-duration"],
    streamCallCount: s["stream-call-count"],
    warmupMs: s.warmup,
    workers: s.workers,
    pacing: s.pacing,
  });
}

function withoutUndefined(s: Settings): Settings {
  return compact(s);
}

function merged(top: Settings, over: Settings): Settings {
  const out = { ...withoutUndefined(top), ...withoutUndefined(over) };
  // A ramp or a fixed rate written on the endpoint replaces the task's.
  if (over["load-schedule"] !== undefined || over.rps !== undefined) {
    if (over["load-schedule"] === undefined) delete out["load-schedule"];
    if (over.rps === undefined) delete out.rps;
  }
  if (over.data !== undefined || over.dataURL !== undefined || over.binaryData !== undefined) {
    for (const k of [
      "data",
      "dataURL",
      "data-file",
      "binaryData",
      "binaryDataURL",
      "binary-file",
    ]) {
      if (over[k as keyof Settings] === undefined) delete out[k as keyof Settings];
    }
  }
  if (over.metadata !== undefined && top.metadata !== undefined) {
    out.metadata = { ...top.metadata, ...over.metadata };
  }
  return out;
}

function checkGrpcInputs(w: Written, ctx: z.RefinementCtx): void {
  checkSettings(w, w, ctx, []);
  if (w.versionInfo !== undefined && w.endpoints !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["endpoints"],
      message:
        "set versionInfo (one entry per version) or endpoints (named endpoints of one version), not both",
    });
    return;
  }
  const needHostAndCall = (
    s: { host?: string; call?: string },
    at: PropertyKey[],
    where: string,
  ) => {
    for (const key of ["host", "call"] as const) {
      if (s[key] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: at,
          message:
            key === "host"
              ? `missing host ${where}, e.g. host: "127.0.0.1:50051"`
              : `missing call ${where}, e.g. call: helloworld.Greeter.SayHello`,
        });
      }
    }
  };
  if (w.endpoints !== undefined) {
    for (const [name, own] of Object.entries(w.endpoints)) {
      const s = merged(w, own);
      checkSettings(s, own, ctx, ["endpoints", name]);
      needHostAndCall(
        s,
        ["endpoints", name],
        `for endpoint ${name} (set it on the endpoint or the task)`,
      );
    }
  } else if (w.versionInfo !== undefined) {
    w.versionInfo.forEach((entry, index) => {
      if (entry === null) return;
      needHostAndCall(
        { host: entry.host ?? w.host, call: entry.call ?? w.call },
        ["versionInfo", index],
        "for this version (set it here or on the task)",
      );
    });
  } else {
    needHostAndCall(w, [], "(or give versionInfo, one entry per version)");
  }
}

function toGrpcInputs(w: Written): GrpcInputs {
  const inputs: GrpcInputs = { percentiles: w.percentiles, versionInfo: [] };
  if (w.endpoints !== undefined) {
    inputs.endpoints = Object.fromEntries(
      Object.entries(w.endpoints).map(([name, own]) => [name, toTarget(merged(w, own))]),
    );
    return inputs;
  }
  const versions = w.versionInfo ?? [{}];
  inputs.versionInfo = versions.map((entry) =>
    entry === null
      ? null
      : toTarget(
          merged(w, {
            ...(entry.host !== undefined ? { host: entry.host } : {}),
            ...(entry.call !== undefined ? { call: entry.call } : {}),
            ...(entry.metadata !== undefined ? { metadata: entry.metadata } : {}),
          }),
        ),
  );
  return inputs;
}

/** Inputs of the `grpc` task as written: ghz's options as Iter8 passed them, with versionInfo or endpoints. */
export const grpcInputsSchema = named(
  "GrpcInputs",
  z
    .strictObject({
      ...settingsShape,
      versionInfo: z
        .array(versionEntry)
        .min(1, { error: "versionInfo must list at least one version" })
        .refine((list) => list.some((e) => e !== null), {
          error: "every versionInfo entry is null; at least one version needs a host and call",
        })
        .optional()
        .describe(
          "One entry per version: {host?, call?, metadata?} over the task's, or null to skip it",
        ),
      endpoints: endpoints.optional(),
      percentiles: percentiles.describe(
        "Latency percentiles recorded as grpc/latency/pX; default 50, 75, 90, 95, 99, 99.9 (plus any an SLO names)",
      ),
    })
    .superRefine((w, ctx) => checkGrpcInputs(w as Written, ctx))
    .transform((w): GrpcInputs => toGrpcInputs(w as Written)),
);

function grpcTask(name: string, description: string, id: string) {
  return named(
    id,
    z
      .strictObject({
        task: taskName(name, description),
        if: condition.optional(),
        with: grpcInputsSchema,
      })
      .transform((t): GrpcTask => withCondition({ task: TASK_NAMES.grpc, with: t.with }, t.if)),
  );
}

/** `grpc`: call each version's gRPC method with ghz's inputs and collect `grpc/...` metrics. */
export const grpcTaskSchema = grpcTask(
  TASK_NAMES.grpc,
  "Call each version's gRPC method (unary or streaming) and collect grpc/... metrics",
  "GrpcTask",
);

/** `gen-load-and-collect-metrics-grpc` (Iter8 v0.8.29–v0.10 name of `grpc`). */
export const grpcAliasTaskSchema = grpcTask(
  "gen-load-and-collect-metrics-grpc",
  "Alias of grpc (Iter8 v0.8.29–v0.10)",
  "GrpcAliasTask",
);
