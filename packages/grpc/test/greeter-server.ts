// A helloworld.Greeter server on @grpc/grpc-js for the tests: answers `Hello <name>`, records the
// requests and metadata it saw, and injects what a request's name asks for:
//   "status:<code>"   answers with that gRPC status;
//   "sleep:<ms>"      answers after that long;
// SayHellos streams `replies` messages (default 3); SayHelloBidi answers each message.
// It serves grpc.reflection.v1 (or v1alpha) ServerReflectionInfo when asked to.
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";

const PROTO_DIR = new URL("./protos/", import.meta.url);

export interface SeenCall {
  method: string;
  names: string[];
  metadata: Record<string, string>;
  /** The call's :authority. */
  authority: string;
}

export interface GreeterServer {
  host: string;
  seen: SeenCall[];
  close(): Promise<void>;
}

function loadGreeter(): protobuf.Root {
  return new protobuf.Root().loadSync(new URL("greeter.proto", PROTO_DIR).pathname, {
    keepCase: true,
  });
}

const REFLECTION = protobuf.parse(
  `syntax = "proto3"; package r;
  message Req { string host = 1; oneof m { string file_by_filename = 3; string file_containing_symbol = 4; } }
  message Fdr { repeated bytes file_descriptor_proto = 1; }
  message Err { int32 error_code = 1; string error_message = 2; }
  message Res { string valid_host = 1; Req original_request = 2; oneof m { Fdr file_descriptor_response = 4; Err error_response = 7; } }`,
  { keepCase: true },
).root;

function codec(type: protobuf.Type) {
  return {
    serialize: (value: object): Buffer => Buffer.from(type.encode(type.fromObject(value)).finish()),
    deserialize: (bytes: Buffer): Record<string, unknown> => type.toObject(type.decode(bytes)),
  };
}

function metadataOf(call: { metadata: grpc.Metadata }): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(call.metadata.getMap())) out[key] = String(value);
  return out;
}

/** Parses `status:N` / `sleep:MS` out of a name. */
function directive(name: string): { status?: number; sleepMs?: number } {
  const status = /^status:(\d+)$/.exec(name);
  if (status) return { status: Number(status[1]) };
  const sleep = /^sleep:(\d+)$/.exec(name);
  if (sleep) return { sleepMs: Number(sleep[1]) };
  return {};
}

export async function startGreeterServer(
  options: {
    reflection?: "v1" | "v1alpha";
    replies?: number;
    root?: protobuf.Root;
    /** TLS: the server's key and certificate (PEM); plaintext when absent. */
    tls?: { key: string; cert: string };
  } = {},
): Promise<GreeterServer> {
  const root = options.root ?? loadGreeter();
  const request = codec(root.lookupType("helloworld.HelloRequest"));
  const reply = codec(root.lookupType("helloworld.HelloReply"));
  const seen: SeenCall[] = [];
  const server = new grpc.Server();
  const method = (name: string, requestStream: boolean, responseStream: boolean) => ({
    path: `/helloworld.Greeter/${name}`,
    requestStream,
    responseStream,
    requestSerialize: request.serialize,
    requestDeserialize: request.deserialize,
    responseSerialize: reply.serialize,
    responseDeserialize: reply.deserialize,
  });
  type Req = { name?: string };
  const answer = (
    name: string,
    done: (error: grpc.ServiceError | null, value?: object) => void,
  ): void => {
    const d = directive(name);
    if (d.status !== undefined) {
      done(
        Object.assign(new Error(`injected ${d.status}`), { code: d.status }) as grpc.ServiceError,
      );
    } else if (d.sleepMs !== undefined) {
      setTimeout(() => done(null, { message: `Hello ${name}` }), d.sleepMs);
    } else {
      done(null, { message: `Hello ${name}` });
    }
  };
  server.addService(
    {
      SayHello: method("SayHello", false, false),
      SayHelloCS: method("SayHelloCS", true, false),
      SayHellos: method("SayHellos", false, true),
      SayHelloBidi: method("SayHelloBidi", true, true),
    },
    {
      SayHello: (call: grpc.ServerUnaryCall<Req, object>, callback: grpc.sendUnaryData<object>) => {
        const name = call.request.name ?? "";
        seen.push({
          method: "SayHello",
          names: [name],
          metadata: metadataOf(call),
          authority: call.getHost(),
        });
        answer(name, callback);
      },
      SayHelloCS: (
        call: grpc.ServerReadableStream<Req, object>,
        callback: grpc.sendUnaryData<object>,
      ) => {
        const names: string[] = [];
        call.on("data", (m: Req) => names.push(m.name ?? ""));
        call.on("end", () => {
          seen.push({
            method: "SayHelloCS",
            names,
            metadata: metadataOf(call),
            authority: call.getHost(),
          });
          callback(null, { message: `Hello ${names.join(" and ")}` });
        });
      },
      SayHellos: (call: grpc.ServerWritableStream<Req, object>) => {
        const name = call.request.name ?? "";
        seen.push({
          method: "SayHellos",
          names: [name],
          metadata: metadataOf(call),
          authority: call.getHost(),
        });
        for (let i = 0; i < (options.replies ?? 3); i++)
          call.write({ message: `Hello ${name} ${i}` });
        call.end();
      },
      SayHelloBidi: (call: grpc.ServerDuplexStream<Req, object>) => {
        const names: string[] = [];
        call.on("data", (m: Req) => {
          names.push(m.name ?? "");
          call.write({ message: `Hello ${m.name ?? ""}` });
        });
        call.on("end", () => {
          seen.push({
            method: "SayHelloBidi",
            names,
            metadata: metadataOf(call),
            authority: call.getHost(),
          });
          call.end();
        });
      },
    },
  );
  if (options.reflection) addReflection(server, root, options.reflection);
  const credentials = options.tls
    ? grpc.ServerCredentials.createSsl(null, [
        { private_key: Buffer.from(options.tls.key), cert_chain: Buffer.from(options.tls.cert) },
      ])
    : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    host: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown();
        resolve();
      }),
  };
}

/** ServerReflectionInfo answering file_containing_symbol with the whole definition as one file. */
function addReflection(server: grpc.Server, root: protobuf.Root, version: "v1" | "v1alpha"): void {
  const Req = REFLECTION.lookupType("r.Req");
  const Res = REFLECTION.lookupType("r.Res");
  const set = root.toDescriptor("proto3") as unknown as { file: object[] };
  const FileDescriptorProto = descriptor.FileDescriptorProto;
  const files = set.file.map((file) => FileDescriptorProto.encode(file).finish());
  server.addService(
    {
      ServerReflectionInfo: {
        path: `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
        requestStream: true,
        responseStream: true,
        requestSerialize: codec(Req).serialize,
        requestDeserialize: codec(Req).deserialize,
        responseSerialize: codec(Res).serialize,
        responseDeserialize: codec(Res).deserialize,
      },
    },
    {
      ServerReflectionInfo: (call: grpc.ServerDuplexStream<Record<string, unknown>, object>) => {
        call.on("data", (request: Record<string, unknown>) => {
          const symbol = request.file_containing_symbol;
          if (typeof symbol === "string" && root.lookup(symbol)) {
            call.write({ file_descriptor_response: { file_descriptor_proto: files } });
          } else {
            call.write({
              error_response: {
                error_code: 5,
                error_message: `not found: ${JSON.stringify(request)}`,
              },
            });
          }
        });
        call.on("end", () => call.end());
      },
    },
  );
}
