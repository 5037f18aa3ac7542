import type { Buffer } from "node:buffer";
import { randomInt as cryptoRandomInt, randomUUID } from "node:crypto";
import protobuf from "protobufjs";
import protojson from "protobufjs/ext/protojson.js";
import { compileTemplate } from "@iter8/providers/template";
import type { CompiledTemplate, TemplateFunction } from "@iter8/providers/template";
import { GrpcError } from "./errors.js";
import { encodeFrame } from "./framing.js";

/** ghz's call data that is the same for every call of a load (`{{.MethodName}}`, ...). */
export interface CallInfo {
  FullyQualifiedName: string;
  MethodName: string;
  ServiceName: string;
  InputName: string;
  OutputName: string;
  IsClientStreaming: boolean;
  IsServerStreaming: boolean;
}

/**
 * The request messages of a load, as plain data a worker thread can receive: encoded once when
 * no string holds a template action, else the JSON values and the types to encode them per call.
 */
export type MessagePlan =
  | { kind: "encoded"; messages: Uint8Array[] }
  | {
      kind: "templated";
      values: unknown[];
      /** The definition as protobufjs JSON (`Root.toJSON()`). */
      root: protobuf.INamespace;
      /** Full name of the request type. */
      requestType: string;
    };

/** Request metadata: name and value pairs; values may hold template actions. */
export interface MetadataPlan {
  entries: Array<[string, string]>;
  templated: boolean;
}

const ACTION = /\{\{/;

/** ghz's template functions (runner/calldata.go). */
const CHARSET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
export const GHZ_FUNCTIONS: Record<string, TemplateFunction> = {
  newUUID: () => randomUUID(),
  /** `randomString N`: N characters of [a-zA-Z0-9]; N <= 0: a random length from 2 to 16. */
  randomString: ([length]) => {
    let n = Math.trunc(Number(length));
    if (!(n > 0)) n = cryptoRandomInt(2, 17);
    let out = "";
    for (let i = 0; i < n; i++) out += CHARSET[cryptoRandomInt(CHARSET.length)];
    return out;
  },
  /** `randomInt MIN MAX`: an integer in [MIN, MAX) (MIN below 0 is 0; MAX <= 0 is 1). */
  randomInt: ([min, max]) => {
    let lo = Math.trunc(Number(min));
    let hi = Math.trunc(Number(max));
    if (!(lo >= 0)) lo = 0;
    if (!(hi > 0)) hi = 1;
    if (hi <= lo) return lo;
    return cryptoRandomInt(lo, hi);
  },
};

/** ghz's per-call template data: the call's number and time, and a fresh UUID. */
export function callData(info: CallInfo, requestNumber: number, workerId: string): object {
  const now = Date.now();
  const nano = BigInt(now) * 1_000_000n + BigInt(Math.floor((performance.now() % 1) * 1e6));
  return {
    ...info,
    WorkerID: workerId,
    RequestNumber: requestNumber,
    Timestamp: new Date(Math.floor(now / 1000) * 1000).toISOString().replace(".000Z", "Z"),
    TimestampUnix: Math.floor(now / 1000),
    TimestampUnixMilli: now,
    TimestampUnixNano: nano.toString(),
    UUID: randomUUID(),
  };
}

/** A JSON value whose strings with template actions are compiled (once per thread). */
type ValueTree =
  | { t: "plain"; value: unknown }
  | { t: "template"; template: CompiledTemplate }
  | { t: "array"; items: ValueTree[] }
  | { t: "object"; entries: Array<[string, ValueTree]> };

function compileValue(value: unknown, where: string): ValueTree {
  if (typeof value === "string") {
    if (!ACTION.test(value)) return { t: "plain", value };
    try {
      return { t: "template", template: compileTemplate(value, { functions: GHZ_FUNCTIONS }) };
    } catch (error) {
      throw new GrpcError("ITER8_GRPC_DATA", `${where}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileValue(item, `${where}[${i}]`));
    return items.every((item) => item.t === "plain")
      ? { t: "plain", value }
      : { t: "array", items };
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([key, item]): [string, ValueTree] => [
      key,
      compileValue(item, `${where}.${key}`),
    ]);
    return entries.every(([, item]) => item.t === "plain")
      ? { t: "plain", value }
      : { t: "object", entries };
  }
  return { t: "plain", value };
}

function renderValue(tree: ValueTree, data: object): unknown {
  switch (tree.t) {
    case "plain":
      return tree.value;
    case "template":
      return tree.template.render(data as Record<string, unknown>);
    case "array":
      return tree.items.map((item) => renderValue(item, data));
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [key, item] of tree.entries) out[key] = renderValue(item, data);
      return out;
    }
  }
}

/** True when some string in `value` holds a template action. */
export function hasTemplateActions(value: unknown): boolean {
  return compileValue(value, "data").t !== "plain";
}

/** Encodes one JSON message (protobuf JSON mapping); errors name `where` and the field. */
export function encodeJson(type: protobuf.Type, value: unknown, where: string): Uint8Array {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new GrpcError(
      "ITER8_GRPC_DATA",
      `${where}: a message must be a JSON object (of ${type.name}), got ${JSON.stringify(value)}`,
    );
  }
  try {
    return type.encode(protojson.fromJson(type, value)).finish();
  } catch (error) {
    throw new GrpcError(
      "ITER8_GRPC_DATA",
      `${where}: not a ${type.name}: ${(error as Error).message.replace(/^\./, "")}`,
      { cause: error },
    );
  }
}

/**
 * The request messages of each call, in each thread: pre-encoded frames, or rendered and encoded
 * per call when the data holds template actions (ghz renders per call, too).
 */
export class MessageSource {
  readonly count: number;
  readonly #frames: Buffer[] | undefined;
  readonly #trees: ValueTree[] | undefined;
  readonly #type: protobuf.Type | undefined;

  constructor(plan: MessagePlan) {
    if (plan.kind === "encoded") {
      this.#frames = plan.messages.map((message) => encodeFrame(message));
      this.count = this.#frames.length;
    } else {
      const root = protobuf.Root.fromJSON(plan.root);
      this.#type = root.lookupType(plan.requestType);
      this.#trees = plan.values.map((value, i) => compileValue(value, `data[${i}]`));
      this.count = this.#trees.length;
    }
  }

  /** True when every call sends the same bytes. */
  get isStatic(): boolean {
    return this.#frames !== undefined;
  }

  /** The framed message `index` (modulo the number of messages) with this call's template data. */
  frame(index: number, data: object | undefined): Buffer {
    const i = index % this.count;
    if (this.#frames) return this.#frames[i] as Buffer;
    const value = renderValue(this.#trees?.[i] as ValueTree, data ?? {});
    return encodeFrame(encodeJson(this.#type as protobuf.Type, value, `data[${i}]`));
  }
}

/** Metadata values rendered per call when they hold template actions. */
export class MetadataSource {
  readonly #static: Array<[string, string]>;
  readonly #templates: Array<[string, CompiledTemplate]>;

  constructor(plan: MetadataPlan) {
    this.#static = [];
    this.#templates = [];
    for (const [name, value] of plan.entries) {
      if (plan.templated && ACTION.test(value)) {
        this.#templates.push([name, compileTemplate(value, { functions: GHZ_FUNCTIONS })]);
      } else {
        this.#static.push([name, value]);
      }
    }
  }

  get isStatic(): boolean {
    return this.#templates.length === 0;
  }

  /** Adds the metadata to `headers`, rendering templated values with `data`. */
  addTo(headers: Record<string, string>, data: object | undefined): void {
    for (const [name, value] of this.#static) headers[name] = value;
    for (const [name, template] of this.#templates) {
      headers[name] = template.render((data ?? {}) as Record<string, unknown>);
    }
  }
}
