// The demo app's gRPC server, with a real grpc-js client on 127.0.0.1: the four Greeter methods,
// metadata, server reflection, health, and injected errors and latency.
import type { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { protoPath as HEALTH_PROTO_PATH } from "grpc-health-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  DemoAppListenError,
  GREETER_PROTO_PATH,
  GREETER_STREAM_REPLIES,
  startDemoApp,
  startGreeterServer,
} from "../src/index.js";
import type { DemoApp, GreeterCall, GreeterServer, GreeterServerOptions } from "../src/index.js";

const LOADER_OPTIONS = { keepCase: true, defaults: true, enums: String } as const;
const require = createRequire(import.meta.url);
const REFLECTION_PROTO = join(
  dirname(require.resolve("@grpc/reflection")),
  "..",
  "proto",
  "grpc",
  "reflection",
);

interface HelloReply {
  message: string;
}
type Callback<T> = (error: grpc.ServiceError | null, value?: T) => void;
/** The client stubs this file calls, typed as grpc-js makes them. */
interface GreeterClient extends grpc.Client {
  SayHello(
    request: { name: string },
    metadata: grpc.Metadata,
    callback: Callback<HelloReply>,
  ): grpc.ClientUnaryCall;
  SayHelloCS(
    metadata: grpc.Metadata,
    callback: Callback<HelloReply>,
  ): grpc.ClientWritableStream<{
    name: string;
  }>;
  SayHellos(
    request: { name: string },
    metadata: grpc.Metadata,
  ): grpc.ClientReadableStream<HelloReply>;
  SayHelloBidi(metadata: grpc.Metadata): grpc.ClientDuplexStream<{ name: string }, HelloReply>;
}
type ClientConstructor<T> = new (address: string, credentials: grpc.ChannelCredentials) => T;

function stub<T extends grpc.Client>(protoPath: string, service: string, address: string): T {
  const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(protoPath, LOADER_OPTIONS));
  let node: unknown = loaded;
  for (const part of service.split(".")) node = (node as Record<string, unknown>)[part];
  const client = new (node as ClientConstructor<T>)(address, grpc.credentials.createInsecure());
  clients.push(client);
  return client;
}

const clients: grpc.Client[] = [];
const servers: { close: () => Promise<void> }[] = [];

async function start(options: GreeterServerOptions = {}): Promise<GreeterServer> {
  const server = await startGreeterServer({ port: 0, ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function greeter(address: string): GreeterClient {
  return stub<GreeterClient>(GREETER_PROTO_PATH, "helloworld.Greeter", address);
}

function metadata(entries: Record<string, string>): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [key, value] of Object.entries(entries)) md.set(key, value);
  return md;
}

interface Outcome {
  code: number;
  details: string;
  headers: Record<string, string[]>;
  replies: string[];
}

function toRecord(md: grpc.Metadata): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries<grpc.MetadataValue[]>(md.toJSON())) {
    out[key] = values.map(String);
  }
  return out;
}

/** Runs one call of any kind to its end and returns its status, reply headers and replies. */
function collect(call: EventEmitter, unary?: { replies: string[] }): Promise<Outcome> {
  return new Promise((resolve) => {
    const replies = unary?.replies ?? [];
    let headers: Record<string, string[]> = {};
    call.on("metadata", (md: grpc.Metadata) => (headers = toRecord(md)));
    call.on("data", (reply: HelloReply) => replies.push(reply.message));
    call.on("error", () => undefined);
    call.on("status", (status: grpc.StatusObject) => {
      // A unary callback runs after its status event: let it record the reply first.
      setImmediate(() => resolve({ code: status.code, details: status.details, headers, replies }));
    });
  });
}

function sayHello(client: GreeterClient, name: string, md = new grpc.Metadata()): Promise<Outcome> {
  const unary = { replies: [] as string[] };
  const call = client.SayHello({ name }, md, (_error, reply) => {
    if (reply) unary.replies.push(reply.message);
  });
  return collect(call, unary);
}

describe("the demo app's gRPC Greeter", () => {
  it("SayHello answers Hello <name>, echoes the request metadata and labels the version", async () => {
    const calls: GreeterCall[] = [];
    const server = await start({ version: "v7", onCall: (call) => calls.push(call) });
    const outcome = await sayHello(greeter(server.address), "ann", metadata({ token: "t-1" }));
    expect(outcome.code).toBe(grpc.status.OK);
    expect(outcome.replies).toEqual(["Hello ann"]);
    expect(outcome.headers["x-demo-app-version"]).toEqual(["v7"]);
    expect(outcome.headers.token).toEqual(["t-1"]);
    expect(calls).toEqual([
      expect.objectContaining({ method: "SayHello", names: ["ann"], code: 0 }),
    ]);
    expect(calls[0]?.metadata.token).toEqual(["t-1"]);
  });

  it("SayHelloCS answers once after the stream ends, with the count of names (as ghz's server)", async () => {
    const calls: GreeterCall[] = [];
    const server = await start({ onCall: (call) => calls.push(call) });
    const unary = { replies: [] as string[] };
    const call = greeter(server.address).SayHelloCS(metadata({ run: "cs" }), (_e, reply) => {
      if (reply) unary.replies.push(reply.message);
    });
    const done = collect(call, unary);
    for (const name of ["a", "b", "c"]) call.write({ name });
    call.end();
    const outcome = await done;
    expect(outcome.code).toBe(grpc.status.OK);
    expect(outcome.replies).toEqual(["Hello count: 3"]);
    expect(outcome.headers.run).toEqual(["cs"]);
    expect(calls.map((c) => [c.method, c.names])).toEqual([["SayHelloCS", ["a", "b", "c"]]]);
  });

  it(`SayHellos streams ${GREETER_STREAM_REPLIES} replies Hello <name>`, async () => {
    const server = await start();
    const outcome = await collect(
      greeter(server.address).SayHellos({ name: "bo" }, metadata({ run: "ss" })),
    );
    expect(outcome.code).toBe(grpc.status.OK);
    expect(outcome.replies).toEqual(
      Array.from({ length: GREETER_STREAM_REPLIES }, () => "Hello bo"),
    );
    expect(outcome.headers.run).toEqual(["ss"]);
  });

  it("SayHelloBidi answers each request with Hello <name>, in order", async () => {
    const calls: GreeterCall[] = [];
    const server = await start({ onCall: (call) => calls.push(call) });
    const call = greeter(server.address).SayHelloBidi(metadata({ run: "bidi" }));
    const done = collect(call);
    for (const name of ["x", "y", "z"]) call.write({ name });
    call.end();
    const outcome = await done;
    expect(outcome.code).toBe(grpc.status.OK);
    expect(outcome.replies).toEqual(["Hello x", "Hello y", "Hello z"]);
    expect(outcome.headers.run).toEqual(["bidi"]);
    expect(calls.map((c) => [c.method, c.names, c.code])).toEqual([
      ["SayHelloBidi", ["x", "y", "z"], 0],
    ]);
  });
});

interface ReflectionResponse {
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  error_response?: { error_code: number; error_message: string };
}
interface ReflectionClient extends grpc.Client {
  ServerReflectionInfo(): grpc.ClientDuplexStream<Record<string, string>, ReflectionResponse>;
}

/** Sends one reflection request over a fresh stream and returns the one response. */
function reflect(
  client: ReflectionClient,
  request: Record<string, string>,
): Promise<ReflectionResponse> {
  return new Promise((resolve, reject) => {
    const call = client.ServerReflectionInfo();
    call.once("data", (response: ReflectionResponse) => {
      resolve(response);
      call.end();
    });
    call.once("error", reject);
    call.write(request);
  });
}

describe("server reflection and health", () => {
  it.each(["v1", "v1alpha"])(
    "reflection %s lists the Greeter and health services and returns greeter.proto's descriptor",
    async (api) => {
      const server = await start();
      const client = stub<ReflectionClient>(
        join(REFLECTION_PROTO, api, "reflection.proto"),
        `grpc.reflection.${api}.ServerReflection`,
        server.address,
      );
      const list = await reflect(client, { list_services: "" });
      const names = list.list_services_response?.service.map((s) => s.name) ?? [];
      expect(names).toEqual(
        expect.arrayContaining(["helloworld.Greeter", "grpc.health.v1.Health"]),
      );

      const file = await reflect(client, { file_containing_symbol: "helloworld.Greeter" });
      const descriptors = file.file_descriptor_response?.file_descriptor_proto ?? [];
      expect(descriptors.length).toBeGreaterThan(0);
      // A FileDescriptorProto holds its package, service, method and message names as strings.
      const text = Buffer.concat(descriptors).toString("latin1");
      for (const name of [
        "helloworld",
        "Greeter",
        "SayHelloCS",
        "SayHellos",
        "SayHelloBidi",
        "HelloReply",
      ]) {
        expect(text).toContain(name);
      }
    },
  );

  it("health Check answers SERVING for the server and for helloworld.Greeter, Watch streams it", async () => {
    const server = await start();
    interface HealthClient extends grpc.Client {
      Check(
        request: { service: string },
        callback: Callback<{ status: string }>,
      ): grpc.ClientUnaryCall;
      Watch(request: { service: string }): grpc.ClientReadableStream<{ status: string }>;
    }
    const client = stub<HealthClient>(HEALTH_PROTO_PATH, "grpc.health.v1.Health", server.address);
    const check = (service: string): Promise<string> =>
      new Promise((resolve, reject) => {
        client.Check({ service }, (error, reply) =>
          error ? reject(error) : resolve(String(reply?.status)),
        );
      });
    expect(await check("")).toBe("SERVING");
    expect(await check("helloworld.Greeter")).toBe("SERVING");
    await expect(check("no.Such")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });

    const watch = client.Watch({ service: "" });
    const first = await new Promise<string>((resolve) =>
      watch.once("data", (reply: { status: string }) => resolve(String(reply.status))),
    );
    watch.on("error", () => undefined);
    watch.cancel();
    expect(first).toBe("SERVING");
  });
});

describe("injected errors and latency", () => {
  it("an error rate of 1 fails every kind of call with the configured status code", async () => {
    const server = await start({
      version: { name: "v2", errorRate: 1, grpcErrorCode: grpc.status.RESOURCE_EXHAUSTED },
    });
    const client = greeter(server.address);
    const unary = await sayHello(client, "a");
    const cs = client.SayHelloCS(new grpc.Metadata(), () => undefined);
    const csDone = collect(cs);
    cs.write({ name: "a" });
    cs.end();
    const ss = await collect(client.SayHellos({ name: "a" }, new grpc.Metadata()));
    const bidi = client.SayHelloBidi(new grpc.Metadata());
    const bidiDone = collect(bidi);
    bidi.write({ name: "a" });
    bidi.end();
    for (const outcome of [unary, await csDone, ss, await bidiDone]) {
      expect(outcome.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(outcome.details).toBe("injected error (--error-rate): RESOURCE_EXHAUSTED");
      expect(outcome.replies).toEqual([]);
    }
  });

  it("fails about the configured fraction of calls with UNAVAILABLE, the same ones for the same seed", async () => {
    const N = 200;
    const run = async (): Promise<number[]> => {
      const server = await start({ version: { name: "v1", errorRate: 0.3 }, seed: 7 });
      const client = greeter(server.address);
      const codes: number[] = [];
      // One call at a time, so the i-th call gets the i-th draw.
      for (let i = 0; i < N; i += 1) codes.push((await sayHello(client, `n${i}`)).code);
      return codes;
    };
    const first = await run();
    const unavailable: number = grpc.status.UNAVAILABLE;
    const failed = first.filter((code) => code === unavailable).length;
    expect(first.filter((code) => code !== 0 && code !== unavailable)).toEqual([]);
    // Binomial(200, 0.3): mean 60, sd about 6.5; 35..85 is beyond 3.8 sd either way.
    expect(failed).toBeGreaterThanOrEqual(35);
    expect(failed).toBeLessThanOrEqual(85);
    expect(await run()).toEqual(first);
  });

  it("injected latency delays the reply of a unary call and each reply of a bidi call", async () => {
    const server = await start({ version: { name: "v1", latencyMs: 150 } });
    const client = greeter(server.address);
    await sayHello(client, "warm-up");
    let startedAt = performance.now();
    const unary = await sayHello(client, "ann");
    expect(unary.replies).toEqual(["Hello ann"]);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(150);

    const bidi = client.SayHelloBidi(new grpc.Metadata());
    startedAt = performance.now();
    const done = collect(bidi);
    bidi.write({ name: "a" });
    bidi.write({ name: "b" });
    bidi.end();
    expect((await done).replies).toEqual(["Hello a", "Hello b"]);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(300);
  });

  it("close() ends calls waiting on injected latency and frees the port", async () => {
    const server = await startGreeterServer({
      port: 0,
      version: { name: "v1", latencyMs: 10_000 },
    });
    const pending = sayHello(greeter(server.address), "late");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = performance.now();
    await server.close();
    const outcome = await pending;
    expect(outcome.code).not.toBe(grpc.status.OK);
    expect(performance.now() - startedAt).toBeLessThan(5_000);
    const again = await start({ port: server.port });
    expect(again.port).toBe(server.port);
  });
});

describe("startDemoApp with grpcPort", () => {
  let app: DemoApp | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("serves each version's Greeter on its own port, with that version's settings", async () => {
    app = await startDemoApp({
      port: 0,
      grpcPort: 0,
      versions: ["v1", { name: "v2", errorRate: 1 }],
    });
    const [v1, v2] = app.versions;
    expect(v1?.grpcAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(v2?.grpcPort).not.toBe(v1?.grpcPort);
    const one = await sayHello(greeter(v1?.grpcAddress ?? ""), "ann");
    expect([one.code, one.replies, one.headers["x-demo-app-version"]]).toEqual([
      0,
      ["Hello ann"],
      ["v1"],
    ]);
    const two = await sayHello(greeter(v2?.grpcAddress ?? ""), "ann");
    expect(two.code).toBe(grpc.status.UNAVAILABLE);
    // The HTTP side is unchanged.
    expect((await fetch(`${app.urls[0]}/get`)).status).toBe(200);
  });

  it("serves no gRPC without grpcPort", async () => {
    app = await startDemoApp({ port: 0 });
    expect(app.versions[0]?.grpcAddress).toBeUndefined();
  });

  it("rejects with DemoAppListenError naming the gRPC port when it is taken", async () => {
    const taken = await start();
    const attempt = startDemoApp({ port: 0, grpcPort: taken.port });
    await expect(attempt).rejects.toBeInstanceOf(DemoAppListenError);
    await expect(attempt).rejects.toThrow(
      `gRPC on 127.0.0.1:${taken.port} for version v1: EADDRINUSE`,
    );
  });
});
