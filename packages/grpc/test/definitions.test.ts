import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findClosedPort } from "@iter8/test-utils";
import { GrpcError, runGrpcLoad } from "../src/index.js";
import type { GrpcLoadOptions } from "../src/index.js";
import { startGreeterServer as startDemoGreeter } from "@iter8/demo-app";
import type { GreeterCall, GreeterServer as DemoGreeter } from "@iter8/demo-app";
import { startGreeterServer } from "./greeter-server.js";
import type { GreeterServer } from "./greeter-server.js";

const PROTOS = fileURLToPath(new URL("./protos/", import.meta.url));

let plain: GreeterServer;
// The demo app's Greeter serves reflection (v1 and v1alpha) with @grpc/reflection.
let demo: DemoGreeter;
const demoCalls: GreeterCall[] = [];
let reflectingAlpha: GreeterServer;
let files: Server;
let filesUrl: string;
let dir: string;

beforeAll(async () => {
  plain = await startGreeterServer();
  demo = await startDemoGreeter({ port: 0, onCall: (call) => demoCalls.push(call) });
  reflectingAlpha = await startGreeterServer({ reflection: "v1alpha" });
  dir = await mkdtemp(join(tmpdir(), "iter8-grpc-"));
  // A protoset as `protoc -o` writes it: a FileDescriptorSet of the Greeter's file.
  const root = new protobuf.Root().loadSync(join(PROTOS, "greeter.proto"), { keepCase: true });
  const set = descriptor.FileDescriptorSet.encode(root.toDescriptor("proto3")).finish();
  await writeFile(join(dir, "greeter.protoset"), set);
  files = createServer((request, response) => {
    const name = (request.url ?? "/").slice(1);
    const path = name === "greeter.protoset" ? join(dir, name) : join(PROTOS, name);
    readFile(path).then(
      (body) => response.end(body),
      () => {
        response.statusCode = 404;
        response.end();
      },
    );
  });
  await new Promise<void>((resolve) => files.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await Promise.all([plain.close(), demo.close(), reflectingAlpha.close()]);
  await new Promise<void>((resolve) => files.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

function options(host: string, overrides: Partial<GrpcLoadOptions>): GrpcLoadOptions {
  return {
    host,
    call: "helloworld.Greeter.SayHello",
    data: { name: "d" },
    numRequests: 5,
    qps: 0,
    concurrency: 1,
    warmupMs: 0,
    ...overrides,
  };
}

/** The error runGrpcLoad rejects with. */
async function failure(opts: GrpcLoadOptions): Promise<GrpcError> {
  const error: unknown = await runGrpcLoad(opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GrpcError);
  return error as GrpcError;
}

describe("service definitions", () => {
  it("uses server reflection when no proto is given (the demo app's @grpc/reflection)", async () => {
    const before = demoCalls.length;
    const result = await runGrpcLoad(options(demo.address, { data: { name: "r" } }));
    expect(result.statusNames).toEqual({ OK: 5 });
    expect(demoCalls.slice(before).map((c) => c.names[0])).toEqual(["r", "r", "r", "r", "r"]);
  });

  it("falls back to grpc.reflection.v1alpha when v1 is not served", async () => {
    const before = reflectingAlpha.seen.length;
    const result = await runGrpcLoad(options(reflectingAlpha.host, { data: { name: "a" } }));
    expect(result.statusNames).toEqual({ OK: 5 });
    expect(reflectingAlpha.seen.slice(before).map((c) => c.names[0])).toEqual([
      "a",
      "a",
      "a",
      "a",
      "a",
    ]);
  });

  it("says so when there is no proto and the server has no reflection", async () => {
    const error = await failure(options(plain.host, {}));
    expect(error.code).toBe("ITER8_GRPC_REFLECTION");
    expect(error.message).toMatch(/does not serve reflection.*give proto, protoURL or protoset/);
  });

  it("loads a proto whose messages come from an import found through importPaths", async () => {
    const result = await runGrpcLoad(
      options(plain.host, {
        proto: "greeter-imports.proto",
        importPaths: ["."],
        baseDir: PROTOS,
        data: { name: "i", sent: "2024-01-02T03:04:05Z" },
      }),
    );
    expect(result.statusNames).toEqual({ OK: 5 });
  });

  it("names an import it cannot find", async () => {
    // A copy of the proto without its shared/ folder beside it, and import paths that lack it too.
    const copy = join(dir, "greeter-imports.proto");
    await writeFile(copy, await readFile(join(PROTOS, "greeter-imports.proto")));
    const error = await failure(
      options(plain.host, { proto: copy, importPaths: ["/nonexistent"], baseDir: dir }),
    );
    expect(error.code).toBe("ITER8_GRPC_PROTO");
    expect(error.message).toBe(
      `proto: ${copy} imports shared/messages.proto, which is in none of ${dir}, /nonexistent (add its folder to importPaths)`,
    );
  });

  it("names the file and line of a proto that does not parse", async () => {
    const error = await failure(options(plain.host, { proto: join(PROTOS, "broken.proto") }));
    expect(error.code).toBe("ITER8_GRPC_PROTO");
    expect(error.message).toBe(`${join(PROTOS, "broken.proto")}:4: illegal id ';'`);
  });

  it("loads a protoset file, and a protoset and a proto from URLs", async () => {
    for (const source of [
      { protoset: join(dir, "greeter.protoset") },
      { protoset: `${filesUrl}/greeter.protoset` },
      { protoURL: `${filesUrl}/greeter.proto` },
    ]) {
      const result = await runGrpcLoad(options(plain.host, source));
      expect(result.statusNames).toEqual({ OK: 5 });
    }
  });

  it("names a protoURL that answers an error, and one that cannot be reached", async () => {
    const missing = await failure(options(plain.host, { protoURL: `${filesUrl}/nope.proto` }));
    expect(missing.message).toBe(`protoURL: ${filesUrl}/nope.proto answered HTTP 404`);
    const port = await findClosedPort();
    const url = `http://127.0.0.1:${port}/x.proto`;
    const unreachable = await failure(options(plain.host, { protoURL: url }));
    expect(unreachable.code).toBe("ITER8_GRPC_PROTO");
    expect(unreachable.message).toBe(`protoURL: cannot fetch ${url}: ECONNREFUSED`);
  });

  it("lists the service's methods for an unknown method, and the services for an unknown service", async () => {
    const proto = join(PROTOS, "greeter.proto");
    const method = await failure(options(plain.host, { proto, call: "helloworld.Greeter.SayBye" }));
    expect(method.code).toBe("ITER8_GRPC_METHOD");
    expect(method.message).toBe(
      "call helloworld.Greeter.SayBye: service helloworld.Greeter has no method SayBye; methods: SayHello, SayHelloCS, SayHellos, SayHelloBidi",
    );
    const service = await failure(options(plain.host, { proto, call: "helloworld.Nope/SayHello" }));
    expect(service.message).toContain(
      "has no service helloworld.Nope; services: helloworld.Greeter",
    );
  });

  it("reads messages from dataURL and binaryDataURL (file or URL), metadata from metadataURL", async () => {
    const proto = join(PROTOS, "greeter.proto");
    const Request = new protobuf.Root()
      .loadSync(proto, { keepCase: true })
      .lookupType("helloworld.HelloRequest");
    await writeFile(join(dir, "data.json"), JSON.stringify([{ name: "f1" }, { name: "f2" }]));
    await writeFile(join(dir, "message.bin"), Request.encode({ name: "bin" }).finish());
    await writeFile(join(dir, "metadata.json"), JSON.stringify({ "x-from": "file" }));
    const before = plain.seen.length;
    await runGrpcLoad(
      options(plain.host, {
        proto,
        data: undefined,
        dataURL: "data.json",
        metadataURL: "metadata.json",
        baseDir: dir,
        numRequests: 2,
      }),
    );
    await runGrpcLoad(
      options(plain.host, {
        proto,
        data: undefined,
        binaryDataURL: join(dir, "message.bin"),
        numRequests: 1,
      }),
    );
    await runGrpcLoad(
      options(plain.host, {
        proto,
        data: undefined,
        binaryData: Request.encode({ name: "b2" }).finish(),
        numRequests: 1,
      }),
    );
    const calls = plain.seen.slice(before);
    expect(calls.map((c) => c.names[0])).toEqual(["f1", "f2", "bin", "b2"]);
    expect(calls[0]?.metadata["x-from"]).toBe("file");
  });

  it("names the message and field of data that does not fit the request type", async () => {
    const proto = join(PROTOS, "greeter.proto");
    const error = await failure(
      options(plain.host, { proto, data: [{ name: "ok" }, { nme: "x" }] }),
    );
    expect(error.code).toBe("ITER8_GRPC_DATA");
    expect(error.message).toMatch(/^data\[1\]: not a HelloRequest: .*unknown field: "nme"/);
  });

  it("refuses a host with a scheme and a call without a method", async () => {
    const proto = join(PROTOS, "greeter.proto");
    const host = await failure(options(`http://${plain.host}`, { proto }));
    expect(host.code).toBe("ITER8_GRPC_OPTIONS");
    expect(host.message).toContain("without a scheme");
    const call = await failure(options(plain.host, { proto, call: "Greeter" }));
    expect(call.message).toContain("call must be package.Service.Method");
  });
});
