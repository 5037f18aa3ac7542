// The bytes the gRPC scenarios put on the wire: helloworld.Greeter/SayHello's request and reply,
// encoded once, so nginx can serve the reply as a static file and h2load can send the request.

/** The method every gRPC scenario calls. */
export const GREETER_CALL = "helloworld.Greeter/SayHello";

/** Its HTTP/2 path. */
export const GREETER_PATH = `/${GREETER_CALL}`;

/** The `name` every request carries. */
export const BENCH_NAME = "bench";

/** What the bench's gRPC targets answer (`HelloReply.message`), as the demo app would. */
export const BENCH_REPLY = `Hello ${BENCH_NAME}`;

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

/**
 * Encodes a message whose only field is `string = 1` (both `HelloRequest.name` and
 * `HelloReply.message`): tag 0x0a (field 1, length-delimited), varint length, UTF-8 bytes. An
 * empty string is the empty message, as proto3 omits default values.
 */
export function encodeHelloMessage(text: string): Uint8Array {
  const utf8 = Buffer.from(text, "utf8");
  if (utf8.length === 0) return new Uint8Array(0);
  return Uint8Array.from([0x0a, ...encodeVarint(utf8.length), ...utf8]);
}

/** Frames one message as gRPC puts it in DATA frames: flag 0 (uncompressed), 4-byte length. */
export function frameGrpcMessage(message: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + message.length);
  new DataView(framed.buffer).setUint32(1, message.length);
  framed.set(message, 5);
  return framed;
}
