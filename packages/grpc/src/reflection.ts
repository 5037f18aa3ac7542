import { Buffer } from "node:buffer";
import type { ClientHttp2Session } from "node:http2";
import protobuf from "protobufjs";
import descriptor from "protobufjs/ext/descriptor.js";
import { rootFromDescriptorSet } from "./definitions.js";
import { GrpcError } from "./errors.js";
import { exchange } from "./framing.js";
import { GRPC_STATUS, grpcStatusName } from "./status.js";

// The parts of grpc/reflection/v1/reflection.proto (same wire format in v1alpha) this client uses.
const REFLECTION = protobuf.parse(
  `
syntax = "proto3";
package reflection;
message ServerReflectionRequest {
  string host = 1;
  oneof message_request {
    string file_by_filename = 3;
    string file_containing_symbol = 4;
  }
}
message FileDescriptorResponse { repeated bytes file_descriptor_proto = 1; }
message ErrorResponse { int32 error_code = 1; string error_message = 2; }
message ServerReflectionResponse {
  string valid_host = 1;
  oneof message_response {
    FileDescriptorResponse file_descriptor_response = 4;
    ErrorResponse error_response = 7;
  }
}
`,
  { keepCase: true },
).root;
const Request = REFLECTION.lookupType("reflection.ServerReflectionRequest");
const Response = REFLECTION.lookupType("reflection.ServerReflectionResponse");
const FileDescriptorProto = descriptor.FileDescriptorProto;

const PATHS = [
  "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
  "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
];

interface ReflectionAnswer {
  file_descriptor_response?: { file_descriptor_proto?: Uint8Array[] };
  error_response?: { error_code?: number; error_message?: string };
}

/**
 * What made a call fail: a stream cancelled because its connection failed (TLS verification,
 * connect timeout) carries the connection's error as its cause.
 */
function connectionFailure(error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  const code = (failure as { code?: unknown }).code;
  if (code === "ERR_HTTP2_STREAM_CANCEL" && failure.cause instanceof Error) return failure.cause;
  return failure;
}

/**
 * The service definition of `service` from the server's reflection service (grpc.reflection.v1,
 * then v1alpha), with every file it depends on. Throws `ITER8_GRPC_REFLECTION` naming the host.
 */
export async function reflectService(
  session: ClientHttp2Session,
  host: string,
  service: string,
  timeoutMs: number,
): Promise<protobuf.Root> {
  let path: string | undefined;
  const ask = async (request: Record<string, string>): Promise<Uint8Array[]> => {
    const message = Request.encode(Request.fromObject(request)).finish();
    for (const candidate of path ? [path] : PATHS) {
      let result;
      try {
        result = await exchange(session, candidate, [message], timeoutMs);
      } catch (error) {
        const reason = connectionFailure(error);
        throw new GrpcError(
          "ITER8_GRPC_REFLECTION",
          `no proto or protoset was given and server reflection at ${host} failed: ${reason.message}`,
          { cause: reason },
        );
      }
      if (result.status === GRPC_STATUS.unimplemented && !path) continue;
      if (result.status !== GRPC_STATUS.ok) {
        throw new GrpcError(
          "ITER8_GRPC_REFLECTION",
          `no proto or protoset was given and server reflection at ${host} answered ${grpcStatusName(result.status)}${result.message ? `: ${result.message}` : ""}`,
        );
      }
      path = candidate;
      const answer = Response.toObject(Response.decode(result.responses[0] ?? Buffer.alloc(0)), {
        bytes: Buffer,
      }) as ReflectionAnswer;
      if (answer.error_response) {
        throw new GrpcError(
          "ITER8_GRPC_REFLECTION",
          `server reflection at ${host}: ${answer.error_response.error_message ?? "error"} (${Object.values(request).join("")})`,
        );
      }
      return answer.file_descriptor_response?.file_descriptor_proto ?? [];
    }
    throw new GrpcError(
      "ITER8_GRPC_REFLECTION",
      `no proto or protoset was given and ${host} does not serve reflection (grpc.reflection.v1 or v1alpha); give proto, protoURL or protoset`,
    );
  };

  // The file that defines the service, then every dependency the server did not send with it.
  const files = new Map<string, Uint8Array>();
  const add = (list: Uint8Array[]): void => {
    for (const bytes of list) {
      const file = FileDescriptorProto.decode(bytes) as unknown as { name?: string };
      if (file.name && !files.has(file.name)) files.set(file.name, bytes);
    }
  };
  add(await ask({ file_containing_symbol: service }));
  for (let round = 0; round < 100; round++) {
    const missing = new Set<string>();
    for (const bytes of files.values()) {
      const file = FileDescriptorProto.decode(bytes) as unknown as { dependency?: string[] };
      for (const dependency of file.dependency ?? []) {
        if (!files.has(dependency)) missing.add(dependency);
      }
    }
    if (missing.size === 0) break;
    for (const name of missing) {
      const before = files.size;
      add(await ask({ file_by_filename: name }));
      if (!files.has(name) && files.size === before) {
        throw new GrpcError(
          "ITER8_GRPC_REFLECTION",
          `server reflection at ${host} did not send ${name}, which the service's file imports`,
        );
      }
    }
  }
  return rootFromDescriptorSet(
    encodeDescriptorSet([...files.values()]),
    `server reflection at ${host}`,
  );
}

/** A FileDescriptorSet: field 1 (`file`), length-delimited, once per file. */
function encodeDescriptorSet(files: Uint8Array[]): Uint8Array {
  const writer = protobuf.Writer.create();
  for (const file of files) writer.uint32(0x0a).bytes(file);
  return writer.finish();
}
