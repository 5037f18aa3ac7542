import * as protoLoader from "@grpc/proto-loader";
import { GREETER_PROTO_PATH } from "@iter8/demo-app";
import { describe, expect, it } from "vitest";
import { BENCH_REPLY, encodeHelloMessage, frameGrpcMessage } from "./grpc-wire.js";

const PROTO = GREETER_PROTO_PATH;

describe("encodeHelloMessage", () => {
  it("encodes field 1 as a length-delimited string", () => {
    expect([...encodeHelloMessage("bench")]).toEqual([0x0a, 5, ...Buffer.from("bench")]);
  });

  it("writes lengths above 127 as a multi-byte varint", () => {
    const bytes = encodeHelloMessage("x".repeat(300));
    // 300 = 0b10_0101100: low 7 bits 0x2c with the continuation bit, then 2.
    expect([...bytes.subarray(0, 3)]).toEqual([0x0a, 0xac, 0x02]);
    expect(bytes.length).toBe(3 + 300);
  });

  it("encodes the empty string as the empty message (proto3 omits defaults)", () => {
    expect(encodeHelloMessage("").length).toBe(0);
  });

  it("is what protobufjs (through proto-loader) decodes as HelloReply and HelloRequest", () => {
    const def = protoLoader.loadSync(PROTO, { keepCase: true });
    const method = def["helloworld.Greeter"] as unknown as Record<
      string,
      {
        responseDeserialize(b: Buffer): unknown;
        requestDeserialize(b: Buffer): unknown;
        requestSerialize(v: unknown): Buffer;
      }
    >;
    const sayHello = method.SayHello;
    expect(sayHello?.responseDeserialize(Buffer.from(encodeHelloMessage(BENCH_REPLY)))).toEqual({
      message: BENCH_REPLY,
    });
    const name = "é".repeat(100);
    expect(sayHello?.requestDeserialize(Buffer.from(encodeHelloMessage(name)))).toEqual({ name });
    expect([...(sayHello?.requestSerialize({ name }) ?? [])]).toEqual([
      ...encodeHelloMessage(name),
    ]);
  });
});

describe("frameGrpcMessage", () => {
  it("prefixes flag 0 and the big-endian length", () => {
    const framed = frameGrpcMessage(Uint8Array.from({ length: 258 }, () => 7));
    expect([...framed.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2]);
    expect(framed.length).toBe(5 + 258);
    expect(framed[5]).toBe(7);
  });
});
