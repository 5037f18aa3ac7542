// A lean HTTP/2 client connection (RFC 9113) on a net or tls socket, made for many small
// request/response exchanges: a precomputed request header block per call, responses decoded
// with HPACK, flow control both ways, every frame of one event-loop turn sent in one write.
import { Buffer } from "node:buffer";
import * as net from "node:net";
import * as tls from "node:tls";
import type { TransportErrorClass } from "@iter8/loadgen";
import { classifyTransportError } from "@iter8/loadgen";
import {
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  FLAG,
  FRAME,
  FRAME_HEADER_LENGTH,
  FrameReader,
  H2ProtocolError,
  H2_ERROR,
  MAX_WINDOW,
  PREFACE,
  SETTING,
  encodeGoaway,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  framePayload,
  writeFrameHeader,
} from "./frames.js";
import { HpackDecoder, HpackError } from "./hpack.js";
import type { HeaderSink } from "./hpack.js";

/** The window this client gives each stream (SETTINGS_INITIAL_WINDOW_SIZE). */
const STREAM_WINDOW = 256 * 1024;
/** The window this client gives the connection (raised from 65 535 at the start). */
const CONNECTION_WINDOW = 16 * 1024 * 1024;
/** The dynamic table this client allows the server's encoder (SETTINGS_HEADER_TABLE_SIZE). */
const HEADER_TABLE_SIZE = 4096;
/** A keepalive PING unanswered this long ends the connection (grpc's keepalive timeout). */
const PING_TIMEOUT_MS = 20_000;
const PING_PAYLOAD = Buffer.alloc(8);
const EMPTY = Buffer.alloc(0);

/**
 * Reads of every connection in a thread land in this one buffer (`net`'s `onread`): no `Buffer`
 * and no stream bookkeeping per read. Node's `Readable` schedules a `process.nextTick` for each
 * chunk it pushes, and each turn of the tick queue makes Node 20 allocate a map for its promise
 * rejection bookkeeping. With the write flush's tick (below) that was about 1 of the 3.7 KB of
 * garbage per unary call (`node scripts/alloc-per-call.mjs grpc`, at 1 000 calls/s): more
 * scavenges, and paced calls held up behind them. Safe because the frame reader handles each read synchronously
 * and copies what it keeps (a frame split across reads, header block fragments); frames are passed
 * on as views valid only during the call.
 */
let sharedReadBuffer: Buffer | undefined;
const READ_BUFFER_BYTES = 64 * 1024;
const MAX_STREAM_ID = 2 ** 31 - 1;
const SLAB_SIZE = 64 * 1024;

/** Where and how to connect. */
export interface H2Target {
  host: string;
  port: number;
  /** TLS with ALPN "h2"; plaintext with prior knowledge (h2c) when absent. */
  tls:
    | { ca: string | undefined; servername: string | undefined; rejectUnauthorized: boolean }
    | undefined;
  connectTimeoutMs: number;
  /** PING interval; none when undefined or 0. */
  keepaliveMs: number | undefined;
}

/** The fields of a response header block that a gRPC call reads; -1 when absent. */
export class ResponseHeaders implements HeaderSink {
  httpStatus = -1;
  grpcStatus = -1;
  grpcMessage: string | undefined;

  reset(): void {
    this.httpStatus = -1;
    this.grpcStatus = -1;
    this.grpcMessage = undefined;
  }

  wants(name: string): boolean {
    return name === ":status" || name === "grpc-status" || name === "grpc-message";
  }

  header(name: string, value: string): void {
    if (name === ":status") this.httpStatus = Number(value);
    else if (name === "grpc-status") {
      const code = Number(value);
      this.grpcStatus = Number.isInteger(code) && code >= 0 ? code : 2;
    } else if (name === "grpc-message") this.grpcMessage = value;
  }
}

/**
 * One exchange on a connection: the request (a header block and a body sent with END_STREAM) and
 * the handlers of its response. The connection owns the fields; a subclass implements the handlers,
 * which are called at most until the first of: a block or data with `endStream`, `onReset`,
 * `onFailure`; or never after `H2Connection.cancel`.
 */
export abstract class H2Call {
  /** The stream, 0 while queued. */
  streamId = 0;
  connection: H2Connection | undefined;
  headerBlock: Buffer = EMPTY;
  body: Buffer = EMPTY;
  bodyOffset = 0;
  sendWindow = 0;
  /** DATA bytes received since the last stream WINDOW_UPDATE. */
  unacked = 0;

  /** A response header block (headers, trailers or a trailers-only response). */
  abstract onHeaders(headers: ResponseHeaders, endStream: boolean): void;
  /** Response data (a view valid during the call). */
  abstract onData(data: Buffer, endStream: boolean): void;
  /** The server reset the stream (RST_STREAM with `code`). */
  abstract onReset(code: number): void;
  /** The call failed without a response (connection failure, refused by GOAWAY). */
  abstract onFailure(errorClass: TransportErrorClass): void;
}

/** What the owner of connections hears. */
export interface H2ConnectionEvents {
  /**
   * The connection takes no new calls (GOAWAY, stream ids used up, failure): `unsent` are calls it
   * queued but never started, to be placed on another connection.
   */
  onRetire(connection: H2Connection, unsent: H2Call[]): void;
  /** The connection has closed (its socket is gone or going). */
  onClose(connection: H2Connection): void;
}

/** An HTTP/2 client connection. Calls are queued until the server's SETTINGS arrive. */
export class H2Connection {
  readonly #socket: net.Socket;
  readonly #reader: FrameReader;
  readonly #decoder = new HpackDecoder(HEADER_TABLE_SIZE);
  readonly #headers = new ResponseHeaders();
  readonly #active = new Map<number, H2Call>();
  #queue: H2Call[] = [];
  #blocked: H2Call[] = [];
  #ready = false;
  #accepting = true;
  #closed = false;
  #nextStreamId = 1;
  // The peer's settings.
  #maxConcurrent = Number.POSITIVE_INFINITY;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  #sendWindow = DEFAULT_WINDOW;
  // Received DATA not yet acknowledged by a connection WINDOW_UPDATE.
  #unacked = 0;
  // A header block in CONTINUATION frames.
  #blockStream = 0;
  #blockFlags = 0;
  #blockParts: Buffer[] = [];
  // Output: frames of this event-loop turn, written together.
  #slab = Buffer.allocUnsafe(SLAB_SIZE);
  #outStart = 0;
  #outEnd = 0;
  #full: Buffer[] = [];
  #flushScheduled = false;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #keepalive: ReturnType<typeof setInterval> | undefined;
  #pingSentAt = -1;

  constructor(
    target: H2Target,
    private readonly events: H2ConnectionEvents,
  ) {
    this.#reader = new FrameReader(this);
    sharedReadBuffer ??= Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const options: net.TcpNetConnectOpts = {
      host: target.host,
      port: target.port,
      onread: {
        buffer: sharedReadBuffer,
        callback: (bytes: number, buffer: Uint8Array): boolean => {
          this.#onBytes((buffer as Buffer).subarray(0, bytes));
          return true;
        },
      },
    };
    // tls.connect takes `onread` too (its typings leave it out).
    const socket = target.tls
      ? tls.connect({
          ...options,
          ca: target.tls.ca,
          servername:
            target.tls.servername ?? (net.isIP(target.host) === 0 ? target.host : undefined),
          rejectUnauthorized: target.tls.rejectUnauthorized,
          ALPNProtocols: ["h2"],
        })
      : net.connect(options);
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.unref();
    if (target.tls) {
      socket.once("secureConnect", () => {
        if ((socket as tls.TLSSocket).alpnProtocol !== "h2") {
          this.#fail(
            Object.assign(new Error("the server did not agree to HTTP/2 (ALPN h2)"), {
              code: "ERR_TLS_ALPN_H2",
            }),
          );
        }
      });
    }
    socket.on("error", (error: Error) => this.#fail(error));
    socket.on("close", () => this.#fail(undefined));
    this.#connectTimer = setTimeout(() => {
      this.#fail(
        Object.assign(new Error(`no HTTP/2 connection within ${target.connectTimeoutMs} ms`), {
          code: "ETIMEDOUT",
        }),
      );
    }, target.connectTimeoutMs);
    this.#connectTimer.unref();
    // Writes before the connection is up are buffered by the socket.
    this.#append(PREFACE);
    this.#append(
      encodeSettings([
        [SETTING.enablePush, 0],
        [SETTING.headerTableSize, HEADER_TABLE_SIZE],
        [SETTING.initialWindowSize, STREAM_WINDOW],
      ]),
    );
    this.#append(encodeWindowUpdate(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
    this.#flush();
    if (target.keepaliveMs !== undefined && target.keepaliveMs > 0) {
      this.#keepalive = setInterval(() => this.#ping(), target.keepaliveMs);
      this.#keepalive.unref();
    }
  }

  /** True while the connection takes new calls. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /** Calls started and not finished. */
  get activeStreams(): number {
    return this.#active.size;
  }

  /** Queues `call`; it starts as soon as the server's stream limit allows. */
  submit(call: H2Call): void {
    call.connection = this;
    call.streamId = 0;
    this.#queue.push(call);
    if (this.#ready) this.#pump();
  }

  /** Abandons `call`: dropped from the queue, or its stream reset with CANCEL. No handler runs. */
  cancel(call: H2Call): void {
    if (call.connection !== this) return;
    call.connection = undefined;
    const id = call.streamId;
    if (id === 0) {
      const i = this.#queue.indexOf(call);
      if (i >= 0) this.#queue.splice(i, 1);
      return;
    }
    if (this.#active.get(id) !== call) return;
    this.#endStream(call);
    if (!this.#closed) this.#append(encodeRstStream(id, H2_ERROR.cancel));
    this.#pump();
  }

  /** Closes the connection now; calls in flight get no outcome. */
  close(): void {
    this.#accepting = false;
    this.#closed = true;
    this.#stopTimers();
    this.#active.clear();
    this.#queue = [];
    this.#blocked = [];
    this.#socket.destroy();
  }

  // ---- sending ----

  #reserve(length: number): number {
    if (this.#outEnd + length > this.#slab.length) {
      if (this.#outEnd > this.#outStart)
        this.#full.push(this.#slab.subarray(this.#outStart, this.#outEnd));
      this.#slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, length));
      this.#outStart = 0;
      this.#outEnd = 0;
    }
    const at = this.#outEnd;
    this.#outEnd += length;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // A microtask, not process.nextTick: a turn of the tick queue costs an allocation (above).
      queueMicrotask(this.#flushTick);
    }
    return at;
  }

  #append(frame: Buffer): void {
    const at = this.#reserve(frame.length);
    frame.copy(this.#slab, at);
  }

  readonly #flushTick = (): void => {
    this.#flushScheduled = false;
    this.#flush();
  };

  #flush(): void {
    if (this.#closed) {
      this.#full = [];
      this.#outStart = this.#outEnd;
      return;
    }
    const socket = this.#socket;
    const tail =
      this.#outEnd > this.#outStart ? this.#slab.subarray(this.#outStart, this.#outEnd) : undefined;
    // The written part of the slab is never written again: the socket may still hold it.
    this.#outStart = this.#outEnd;
    if (this.#full.length > 0) {
      socket.cork();
      for (const chunk of this.#full) socket.write(chunk);
      if (tail) socket.write(tail);
      socket.uncork();
      this.#full = [];
    } else if (tail) {
      socket.write(tail);
    }
  }

  #pump(): void {
    const queue = this.#queue;
    if (queue.length === 0 || !this.#ready || this.#closed) return;
    let started = 0;
    while (started < queue.length && this.#active.size < this.#maxConcurrent) {
      if (this.#nextStreamId > MAX_STREAM_ID) {
        this.#retire();
        break;
      }
      this.#start(queue[started] as H2Call);
      started++;
    }
    if (started === queue.length) this.#queue = [];
    else if (started > 0) queue.splice(0, started);
  }

  #start(call: H2Call): void {
    const id = this.#nextStreamId;
    this.#nextStreamId += 2;
    call.streamId = id;
    call.sendWindow = this.#peerInitialWindow;
    call.bodyOffset = 0;
    call.unacked = 0;
    this.#active.set(id, call);
    // HEADERS (and CONTINUATION when the block is larger than the peer's frame size).
    const block = call.headerBlock;
    const max = this.#peerMaxFrameSize;
    if (block.length <= max) {
      const at = this.#reserve(FRAME_HEADER_LENGTH + block.length);
      writeFrameHeader(this.#slab, at, block.length, FRAME.headers, FLAG.endHeaders, id);
      block.copy(this.#slab, at + FRAME_HEADER_LENGTH);
    } else {
      for (let offset = 0; offset < block.length; offset += max) {
        const end = Math.min(block.length, offset + max);
        const at = this.#reserve(FRAME_HEADER_LENGTH + end - offset);
        writeFrameHeader(
          this.#slab,
          at,
          end - offset,
          offset === 0 ? FRAME.headers : FRAME.continuation,
          end === block.length ? FLAG.endHeaders : 0,
          id,
        );
        block.copy(this.#slab, at + FRAME_HEADER_LENGTH, offset, end);
      }
    }
    this.#sendBody(call);
  }

  /** Sends what the windows allow of the call's body; the rest waits for WINDOW_UPDATE. */
  #sendBody(call: H2Call): boolean {
    const body = call.body;
    const id = call.streamId;
    if (body.length === 0) {
      const at = this.#reserve(FRAME_HEADER_LENGTH);
      writeFrameHeader(this.#slab, at, 0, FRAME.data, FLAG.endStream, id);
      return true;
    }
    while (call.bodyOffset < body.length) {
      const length = Math.min(
        body.length - call.bodyOffset,
        call.sendWindow,
        this.#sendWindow,
        this.#peerMaxFrameSize,
      );
      if (length <= 0) {
        if (!this.#blocked.includes(call)) this.#blocked.push(call);
        return false;
      }
      const end = call.bodyOffset + length;
      const at = this.#reserve(FRAME_HEADER_LENGTH + length);
      writeFrameHeader(
        this.#slab,
        at,
        length,
        FRAME.data,
        end === body.length ? FLAG.endStream : 0,
        id,
      );
      body.copy(this.#slab, at + FRAME_HEADER_LENGTH, call.bodyOffset, end);
      call.bodyOffset = end;
      call.sendWindow -= length;
      this.#sendWindow -= length;
    }
    return true;
  }

  #resumeBlocked(): void {
    if (this.#blocked.length === 0) return;
    const blocked = this.#blocked;
    this.#blocked = [];
    for (const call of blocked) {
      if (this.#active.get(call.streamId) === call) this.#sendBody(call);
    }
  }

  #ping(): void {
    if (this.#closed || !this.#ready) return;
    if (this.#pingSentAt >= 0) {
      if (performance.now() - this.#pingSentAt >= PING_TIMEOUT_MS) {
        this.#fail(Object.assign(new Error("keepalive PING not answered"), { code: "ETIMEDOUT" }));
      }
      return;
    }
    this.#pingSentAt = performance.now();
    const at = this.#reserve(FRAME_HEADER_LENGTH + 8);
    writeFrameHeader(this.#slab, at, 8, FRAME.ping, 0, 0);
    PING_PAYLOAD.copy(this.#slab, at + FRAME_HEADER_LENGTH);
  }

  // ---- receiving ----

  #onBytes(chunk: Buffer): void {
    if (this.#closed) return;
    try {
      this.#reader.push(chunk);
    } catch (error) {
      if (error instanceof H2ProtocolError) this.#protocolError(error.h2Code, error);
      else if (error instanceof HpackError) this.#protocolError(H2_ERROR.compressionError, error);
      else throw error;
    }
  }

  /** @internal The frame reader's callback. */
  onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.#closed) return;
    if (this.#blockStream !== 0 && type !== FRAME.continuation) {
      throw new H2ProtocolError(H2_ERROR.protocolError, "a frame inside a header block");
    }
    switch (type) {
      case FRAME.data:
        this.#onDataFrame(flags, streamId, payload);
        return;
      case FRAME.headers:
        this.#onHeadersFrame(flags, streamId, payload);
        return;
      case FRAME.continuation:
        this.#onContinuation(flags, streamId, payload);
        return;
      case FRAME.rstStream:
        this.#onRstStream(streamId, payload);
        return;
      case FRAME.settings:
        this.#onSettings(flags, streamId, payload);
        return;
      case FRAME.ping:
        this.#onPing(flags, streamId, payload);
        return;
      case FRAME.goaway:
        this.#onGoaway(streamId, payload);
        return;
      case FRAME.windowUpdate:
        this.#onWindowUpdate(streamId, payload);
        return;
      case FRAME.pushPromise:
        throw new H2ProtocolError(H2_ERROR.protocolError, "PUSH_PROMISE with push disabled");
      default:
        // PRIORITY and unknown types are ignored (§5.5, §6.3).
        return;
    }
  }

  #onDataFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new H2ProtocolError(H2_ERROR.protocolError, "DATA on stream 0");
    // Flow control counts the whole payload, padding included (§6.9.1).
    this.#unacked += payload.length;
    if (this.#unacked >= CONNECTION_WINDOW / 2) {
      this.#append(encodeWindowUpdate(0, this.#unacked));
      this.#unacked = 0;
    }
    const data = framePayload(FRAME.data, flags, payload);
    const call = this.#active.get(streamId);
    if (call === undefined) return; // A stream this side cancelled: its data is dropped.
    const endStream = (flags & FLAG.endStream) !== 0;
    if (endStream) {
      this.#endResponse(call);
    } else {
      call.unacked += payload.length;
      if (call.unacked >= STREAM_WINDOW / 2) {
        this.#append(encodeWindowUpdate(streamId, call.unacked));
        call.unacked = 0;
      }
    }
    call.onData(data, endStream);
    if (endStream) this.#pump();
  }

  #onHeadersFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) throw new H2ProtocolError(H2_ERROR.protocolError, "HEADERS on stream 0");
    const fragment = framePayload(FRAME.headers, flags, payload);
    if ((flags & FLAG.endHeaders) === 0) {
      this.#blockStream = streamId;
      this.#blockFlags = flags;
      this.#blockParts = [Buffer.from(fragment)];
      return;
    }
    this.#onHeaderBlock(flags, streamId, fragment);
  }

  #onContinuation(flags: number, streamId: number, payload: Buffer): void {
    if (this.#blockStream === 0 || streamId !== this.#blockStream) {
      throw new H2ProtocolError(H2_ERROR.protocolError, "CONTINUATION outside a header block");
    }
    this.#blockParts.push(Buffer.from(payload));
    if ((flags & FLAG.endHeaders) === 0) return;
    const block = Buffer.concat(this.#blockParts);
    this.#blockStream = 0;
    this.#blockParts = [];
    this.#onHeaderBlock(this.#blockFlags, streamId, block);
  }

  #onHeaderBlock(flags: number, streamId: number, block: Buffer): void {
    const headers = this.#headers;
    headers.reset();
    // Decoded even for a stream already gone: the dynamic table must follow the server's.
    this.#decoder.decode(block, headers);
    const call = this.#active.get(streamId);
    if (call === undefined) return;
    const endStream = (flags & FLAG.endStream) !== 0;
    if (endStream) this.#endResponse(call);
    call.onHeaders(headers, endStream);
    if (endStream) this.#pump();
  }

  #onRstStream(streamId: number, payload: Buffer): void {
    if (streamId === 0 || payload.length !== 4) {
      throw new H2ProtocolError(H2_ERROR.protocolError, "malformed RST_STREAM");
    }
    const call = this.#active.get(streamId);
    if (call === undefined) return;
    this.#endStream(call);
    call.onReset(payload.readUInt32BE(0));
    this.#pump();
  }

  #onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0) throw new H2ProtocolError(H2_ERROR.protocolError, "SETTINGS on a stream");
    if (flags & FLAG.ack) return;
    if (payload.length % 6 !== 0) {
      throw new H2ProtocolError(
        H2_ERROR.frameSizeError,
        "SETTINGS of a length not a multiple of 6",
      );
    }
    let windowDelta = 0;
    for (let i = 0; i < payload.length; i += 6) {
      const id = payload.readUInt16BE(i);
      const value = payload.readUInt32BE(i + 2);
      if (id === SETTING.maxConcurrentStreams) {
        this.#maxConcurrent = value;
      } else if (id === SETTING.initialWindowSize) {
        if (value > MAX_WINDOW) {
          throw new H2ProtocolError(H2_ERROR.flowControlError, "INITIAL_WINDOW_SIZE above 2^31-1");
        }
        windowDelta += value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
      } else if (id === SETTING.maxFrameSize) {
        if (value < DEFAULT_MAX_FRAME_SIZE || value > 16_777_215) {
          throw new H2ProtocolError(H2_ERROR.protocolError, `MAX_FRAME_SIZE ${value} out of range`);
        }
        this.#peerMaxFrameSize = value;
      } else if (id === SETTING.enablePush && value > 1) {
        throw new H2ProtocolError(H2_ERROR.protocolError, "ENABLE_PUSH above 1");
      }
      // HEADER_TABLE_SIZE limits the server's decoder; this client never indexes, so it needs
      // no table. MAX_HEADER_LIST_SIZE and unknown settings are advisory.
    }
    this.#append(encodeSettingsAck());
    if (windowDelta !== 0) {
      // §6.9.2: the change applies to every open stream's window.
      for (const call of this.#active.values()) call.sendWindow += windowDelta;
    }
    if (!this.#ready) {
      this.#ready = true;
      if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
    }
    if (windowDelta > 0) this.#resumeBlocked();
    this.#pump();
  }

  #onPing(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0 || payload.length !== 8) {
      throw new H2ProtocolError(H2_ERROR.protocolError, "malformed PING");
    }
    if (flags & FLAG.ack) {
      this.#pingSentAt = -1;
      return;
    }
    const at = this.#reserve(FRAME_HEADER_LENGTH + 8);
    writeFrameHeader(this.#slab, at, 8, FRAME.ping, FLAG.ack, 0);
    payload.copy(this.#slab, at + FRAME_HEADER_LENGTH);
  }

  #onGoaway(streamId: number, payload: Buffer): void {
    if (streamId !== 0 || payload.length < 8) {
      throw new H2ProtocolError(H2_ERROR.protocolError, "malformed GOAWAY");
    }
    const last = payload.readUInt32BE(0) & 0x7fffffff;
    // Streams above the last one were not processed: they fail as refused (§6.8); the others
    // complete on this connection.
    const refused: H2Call[] = [];
    for (const [id, call] of this.#active) if (id > last) refused.push(call);
    for (const call of refused) this.#endStream(call);
    this.#retire();
    for (const call of refused) call.onFailure("refused");
    if (this.#active.size === 0) this.#end();
  }

  #onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) {
      throw new H2ProtocolError(H2_ERROR.frameSizeError, "WINDOW_UPDATE of a length other than 4");
    }
    const increment = payload.readUInt32BE(0) & 0x7fffffff;
    if (streamId === 0) {
      if (increment === 0) throw new H2ProtocolError(H2_ERROR.protocolError, "WINDOW_UPDATE of 0");
      this.#sendWindow += increment;
      if (this.#sendWindow > MAX_WINDOW) {
        throw new H2ProtocolError(H2_ERROR.flowControlError, "connection window above 2^31-1");
      }
      this.#resumeBlocked();
      return;
    }
    const call = this.#active.get(streamId);
    if (call === undefined || increment === 0) return;
    call.sendWindow += increment;
    if (this.#blocked.includes(call)) {
      this.#blocked.splice(this.#blocked.indexOf(call), 1);
      this.#sendBody(call);
    }
  }

  // ---- stream and connection ends ----

  /**
   * The response ended (END_STREAM). A request body still waiting for window is abandoned with
   * RST_STREAM, so the server can drop the stream (RFC 9113 §8.1).
   */
  #endResponse(call: H2Call): void {
    const unsent = call.bodyOffset < call.body.length;
    const id = call.streamId;
    this.#endStream(call);
    if (unsent && !this.#closed) this.#append(encodeRstStream(id, H2_ERROR.noError));
  }

  #endStream(call: H2Call): void {
    this.#active.delete(call.streamId);
    call.connection = undefined;
    if (this.#blocked.length > 0) {
      const i = this.#blocked.indexOf(call);
      if (i >= 0) this.#blocked.splice(i, 1);
    }
    if (!this.#accepting && this.#active.size === 0) this.#end();
  }

  /** Takes no new calls; hands the queued ones back to the owner. */
  #retire(): void {
    if (!this.#accepting) return;
    this.#accepting = false;
    const unsent = this.#queue;
    this.#queue = [];
    for (const call of unsent) call.connection = undefined;
    this.events.onRetire(this, unsent);
  }

  /** A connection retired with nothing in flight closes politely. */
  #end(): void {
    if (this.#closed) return;
    this.#append(encodeGoaway(0, H2_ERROR.noError));
    this.#flush();
    this.#closed = true;
    this.#stopTimers();
    this.#socket.end();
    this.events.onClose(this);
  }

  #protocolError(code: number, error: Error): void {
    if (this.#closed) return;
    this.#append(encodeGoaway(0, code));
    this.#flush();
    this.#fail(error, "other");
  }

  /** The connection is gone: every call it holds fails. */
  #fail(error: Error | undefined, errorClass?: TransportErrorClass): void {
    const wasClosed = this.#closed;
    this.#closed = true;
    this.#stopTimers();
    if (!this.#socket.destroyed) this.#socket.destroy();
    if (wasClosed && this.#active.size === 0 && this.#queue.length === 0) {
      this.#retire();
      return;
    }
    this.events.onClose(this);
    const failure = errorClass ?? (error === undefined ? "reset" : classifyTransportError(error));
    const calls = [...this.#active.values(), ...this.#queue];
    this.#active.clear();
    this.#queue = [];
    this.#blocked = [];
    this.#retire();
    for (const call of calls) {
      call.connection = undefined;
      call.onFailure(failure);
    }
  }

  #stopTimers(): void {
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    if (this.#keepalive !== undefined) clearInterval(this.#keepalive);
    this.#connectTimer = undefined;
    this.#keepalive = undefined;
  }
}

const SETTINGS_ACK = Buffer.from([0, 0, 0, FRAME.settings, FLAG.ack, 0, 0, 0, 0]);

function encodeSettingsAck(): Buffer {
  return SETTINGS_ACK;
}
