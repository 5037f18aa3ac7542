import { Buffer } from "node:buffer";
import type { ClientHttp2Session } from "node:http2";
import { GRPC_STATUS, statusFromHttp } from "./status.js";

/** A gRPC message on the wire: a 5-byte prefix (compressed flag 0, big-endian length), then the message. */
export function encodeFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.byteLength);
  frame[0] = 0;
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, 5);
  return frame;
}

/** Collects the messages of a gRPC response body, chunk by chunk (for reflection; copies). */
export class FrameCollector {
  readonly messages: Buffer[] = [];
  #pending: Buffer = Buffer.alloc(0);

  /** Adds a chunk of the body; complete messages go to `messages`. */
  push(chunk: Buffer): void {
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    while (this.#pending.length >= 5) {
      const length = this.#pending.readUInt32BE(1);
      if (this.#pending.length < 5 + length) break;
      this.messages.push(this.#pending.subarray(5, 5 + length));
      this.#pending = this.#pending.subarray(5 + length);
    }
  }
}

/** The end of one gRPC call made with `exchange`. */
export interface ExchangeResult {
  status: number;
  message: string;
  responses: Buffer[];
}

/**
 * One gRPC call on `session` that sends `requests` and reads every response (unary or streaming),
 * for setup work such as server reflection; the load itself goes through the transport.
 */
export function exchange(
  session: ClientHttp2Session,
  path: string,
  requests: Uint8Array[],
  timeoutMs: number,
): Promise<ExchangeResult> {
  return new Promise<ExchangeResult>((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": `${Math.ceil(timeoutMs)}m`,
    });
    const collector = new FrameCollector();
    let status: number | undefined;
    let message = "";
    let httpStatus = 200;
    const timer = setTimeout(() => {
      status = GRPC_STATUS.deadlineExceeded;
      message = `no answer within ${timeoutMs} ms`;
      stream.close();
    }, timeoutMs);
    const read = (headers: Record<string, unknown>): void => {
      if (headers["grpc-status"] !== undefined) {
        status = Number(headers["grpc-status"]);
        message = decodeGrpcMessage(headers["grpc-message"]);
      }
    };
    stream.on("response", (headers) => {
      httpStatus = Number(headers[":status"] ?? 200);
      read(headers);
    });
    stream.on("trailers", read);
    stream.on("data", (chunk: Buffer) => collector.push(chunk));
    let failure: Error | undefined;
    stream.on("error", (error: Error) => {
      failure = error;
    });
    stream.on("close", () => {
      clearTimeout(timer);
      if (status === undefined && failure) {
        reject(failure);
        return;
      }
      resolve({
        status: status ?? (httpStatus === 200 ? GRPC_STATUS.unknown : statusFromHttp(httpStatus)),
        message,
        responses: collector.messages,
      });
    });
    for (const request of requests) stream.write(encodeFrame(request));
    stream.end();
  });
}

/** `grpc-message` is percent-encoded. */
export function decodeGrpcMessage(value: unknown): string {
  if (typeof value !== "string") return "";
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
