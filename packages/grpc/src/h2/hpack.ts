// HPACK (RFC 7541) for the HTTP/2 client: a request header block encoder (literals without
// indexing, no Huffman: the block is built once and reused) and a full response decoder (static
// and dynamic table, Huffman strings, dynamic table size updates).
import { Buffer } from "node:buffer";

/** A decoding failure: the connection must end with COMPRESSION_ERROR (RFC 9113 §4.3). */
export class HpackError extends Error {
  override readonly name = "HpackError";
}

/** RFC 7541 Appendix A: the static table, index 1..61. */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/**
 * RFC 7541 Appendix B: the Huffman code length of each symbol (0..255, then EOS = 256). The code
 * is canonical: codes of one length are consecutive in symbol order, so the lengths define it.
 */
// prettier-ignore
const HUFFMAN_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28,
  28, 28, 28, 28, 28, 28, 28, 28, 6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5,
  6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6,
  7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23,
  23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22,
  22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22,
  23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27,
  27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25,
  24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26, 30,
];

const EOS = 256;

/** The canonical Huffman codes: `[code, length]` per symbol. */
export function huffmanCodes(): Array<[number, number]> {
  const order = HUFFMAN_LENGTHS.map((_, symbol) => symbol).sort(
    (a, b) => (HUFFMAN_LENGTHS[a] as number) - (HUFFMAN_LENGTHS[b] as number) || a - b,
  );
  const codes: Array<[number, number]> = [];
  let code = 0;
  let previous = HUFFMAN_LENGTHS[order[0] as number] as number;
  for (const symbol of order) {
    const length = HUFFMAN_LENGTHS[symbol] as number;
    code *= 2 ** (length - previous);
    previous = length;
    codes[symbol] = [code, length];
    code++;
  }
  return codes;
}

/**
 * The Huffman decoder as a state machine over 4-bit nibbles (a state is a node of the code tree):
 * for state s and nibble v, entry s*16+v holds the next state (bits 0..7), the symbol emitted
 * (bits 8..15, when bit 16 is set), and bit 17 when the nibble decodes EOS (an error). A code is at
 * least 5 bits long, so a nibble completes at most one symbol. ACCEPTING[s] marks the states a
 * string may end in: the root, or a prefix of EOS (all ones) of at most 7 bits (§5.2).
 */
const { NIBBLE_TABLE, ACCEPTING } = buildHuffmanDecoder();

function buildHuffmanDecoder(): { NIBBLE_TABLE: Uint32Array; ACCEPTING: Uint8Array } {
  // The tree: children[node * 2 + bit] is a node (>= 0) or a leaf, -1 - symbol.
  const children: number[] = [0, 0];
  const depth: number[] = [0];
  const allOnes: boolean[] = [true];
  const codes = huffmanCodes();
  let nodes = 1;
  codes.forEach(([code, length], symbol) => {
    let node = 0;
    for (let i = length - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) % 2;
      const slot = node * 2 + bit;
      if (i === 0) {
        children[slot] = -1 - symbol;
        break;
      }
      let next = children[slot] as number;
      if (next <= 0) {
        next = nodes++;
        children[slot] = next;
        children[next * 2] = 0;
        children[next * 2 + 1] = 0;
        depth[next] = (depth[node] as number) + 1;
        allOnes[next] = (allOnes[node] as boolean) && bit === 1;
      }
      node = next;
    }
  });
  const table = new Uint32Array(nodes * 16);
  const accepting = new Uint8Array(nodes);
  for (let state = 0; state < nodes; state++) {
    accepting[state] =
      state === 0 || ((allOnes[state] as boolean) && (depth[state] as number) <= 7) ? 1 : 0;
    for (let nibble = 0; nibble < 16; nibble++) {
      let node = state;
      let entry = 0;
      for (let i = 3; i >= 0; i--) {
        const next = children[node * 2 + ((nibble >> i) & 1)] as number;
        if (next < 0) {
          const symbol = -1 - next;
          if (symbol === EOS) entry |= 1 << 17;
          else entry |= (1 << 16) | (symbol << 8);
          node = 0;
        } else {
          node = next;
        }
      }
      table[state * 16 + nibble] = entry | node;
    }
  }
  return { NIBBLE_TABLE: table, ACCEPTING: accepting };
}

const EMPTY = Buffer.alloc(0);
let scratch = Buffer.allocUnsafe(256);

/** Decodes a Huffman-coded string (RFC 7541 §5.2) from `buf[start, end)`. */
export function decodeHuffman(buf: Uint8Array, start: number, end: number): string {
  // At most 8/5 symbols per octet (the shortest code has 5 bits).
  const most = Math.ceil(((end - start) * 8) / 5);
  if (scratch.length < most) scratch = Buffer.allocUnsafe(most * 2);
  const out = scratch;
  let n = 0;
  let state = 0;
  for (let i = start; i < end; i++) {
    const byte = buf[i] as number;
    let entry = NIBBLE_TABLE[state * 16 + (byte >> 4)] as number;
    if (entry & (1 << 17)) throw new HpackError("Huffman string holds EOS");
    if (entry & (1 << 16)) out[n++] = (entry >> 8) & 0xff;
    state = entry & 0xff;
    entry = NIBBLE_TABLE[state * 16 + (byte & 15)] as number;
    if (entry & (1 << 17)) throw new HpackError("Huffman string holds EOS");
    if (entry & (1 << 16)) out[n++] = (entry >> 8) & 0xff;
    state = entry & 0xff;
  }
  if (ACCEPTING[state] !== 1) throw new HpackError("Huffman string has invalid padding");
  return out.toString("latin1", 0, n);
}

/** Encodes `value` with the Huffman code (for tests and for callers that want it). */
export function encodeHuffman(value: string): Buffer {
  const codes = huffmanCodes();
  const bytes = Buffer.from(value, "latin1");
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    const [code, length] = codes[byte] as [number, number];
    for (let i = length - 1; i >= 0; i--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** i) % 2);
      bits++;
      if (bits === 8) {
        out.push(acc);
        acc = 0;
        bits = 0;
      }
    }
  }
  if (bits > 0) out.push(((acc << (8 - bits)) | ((1 << (8 - bits)) - 1)) & 0xff);
  return Buffer.from(out);
}

/** Appends an HPACK integer (§5.1) with an `n`-bit prefix whose high bits are `first`. */
function pushInteger(out: number[], first: number, n: number, value: number): void {
  const max = (1 << n) - 1;
  if (value < max) {
    out.push(first | value);
    return;
  }
  out.push(first | max);
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
}

function pushString(out: number[], value: string): void {
  const bytes = Buffer.from(value, "latin1");
  pushInteger(out, 0, 7, bytes.length);
  for (const byte of bytes) out.push(byte);
}

const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], i) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, i + 1);
});

/**
 * A header block of literal fields without indexing (§6.2.2), names from the static table where
 * it has them; no Huffman. It leaves the peer's dynamic table alone, so one block serves every
 * request on every connection.
 */
export function encodeHeaderBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const index = STATIC_NAME_INDEX.get(name);
    if (index !== undefined) {
      pushInteger(out, 0x00, 4, index);
    } else {
      out.push(0x00);
      pushString(out, name);
    }
    pushString(out, value);
  }
  return Buffer.from(out);
}

/** Receives the fields of a decoded header block, in order. */
export interface HeaderSink {
  header(name: string, value: string): void;
  /**
   * Optional: false for a field the sink ignores. The value of such a field is then skipped
   * undecoded, unless the field enters the dynamic table.
   */
  wants?(name: string): boolean;
}

/** RFC 7541 §4.1: an entry's size is its name and value octets plus 32. */
const ENTRY_OVERHEAD = 32;

/**
 * The response side: decodes header blocks and keeps the dynamic table. `maxTableSize` is the
 * SETTINGS_HEADER_TABLE_SIZE this endpoint advertised: the limit a size update may ask for.
 */
export class HpackDecoder {
  // The dynamic table as a ring of names and values; entry 0 (index 62) is the newest.
  #names: string[] = [];
  #values: string[] = [];
  #sizes: number[] = [];
  #head = 0;
  #count = 0;
  #size = 0;
  #capacity: number;

  constructor(readonly maxTableSize = 4096) {
    this.#capacity = maxTableSize;
  }

  /** The dynamic table's current size in octets (§4.1), for tests. */
  get tableSize(): number {
    return this.#size;
  }

  /** The dynamic table's entries, newest first, for tests. */
  tableEntries(): Array<[string, string]> {
    const entries: Array<[string, string]> = [];
    for (let i = 0; i < this.#count; i++) {
      const slot = this.#slot(i);
      entries.push([this.#names[slot] as string, this.#values[slot] as string]);
    }
    return entries;
  }

  #slot(i: number): number {
    const ring = this.#names.length;
    return (this.#head + i) % ring;
  }

  #evictTo(limit: number): void {
    while (this.#size > limit && this.#count > 0) {
      const slot = this.#slot(this.#count - 1);
      this.#size -= this.#sizes[slot] as number;
      this.#count--;
    }
  }

  #add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.#evictTo(this.#capacity - size);
    if (size > this.#capacity) return; // §4.4: the table is emptied and nothing is added.
    let ring = this.#names.length;
    if (this.#count === ring) {
      // Grow the ring, keeping newest-first order from slot 0.
      const names: string[] = [];
      const values: string[] = [];
      const sizes: number[] = [];
      for (let i = 0; i < this.#count; i++) {
        const slot = this.#slot(i);
        names.push(this.#names[slot] as string);
        values.push(this.#values[slot] as string);
        sizes.push(this.#sizes[slot] as number);
      }
      ring = Math.max(16, ring * 2);
      for (let i = this.#count; i < ring; i++) {
        names.push("");
        values.push("");
        sizes.push(0);
      }
      this.#names = names;
      this.#values = values;
      this.#sizes = sizes;
      this.#head = 0;
    }
    this.#head = (this.#head - 1 + ring) % ring;
    this.#names[this.#head] = name;
    this.#values[this.#head] = value;
    this.#sizes[this.#head] = size;
    this.#count++;
    this.#size += size;
  }

  #name(index: number): string {
    if (index <= 0) throw new HpackError("header index 0");
    if (index <= STATIC_TABLE.length)
      return (STATIC_TABLE[index - 1] as readonly [string, string])[0];
    const i = index - STATIC_TABLE.length - 1;
    if (i >= this.#count) throw new HpackError(`header index ${index} beyond the tables`);
    return this.#names[this.#slot(i)] as string;
  }

  #value(index: number): string {
    if (index <= STATIC_TABLE.length)
      return (STATIC_TABLE[index - 1] as readonly [string, string])[1];
    return this.#values[this.#slot(index - STATIC_TABLE.length - 1)] as string;
  }

  #block: Buffer = Buffer.alloc(0);
  #pos = 0;
  #end = 0;

  /** §5.1: an integer whose first octet is `first`, with an `n`-bit prefix. */
  #readInt(first: number, n: number): number {
    const max = (1 << n) - 1;
    let value = first & max;
    if (value < max) return value;
    let shift = 1;
    for (;;) {
      if (this.#pos >= this.#end) throw new HpackError("integer runs past the block");
      const byte = this.#block[this.#pos++] as number;
      value += (byte & 127) * shift;
      if ((byte & 128) === 0) return value;
      shift *= 128;
      if (shift > 2 ** 28) throw new HpackError("integer too large");
    }
  }

  /** §5.2: a string literal, Huffman-coded or raw. */
  #readString(): string {
    if (this.#pos >= this.#end) throw new HpackError("string runs past the block");
    const first = this.#block[this.#pos++] as number;
    const length = this.#readInt(first, 7);
    const start = this.#pos;
    const stop = start + length;
    if (stop > this.#end) throw new HpackError("string runs past the block");
    this.#pos = stop;
    return first & 128
      ? decodeHuffman(this.#block, start, stop)
      : this.#block.toString("latin1", start, stop);
  }

  #skipString(): void {
    if (this.#pos >= this.#end) throw new HpackError("string runs past the block");
    const length = this.#readInt(this.#block[this.#pos++] as number, 7);
    if (this.#pos + length > this.#end) throw new HpackError("string runs past the block");
    this.#pos += length;
  }

  /** Decodes one complete header block (the HEADERS frame's fragment plus CONTINUATIONs). */
  decode(block: Buffer, sink: HeaderSink): void {
    this.#block = block;
    this.#pos = 0;
    this.#end = block.length;
    let fieldsSeen = false;
    while (this.#pos < this.#end) {
      const first = block[this.#pos++] as number;
      if (first & 128) {
        // §6.1 indexed field.
        const index = this.#readInt(first, 7);
        sink.header(this.#name(index), this.#value(index));
        fieldsSeen = true;
      } else if (first & 64) {
        // §6.2.1 literal with incremental indexing.
        const index = this.#readInt(first, 6);
        const name = index === 0 ? this.#readString() : this.#name(index);
        const value = this.#readString();
        this.#add(name, value);
        sink.header(name, value);
        fieldsSeen = true;
      } else if (first & 32) {
        // §6.3 dynamic table size update: only at the start of a block (§4.2).
        if (fieldsSeen) throw new HpackError("table size update after a header field");
        const size = this.#readInt(first, 5);
        if (size > this.maxTableSize) {
          throw new HpackError(
            `table size update to ${size} above the ${this.maxTableSize} allowed`,
          );
        }
        this.#capacity = size;
        this.#evictTo(size);
      } else {
        // §6.2.2 without indexing, §6.2.3 never indexed: a 4-bit prefix.
        const index = this.#readInt(first, 4);
        const name = index === 0 ? this.#readString() : this.#name(index);
        if (sink.wants === undefined || sink.wants(name)) sink.header(name, this.#readString());
        else this.#skipString();
        fieldsSeen = true;
      }
    }
    this.#block = EMPTY;
  }
}
