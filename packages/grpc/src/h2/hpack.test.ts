import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import {
  HpackDecoder,
  HpackError,
  decodeHuffman,
  encodeHeaderBlock,
  encodeHuffman,
  huffmanCodes,
} from "./hpack.js";

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ""), "hex");

function decodeAll(decoder: HpackDecoder, block: Buffer): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  decoder.decode(block, { header: (name, value) => fields.push([name, value]) });
  return fields;
}

// RFC 7541 Appendix C.3 (plain) and C.4 (Huffman): three requests on one connection.
const REQUESTS: Array<{ plain: string; huffman: string; fields: Array<[string, string]> }> = [
  {
    plain: "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    huffman: "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
    fields: [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
    ],
  },
  {
    plain: "8286 84be 5808 6e6f 2d63 6163 6865",
    huffman: "8286 84be 5886 a8eb 1064 9cbf",
    fields: [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
      ["cache-control", "no-cache"],
    ],
  },
  {
    plain: "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    huffman: "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    fields: [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ],
  },
];
const REQUEST_TABLES: Array<{ entries: Array<[string, string]>; size: number }> = [
  { entries: [[":authority", "www.example.com"]], size: 57 },
  {
    entries: [
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ],
    size: 110,
  },
  {
    entries: [
      ["custom-key", "custom-value"],
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ],
    size: 164,
  },
];

// C.5 (plain) and C.6 (Huffman): three responses with a 256-octet table, so entries are evicted.
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const RESPONSES: Array<{ plain: string; huffman: string; fields: Array<[string, string]> }> = [
  {
    plain:
      "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
    huffman:
      "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
    fields: [
      [":status", "302"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["location", "https://www.example.com"],
    ],
  },
  {
    plain: "4803 3330 37c1 c0bf",
    huffman: "4883 640e ffc1 c0bf",
    fields: [
      [":status", "307"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["location", "https://www.example.com"],
    ],
  },
  {
    plain:
      "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
    huffman:
      "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
    fields: [
      [":status", "200"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
      ["location", "https://www.example.com"],
      ["content-encoding", "gzip"],
      ["set-cookie", COOKIE],
    ],
  },
];
const RESPONSE_TABLES: Array<{ entries: Array<[string, string]>; size: number }> = [
  {
    entries: [
      ["location", "https://www.example.com"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["cache-control", "private"],
      [":status", "302"],
    ],
    size: 222,
  },
  {
    entries: [
      [":status", "307"],
      ["location", "https://www.example.com"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["cache-control", "private"],
    ],
    size: 222,
  },
  {
    entries: [
      ["set-cookie", COOKIE],
      ["content-encoding", "gzip"],
      ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
    ],
    size: 215,
  },
];

describe("HPACK decoder (RFC 7541 Appendix C)", () => {
  it.each(["plain", "huffman"] as const)(
    "decodes the request examples (%s) and keeps the dynamic table as C.3/C.4 show",
    (coding) => {
      const decoder = new HpackDecoder(4096);
      REQUESTS.forEach((request, i) => {
        expect(decodeAll(decoder, hex(request[coding]))).toEqual(request.fields);
        expect(decoder.tableEntries()).toEqual(REQUEST_TABLES[i]?.entries);
        expect(decoder.tableSize).toBe(REQUEST_TABLES[i]?.size);
      });
    },
  );

  it.each(["plain", "huffman"] as const)(
    "decodes the response examples (%s) with a 256-octet table, evicting as C.5/C.6 show",
    (coding) => {
      const decoder = new HpackDecoder(256);
      RESPONSES.forEach((response, i) => {
        expect(decodeAll(decoder, hex(response[coding]))).toEqual(response.fields);
        expect(decoder.tableEntries()).toEqual(RESPONSE_TABLES[i]?.entries);
        expect(decoder.tableSize).toBe(RESPONSE_TABLES[i]?.size);
      });
    },
  );

  it("applies a table size update at the start of a block: shrinking evicts, 0 empties", () => {
    const decoder = new HpackDecoder(256);
    decodeAll(decoder, hex(RESPONSES[0]?.plain ?? ""));
    expect(decoder.tableSize).toBe(222);
    // 0x3f 0x51 = size update to 31 + 81 = 112: keeps the newest entries that fit (location 63).
    decodeAll(decoder, hex("3f51"));
    expect(decoder.tableEntries()).toEqual([["location", "https://www.example.com"]]);
    // Update to 0, then back to 256, then an indexed static field.
    expect(decodeAll(decoder, hex("20 3fe1 01 88"))).toEqual([[":status", "200"]]);
    expect(decoder.tableEntries()).toEqual([]);
    // An entry larger than the whole table empties it and is not added (§4.4).
    decodeAll(decoder, hex("3f11")); // size 48
    decodeAll(decoder, hex("400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"));
    expect(decoder.tableEntries()).toEqual([]);
  });

  it("refuses a size update above the advertised limit, one after a field, and bad indexes", () => {
    expect(() => decodeAll(new HpackDecoder(256), hex("3fe2 01"))).toThrow(HpackError); // 257
    expect(() => decodeAll(new HpackDecoder(256), hex("88 20"))).toThrow(HpackError);
    expect(() => decodeAll(new HpackDecoder(4096), hex("be"))).toThrow(HpackError); // 62, empty table
    expect(() => decodeAll(new HpackDecoder(4096), hex("80"))).toThrow(HpackError); // index 0
    expect(() => decodeAll(new HpackDecoder(4096), hex("0f"))).toThrow(HpackError); // cut integer
    expect(() => decodeAll(new HpackDecoder(4096), hex("4005 6162"))).toThrow(HpackError); // cut string
  });

  it("decodes literals without indexing and never indexed, leaving the table alone", () => {
    const decoder = new HpackDecoder(4096);
    // C.2.2 (without indexing, :path /sample/path) and C.2.3 (never indexed password: secret).
    expect(
      decodeAll(
        decoder,
        hex("040c 2f73 616d 706c 652f 7061 7468 1008 7061 7373 776f 7264 0673 6563 7265 74"),
      ),
    ).toEqual([
      [":path", "/sample/path"],
      ["password", "secret"],
    ]);
    expect(decoder.tableEntries()).toEqual([]);
  });

  it("skips the values a sink does not want, still indexing what the block adds", () => {
    const decoder = new HpackDecoder(256);
    const fields: Array<[string, string]> = [];
    const sink = {
      header: (name: string, value: string) => fields.push([name, value]),
      wants: (name: string) => name === ":status" || name === "password",
    };
    // C.2.2 and C.2.3 (not indexed: :path skipped) then C.5.1 (indexed: all enter the table).
    decoder.decode(
      hex("040c 2f73 616d 706c 652f 7061 7468 1008 7061 7373 776f 7264 0673 6563 7265 74"),
      sink,
    );
    decoder.decode(hex(RESPONSES[0]?.plain ?? ""), sink);
    expect(fields.slice(0, 2)).toEqual([
      ["password", "secret"],
      [":status", "302"],
    ]);
    expect(decoder.tableEntries()).toEqual(RESPONSE_TABLES[0]?.entries);
  });
});

describe("Huffman code (RFC 7541 Appendix B)", () => {
  it("builds the canonical codes the appendix lists", () => {
    const codes = huffmanCodes();
    expect(codes).toHaveLength(257);
    expect(codes[0]).toEqual([0x1ff8, 13]);
    expect(codes[48]).toEqual([0x0, 5]); // '0'
    expect(codes[97]).toEqual([0x3, 5]); // 'a'
    expect(codes[92]).toEqual([0x7fff0, 19]); // '\'
    expect(codes[255]).toEqual([0x3ffffee, 26]);
    expect(codes[256]).toEqual([0x3fffffff, 30]); // EOS
  });

  it("decodes what it encodes, for every octet", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("latin1");
    const coded = encodeHuffman(all);
    expect(decodeHuffman(coded, 0, coded.length)).toBe(all);
    expect(decodeHuffman(Buffer.alloc(0), 0, 0)).toBe("");
  });

  it("refuses padding that is not a prefix of EOS, padding of 8 bits or more, and EOS", () => {
    // 'a' is 00011: padded with ones -> 0x1f; with zeros -> 0x18 (invalid).
    expect(decodeHuffman(Buffer.from([0x1f]), 0, 1)).toBe("a");
    expect(() => decodeHuffman(Buffer.from([0x18]), 0, 1)).toThrow(HpackError);
    expect(() => decodeHuffman(Buffer.from([0x1f, 0xff]), 0, 2)).toThrow(HpackError);
    expect(() => decodeHuffman(Buffer.from([0xff, 0xff, 0xff, 0xff]), 0, 4)).toThrow(HpackError);
  });
});

describe("request header blocks", () => {
  it("encodes literals without indexing that a decoder reads back, table untouched", () => {
    const fields: Array<[string, string]> = [
      [":method", "POST"],
      [":path", "/helloworld.Greeter/SayHello"],
      ["content-type", "application/grpc"],
      ["x-long", "v".repeat(300)],
      ["trace-bin", "AAEC"],
    ];
    const block = encodeHeaderBlock(fields);
    const decoder = new HpackDecoder(4096);
    expect(decodeAll(decoder, block)).toEqual(fields);
    expect(decoder.tableEntries()).toEqual([]);
    // :method has static index 2: literal without indexing, 4-bit prefix, so the first octet is 0x02.
    expect(block[0]).toBe(0x02);
  });
});
