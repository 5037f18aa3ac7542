import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  FLAG,
  FRAME,
  FrameReader,
  H2ProtocolError,
  encodeFrame,
  encodeGoaway,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  framePayload,
} from "./frames.js";

interface Seen {
  type: number;
  flags: number;
  streamId: number;
  payload: string;
}

function reader(): { reader: FrameReader; seen: Seen[] } {
  const seen: Seen[] = [];
  const r = new FrameReader({
    onFrame: (type, flags, streamId, payload) =>
      // The payload is a view valid during the call only: copy it out.
      seen.push({ type, flags, streamId, payload: payload.toString("hex") }),
  });
  return { reader: r, seen };
}

/** A deterministic pseudo-random sequence (xorshift), so a failure can be replayed. */
function* randomCuts(seed: number, length: number): Generator<number> {
  let x = seed;
  let at = 0;
  while (at < length) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const step = 1 + ((x >>> 0) % 40);
    at = Math.min(length, at + step);
    yield at;
  }
}

const FRAMES = [
  encodeSettings([
    [0x3, 100],
    [0x4, 1 << 20],
  ]),
  encodeFrame(FRAME.headers, FLAG.endHeaders, 1, Buffer.from("88c1", "hex")),
  encodeFrame(FRAME.data, 0, 1, Buffer.alloc(0)),
  encodeFrame(FRAME.data, FLAG.endStream, 1, Buffer.from("0000000005hello")),
  encodeFrame(FRAME.data, 0, 3, Buffer.alloc(16_384, 7)),
  encodeWindowUpdate(0, 12345),
  encodeRstStream(3, 8),
  encodeGoaway(3, 0),
];
const STREAM = Buffer.concat(FRAMES);
const EXPECTED: Seen[] = FRAMES.map((frame) => ({
  type: frame[3] as number,
  flags: frame[4] as number,
  streamId: frame.readUInt32BE(5),
  payload: frame.subarray(9).toString("hex"),
}));

describe("FrameReader", () => {
  it("reads frames from one chunk", () => {
    const { reader: r, seen } = reader();
    r.push(STREAM);
    expect(seen).toEqual(EXPECTED);
  });

  it("reads the same frames when every byte arrives alone", () => {
    const { reader: r, seen } = reader();
    for (let i = 0; i < STREAM.length; i++) r.push(STREAM.subarray(i, i + 1));
    expect(seen).toEqual(EXPECTED);
  });

  it.each([1, 2, 3, 42, 1234, 99991])(
    "reads the same frames across random cuts (seed %i)",
    (seed) => {
      const { reader: r, seen } = reader();
      let from = 0;
      for (const to of randomCuts(seed, STREAM.length)) {
        // A copy, so a reader that kept a view of an earlier chunk would see garbage.
        r.push(Buffer.from(STREAM.subarray(from, to)));
        from = to;
      }
      expect(seen).toEqual(EXPECTED);
    },
  );

  it("reads frames split inside their 9-byte header", () => {
    const { reader: r, seen } = reader();
    r.push(STREAM.subarray(0, 4));
    r.push(STREAM.subarray(4, 8));
    r.push(STREAM.subarray(8));
    expect(seen).toEqual(EXPECTED);
  });

  it("refuses a frame larger than its SETTINGS_MAX_FRAME_SIZE", () => {
    const { reader: r } = reader();
    expect(() => r.push(encodeFrame(FRAME.data, 0, 1, Buffer.alloc(16_385)))).toThrow(
      H2ProtocolError,
    );
  });
});

describe("framePayload", () => {
  it("strips the padding of a PADDED DATA frame", () => {
    const payload = Buffer.from([3, 0x61, 0x62, 0, 0, 0]);
    expect(framePayload(FRAME.data, FLAG.padded, payload).toString()).toBe("ab");
  });

  it("strips padding and the PRIORITY fields of a HEADERS frame", () => {
    const payload = Buffer.from([2, 0, 0, 0, 1, 16, 0x88, 0, 0]);
    expect(framePayload(FRAME.headers, FLAG.padded | FLAG.priority, payload)).toEqual(
      Buffer.from([0x88]),
    );
    expect(framePayload(FRAME.headers, FLAG.priority, Buffer.from([0, 0, 0, 1, 16, 0x88]))).toEqual(
      Buffer.from([0x88]),
    );
  });

  it("refuses padding longer than the frame", () => {
    expect(() => framePayload(FRAME.data, FLAG.padded, Buffer.from([5, 1, 2]))).toThrow(
      H2ProtocolError,
    );
  });
});
