import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseExperiment } from "../src/index.js";
import type { GrpcTask, ParseOptions } from "../src/index.js";
import { GRPC_UNIMPLEMENTED_OPTIONS } from "../src/schema/grpc.js";

const dir = join(import.meta.dirname, "fixtures");

function parse(file: string, options: ParseOptions = {}) {
  return parseExperiment(readFileSync(join(dir, file), "utf8"), { filename: file, ...options });
}

function valid(file: string, options: ParseOptions = {}) {
  const result = parse(file, options);
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return result;
}

function validText(text: string) {
  const result = parseExperiment(text);
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
  return result;
}

function grpcTask(result: ReturnType<typeof validText>, index = 0): GrpcTask {
  const task = result.value.tasks[index];
  if (task?.task !== "grpc") throw new Error(`task ${index} is ${task?.task}, not grpc`);
  return task;
}

function issuesOf(text: string) {
  const result = parseExperiment(text);
  return result.ok ? [] : result.issues.map((i) => [i.path, i.message]);
}

const greeter = (extra: string) =>
  `- task: grpc\n  with:\n    host: 127.0.0.1:50051\n    call: helloworld.Greeter.SayHello\n${extra}`;

describe("the grpc task", () => {
  it("reads an Iter8 v0.8.29 experiment: the alias, ghz's options, versionInfo, built-in/grpc-* SLOs", () => {
    const result = valid("grpc/v0.8.29-greeter.yaml");
    const task = grpcTask(result);
    expect(task.with.versionInfo).toEqual([
      {
        host: "127.0.0.1:50051",
        call: "helloworld.Greeter.SayHello",
        protoURL: "http://127.0.0.1:8000/greeter.proto",
        data: { name: "bob" },
        numRequests: 200,
        qps: 0,
        concurrency: 5,
        connections: 1,
        timeoutMs: 10_000,
        connectTimeoutMs: 5_000,
        countErrors: true,
      },
    ]);
    const assess = result.value.tasks[1];
    expect(assess?.task === "assess-app-versions" && assess.with.SLOs.map((s) => s.metric)).toEqual(
      ["grpc/error-rate", "grpc/latency/mean", "grpc/latency/p50.0", "grpc/latency/p97.5"],
    );
    // Iter8 computed any percentile from its samples: the one an SLO names is collected.
    expect(task.with.percentiles).toEqual([50, 75, 90, 95, 97.5, 99, 99.9]);
    expect(result.warnings.map((w) => w.message)).toContain(
      '"built-in/grpc-error-rate" is an Iter8 v0.8.29–v0.8.34 metric name; read as "grpc/error-rate"',
    );
  });

  it("reads the v0.8.29 fixture with call on the task and host per version", () => {
    const task = grpcTask(valid("iter8-v0.8.29/grpc-task.yaml"));
    expect(task.with.versionInfo).toMatchObject([
      { host: "127.0.0.1:50051", call: "pkg.Service.Method", numRequests: 10 },
    ]);
  });

  it("reads an Iter8 v0.11 grpc task with host and call on the task (one version)", () => {
    const task = grpcTask(valid("iter8-v0.11/grpc.yaml"));
    expect(task.with.versionInfo).toEqual([
      {
        host: "127.0.0.1:50051",
        call: "pkg.Service.Method",
        numRequests: 200,
        qps: 0,
        concurrency: 50,
        connections: 1,
        countErrors: true,
      },
    ]);
  });

  it("refuses the misspelt key Go ignored (connect-timeeout), naming connect-timeout", () => {
    const result = parse("grpc/v0.11-greeter-typo.yaml");
    expect(result.ok ? [] : result.issues.map((i) => [i.path, i.message])).toEqual([
      [
        "spec[0].with.connect-timeeout",
        'unknown key "connect-timeeout"; did you mean "connect-timeout"? (Iter8 silently ignored it; --lenient ignores it with a warning)',
      ],
    ]);
  });

  it("with --lenient, ignores it with a warning and reads the SLOs with p50 as p50.0", () => {
    const result = valid("grpc/v0.11-greeter-typo.yaml", { lenient: true });
    expect(result.warnings.map((w) => w.message)).toContain(
      'unknown key "connect-timeeout" ignored (--lenient), as Iter8 ignored it; did you mean "connect-timeout"?',
    );
    const assess = result.value.tasks[1];
    expect(assess?.task === "assess-app-versions" && assess.with.SLOs).toEqual([
      { metric: "grpc/error-rate", upperLimit: 0 },
      { metric: "grpc/latency/p50.0", upperLimit: 100 },
      { metric: "grpc/latency/p95.0", upperLimit: 250 },
    ]);
  });

  it("reads every implemented option into the target (times in ms, TLS, ramp, streams)", () => {
    const task = grpcTask(valid("grpc/every-option.yaml"));
    expect(task.with.percentiles).toEqual([50, 99]);
    expect(task.with.versionInfo).toEqual([
      {
        host: "127.0.0.1:50051",
        call: "helloworld.Greeter/SayHelloBidi",
        proto: "protos/greeter.proto",
        importPaths: ["protos", "vendor/protos"],
        data: [{ name: "user-{{.RequestNumber}}" }, { name: "bob" }],
        metadata: { "x-request-id": "{{.RequestNumber}}", tenant: "7" },
        durationMs: 30_000,
        qps: 50,
        schedule: {
          kind: "step",
          start: 50,
          step: 25,
          end: 200,
          stepDurationMs: 5_000,
          maxDurationMs: 60_000,
        },
        concurrency: 8,
        connections: 2,
        timeoutMs: 2_000,
        connectTimeoutMs: 3_000,
        keepaliveMs: 30_000,
        tls: { caFile: "certs/ca.pem", serverName: "greeter.example.com" },
        skipFirst: 10,
        countErrors: false,
        streamIntervalMs: 10,
        streamCallDurationMs: 1_000,
        streamCallCount: 20,
        warmupMs: 1_000,
        workers: 2,
        pacing: "timer",
      },
    ]);
  });

  it("reads v0.13 endpoints: each merged over the task's settings, metadata merged", () => {
    const result = valid("grpc/endpoints.yaml");
    const task = grpcTask(result);
    expect(task.with.versionInfo).toEqual([]);
    expect(Object.keys(task.with.endpoints ?? {})).toEqual(["hello", "hellos"]);
    expect(task.with.endpoints).toMatchObject({
      hello: {
        host: "127.0.0.1:50051",
        call: "helloworld.Greeter.SayHello",
        data: { name: "bob" },
        metadata: { tenant: "a" },
        numRequests: 50,
        qps: 0,
      },
      hellos: {
        call: "helloworld.Greeter.SayHellos",
        metadata: { tenant: "a", trace: "on" },
        numRequests: 10,
        qps: 20,
      },
    });
    expect(task.with.percentiles).toContain(99);
    expect(result.warnings).toEqual([]);
  });

  it("reads a line ramp without load-end (it changes for load-max-duration, then holds)", () => {
    const task = grpcTask(
      validText(
        greeter(
          "    load-schedule: line\n    load-start: 10\n    load-step: 5\n    load-max-duration: 10s\n",
        ),
      ),
    );
    expect(task.with.versionInfo[0]?.schedule).toEqual({
      kind: "line",
      start: 10,
      step: 5,
      maxDurationMs: 10_000,
    });
  });

  it("insecure: false asks for TLS with Node's CA store; skipTLS skips verification", () => {
    expect(grpcTask(validText(greeter("    insecure: false\n"))).with.versionInfo[0]?.tls).toEqual(
      {},
    );
    expect(grpcTask(validText(greeter("    skipTLS: true\n"))).with.versionInfo[0]?.tls).toEqual({
      skipVerify: true,
    });
    expect(grpcTask(validText(greeter("    insecure: true\n"))).with.versionInfo[0]?.tls).toBe(
      undefined,
    );
  });

  it("reads v0.8.29's JSONDataURL as dataURL and ghz's file names as paths", () => {
    const result = validText(
      greeter("    JSONDataURL: http://127.0.0.1:8000/data.json\n    metadata-file: md.json\n"),
    );
    expect(grpcTask(result).with.versionInfo[0]).toMatchObject({
      dataURL: "http://127.0.0.1:8000/data.json",
      metadataURL: "md.json",
    });
    expect(result.warnings.map((w) => w.message)).toEqual([
      "JSONDataURL (Iter8 v0.8.29–v0.10) is read as dataURL",
    ]);
  });

  it("warns that total is ignored when duration is set, as ghz did", () => {
    const result = validText(greeter("    total: 10\n    duration: 5s\n"));
    expect(grpcTask(result).with.versionInfo[0]).toMatchObject({ durationMs: 5_000 });
    expect(grpcTask(result).with.versionInfo[0]).not.toHaveProperty("numRequests");
    expect(result.warnings.map((w) => [w.path, w.message])).toEqual([
      ["[0].with.total", "total is ignored because duration is set (as ghz did)"],
    ]);
  });

  it.each(Object.keys(GRPC_UNIMPLEMENTED_OPTIONS))(
    "refuses the ghz option %s, naming it as not implemented",
    (option) => {
      const issues = issuesOf(greeter(`    ${option}: x\n`));
      expect(issues).toHaveLength(1);
      expect(issues[0]?.[0]).toBe(`[0].with.${option}`);
      expect(issues[0]?.[1]).toContain(option);
      expect(issues[0]?.[1]).toContain("not implemented");
    },
  );

  it("says cert and key are not implemented and what TLS is", () => {
    expect(issuesOf(greeter("    cert: client.pem\n"))).toEqual([
      [
        "[0].with.cert",
        "cert (client certificate for mutual TLS) is not implemented: iter8's grpc task supports TLS with a CA file (cacert), cname and skipTLS, not client certificates",
      ],
    ]);
  });

  it.each([
    [
      "- task: grpc\n  with:\n    call: a.B.C\n",
      "[0].with",
      'missing host (or give versionInfo, one entry per version), e.g. host: "127.0.0.1:50051"',
    ],
    [
      "- task: grpc\n  with:\n    host: h:1\n    versionInfo:\n    - host: h:2\n",
      "[0].with.versionInfo[0]",
      "missing call for this version (set it here or on the task), e.g. call: helloworld.Greeter.SayHello",
    ],
    [
      greeter(
        "    rps: 10\n    load-schedule: line\n    load-start: 1\n    load-step: 1\n    load-end: 5\n",
      ),
      "[0].with.rps",
      "rps applies to load-schedule: const; a line ramp sets its rates with load-start, load-step and load-end",
    ],
    [
      greeter("    load-start: 5\n"),
      "[0].with.load-start",
      "load-start applies only to a ramp: set load-schedule: step or line",
    ],
    [
      greeter("    load-schedule: step\n    load-start: 5\n    load-step: 5\n    load-end: 50\n"),
      "[0].with",
      "load-schedule: step needs load-step-duration (the time between steps)",
    ],
    [
      greeter("    load-schedule: line\n    load-start: 5\n    load-step: -1\n"),
      "[0].with.load-step",
      "a ramp down (load-step < 0) needs load-end or load-max-duration, or its rate would reach 0",
    ],
    [
      greeter("    load-schedule: line\n    load-start: 5\n    load-step: 0\n    load-end: 9\n"),
      "[0].with.load-step",
      "load-step must not be 0",
    ],
    [
      greeter("    insecure: true\n    cacert: ca.pem\n"),
      "[0].with.insecure",
      "insecure: true means plaintext, but cacert ask for TLS; remove insecure to use TLS",
    ],
    [
      greeter("    proto: a.proto\n    protoset: a.protoset\n"),
      "[0].with.protoset",
      "set only one of proto, protoURL, protoset, protosetURL (found proto and protoset)",
    ],
    [
      greeter("    data: {name: a}\n    binaryData: AAEC\n"),
      "[0].with.binaryData",
      "set only one of data, dataURL, data-file, binaryData, binaryDataURL, binary-file (found data and binaryData)",
    ],
    [
      greeter("    data: bob\n"),
      "[0].with.data",
      'data must be a message (a mapping) or a non-empty list of messages, got the text "bob"',
    ],
    [
      "- task: grpc\n  with:\n    host: http://127.0.0.1:50051\n    call: a.B.C\n",
      "[0].with.host",
      'host "http://127.0.0.1:50051" is host:port without a scheme, e.g. "127.0.0.1:50051"',
    ],
    [
      "- task: grpc\n  with:\n    host: h:1\n    call: SayHello\n",
      "[0].with.call",
      'call the text "SayHello" is not a method name; write package.Service.Method or package.Service/Method, e.g. "helloworld.Greeter.SayHello"',
    ],
    [
      greeter("    timeout: 10\n"),
      "[0].with.timeout",
      'invalid duration 10: missing a unit (ns, us, ms, s, m or h), e.g. "10s"',
    ],
    [
      "- task: grpc\n  with:\n    host: h:1\n    call: a.B.C\n    versionInfo: [{host: h:2}]\n    endpoints: {a: {}}\n",
      "[0].with.endpoints",
      "set versionInfo (one entry per version) or endpoints (named endpoints of one version), not both",
    ],
  ])("refuses bad input with one line naming the key (%#)", (text, path, message) => {
    expect(issuesOf(text)).toContainEqual([path, message]);
  });

  it("warns when an SLO names a grpc metric no earlier grpc task produces", () => {
    const result = parseExperiment(
      "- task: assess-app-versions\n  with:\n    SLOs:\n    - metric: grpc/error-rate\n      upperLimit: 0\n",
    );
    expect(result.warnings.map((w) => w.message)).toContain(
      "no grpc task without endpoints runs before this one, so grpc/error-rate will have no value",
    );
  });
});
