// HTTP/2 framing (RFC 9113 §4, §6): frame and settings constants, a reader that cuts frames out of
// a byte stream split anywhere, and writers of the control frames a client sends.
import { Buffer } from "node:buffer";

/** Frame types (§6). */
export const FRAME = {
  data: 0x0,
  headers: 0x1,
  priority: 0x2,
  rstStream: 0x3,
  settings: 0x4,
  pushPromise: 0x5,
  ping: 0x6,
  goaway: 0x7,
  windowUpdate: 0x8,
  continuation: 0x9,
} as const;

/** Frame flags (§6). */
export const FLAG = {
  endStream: 0x1,
  ack: 0x1,
  endHeaders: 0x4,
  padded: 0x8,
  priority: 0x20,
} as const;

/** SETTINGS parameters (§6.5.2). */
export const SETTING = {
  headerTableSize: 0x1,
  enablePush: 0x2,
  maxConcurrentStreams: 0x3,
  initialWindowSize: 0x4,
  maxFrameSize: 0x5,
  maxHeaderListSize: 0x6,
} as const;

/** Error codes (§7). */
export const H2_ERROR = {
  noError: 0x0,
  protocolError: 0x1,
  internalError: 0x2,
  flowControlError: 0x3,
  settingsTimeout: 0x4,
  streamClosed: 0x5,
  frameSizeError: 0x6,
  refusedStream: 0x7,
  cancel: 0x8,
  compressionError: 0x9,
  connectError: 0xa,
  enhanceYourCalm: 0xb,
  inadequateSecurity: 0xc,
  http11Required: 0xd,
} as const;

/** The client connection preface (§3.4). */
export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/** The frame header's length (§4.1). */
export const FRAME_HEADER_LENGTH = 9;

/** The default and smallest SETTINGS_MAX_FRAME_SIZE (§6.5.2). */
export const DEFAULT_MAX_FRAME_SIZE = 16_384;

/** The default SETTINGS_INITIAL_WINDOW_SIZE and the largest window (§6.9.1). */
export const DEFAULT_WINDOW = 65_535;
export const MAX_WINDOW = 2 ** 31 - 1;

/** A connection error (§5.4.1): the connection ends with GOAWAY carrying `code`. */
export class H2ProtocolError extends Error {
  override readonly name = "H2ProtocolError";
  constructor(
    readonly h2Code: number,
    message: string,
  ) {
    super(message);
  }
}

/** Receives each complete frame: the payload is a view that is valid only during the call. */
export interface FrameHandler {
  onFrame(type: number, flags: number, streamId: number, payload: Buffer): void;
}

/**
 * Cuts frames out of the bytes a connection receives, whatever the chunks' boundaries: whole
 * frames inside a chunk are passed on as views; a frame split across chunks is gathered first.
 */
export class FrameReader {
  #pending: Buffer | undefined;
  #pendingLength = 0;
  /** The largest payload this endpoint accepts (its SETTINGS_MAX_FRAME_SIZE). */
  maxFrameSize = DEFAULT_MAX_FRAME_SIZE;

  constructor(private readonly handler: FrameHandler) {}

  /** Takes the next chunk of the byte stream; throws `H2ProtocolError` for an oversized frame. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.#pending !== undefined) {
      const pending = this.#pending;
      const have = this.#pendingLength;
      // The header of the pending frame may itself be incomplete.
      if (have < FRAME_HEADER_LENGTH) {
        const take = Math.min(FRAME_HEADER_LENGTH - have, buf.length);
        buf.copy(pending, have, 0, take);
        this.#pendingLength = have + take;
        buf = buf.subarray(take);
        if (this.#pendingLength < FRAME_HEADER_LENGTH) return;
        const length = this.#payloadLength(pending, 0);
        if (pending.length < FRAME_HEADER_LENGTH + length) {
          const grown = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + length);
          pending.copy(grown, 0, 0, FRAME_HEADER_LENGTH);
          this.#pending = grown;
        }
      }
      const frame = this.#pending;
      const total = FRAME_HEADER_LENGTH + this.#payloadLength(frame, 0);
      const take = Math.min(total - this.#pendingLength, buf.length);
      buf.copy(frame, this.#pendingLength, 0, take);
      this.#pendingLength += take;
      buf = buf.subarray(take);
      if (this.#pendingLength < total) return;
      this.#pending = undefined;
      this.#pendingLength = 0;
      this.#emit(frame, 0, total);
    }
    const end = buf.length;
    let pos = 0;
    while (end - pos >= FRAME_HEADER_LENGTH) {
      const total = FRAME_HEADER_LENGTH + this.#payloadLength(buf, pos);
      if (end - pos < total) break;
      this.#emit(buf, pos, total);
      pos += total;
    }
    if (pos < end) {
      const rest = end - pos;
      const size =
        rest >= FRAME_HEADER_LENGTH
          ? FRAME_HEADER_LENGTH + this.#payloadLength(buf, pos)
          : FRAME_HEADER_LENGTH;
      const pending = Buffer.allocUnsafe(Math.max(size, FRAME_HEADER_LENGTH));
      buf.copy(pending, 0, pos, end);
      this.#pending = pending;
      this.#pendingLength = rest;
    }
  }

  #payloadLength(buf: Buffer, pos: number): number {
    const length =
      ((buf[pos] as number) << 16) | ((buf[pos + 1] as number) << 8) | (buf[pos + 2] as number);
    if (length > this.maxFrameSize) {
      throw new H2ProtocolError(
        H2_ERROR.frameSizeError,
        `frame of ${length} bytes above the ${this.maxFrameSize} allowed`,
      );
    }
    return length;
  }

  #emit(buf: Buffer, pos: number, total: number): void {
    const type = buf[pos + 3] as number;
    const flags = buf[pos + 4] as number;
    const streamId = buf.readUInt32BE(pos + 5) & 0x7fffffff;
    this.handler.onFrame(
      type,
      flags,
      streamId,
      buf.subarray(pos + FRAME_HEADER_LENGTH, pos + total),
    );
  }
}

/** Writes a frame header (§4.1) at `offset`. */
export function writeFrameHeader(
  buf: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  buf[offset] = length >>> 16;
  buf[offset + 1] = (length >>> 8) & 0xff;
  buf[offset + 2] = length & 0xff;
  buf[offset + 3] = type;
  buf[offset + 4] = flags;
  buf.writeUInt32BE(streamId, offset + 5);
}

/** A complete frame with `payload` (for control frames; requests are written in place). */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array,
): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_LENGTH + payload.length);
  writeFrameHeader(frame, 0, payload.length, type, flags, streamId);
  frame.set(payload, FRAME_HEADER_LENGTH);
  return frame;
}

/** A SETTINGS frame (§6.5) with `[id, value]` pairs. */
export function encodeSettings(settings: ReadonlyArray<readonly [number, number]>): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return encodeFrame(FRAME.settings, 0, 0, payload);
}

/** A WINDOW_UPDATE frame (§6.9). */
export function encodeWindowUpdate(streamId: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return encodeFrame(FRAME.windowUpdate, 0, streamId, payload);
}

/** An RST_STREAM frame (§6.4). */
export function encodeRstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code, 0);
  return encodeFrame(FRAME.rstStream, 0, streamId, payload);
}

/** A GOAWAY frame (§6.8). */
export function encodeGoaway(lastStreamId: number, code: number): Buffer {
  const payload = Buffer.allocUnsafe(8);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(code, 4);
  return encodeFrame(FRAME.goaway, 0, 0, payload);
}

/**
 * The fragment of a HEADERS frame's payload (§6.2) or the data of a DATA frame (§6.1): without
 * the padding and the priority fields. Throws `H2ProtocolError` when the padding does not fit.
 */
export function framePayload(type: number, flags: number, payload: Buffer): Buffer {
  let start = 0;
  let end = payload.length;
  if (flags & FLAG.padded) {
    if (end < 1)
      throw new H2ProtocolError(H2_ERROR.frameSizeError, "PADDED frame without padding length");
    const padding = payload[0] as number;
    start = 1;
    end -= padding;
  }
  if (type === FRAME.headers && flags & FLAG.priority) start += 5;
  if (end < start)
    throw new H2ProtocolError(H2_ERROR.protocolError, "padding longer than the frame");
  return start === 0 && end === payload.length ? payload : payload.subarray(start, end);
}
