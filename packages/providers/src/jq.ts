/**
 * A documented subset of jq, enough for the `jqExpression`s of metric providers
 * (`.data.result[0].value[1] | tonumber` and similar). Supported:
 *
 * - paths: `.`, `.a`, `.a.b`, `."key"`, `.["key"]`, `.[0]`, `.[-1]`, `.a[0]`, `.a.[0]` (jq 1.7),
 *   `.[]` / `.a[]` (every element), `?` (suppress errors);
 * - literals: numbers, "strings", `true`, `false`, `null`; parentheses;
 * - pipes `|`, alternatives `a // b`, the comma `a, b`;
 * - functions: `tonumber`, `tostring`, `length`, `first`, `last`, `keys`, `add`, `floor`, `ceil`,
 *   `round`, `min`, `max`, `type`, `not`, `first(f)`, `last(f)`, `map(f)`, `select(f)`.
 *
 * Following jq, indexing `null` gives `null`, and an index past the end of an array gives `null`.
 * `tonumber` reads Prometheus' sample values, including `NaN`, `+Inf` and `-Inf`; unlike jq, it
 * passes `null` through, so a missing value reads as "no data" instead of an error.
 */
import { PROVIDER_ERROR_CODES, ProviderError } from "./errors.js";

type Ast =
  | { k: "identity" }
  | { k: "literal"; value: unknown }
  | { k: "key"; of: Ast; key: string }
  | { k: "index"; of: Ast; index: Ast }
  | { k: "each"; of: Ast }
  | { k: "try"; of: Ast }
  | { k: "pipe"; left: Ast; right: Ast }
  | { k: "comma"; left: Ast; right: Ast }
  | { k: "alt"; left: Ast; right: Ast }
  | { k: "call"; name: string; args: Ast[] };

type Tok =
  | { t: "dot" }
  | { t: "field"; name: string }
  | { t: "num"; value: number }
  | { t: "str"; value: string }
  | { t: "ident"; name: string }
  | { t: "op"; value: "|" | "," | "//" | "(" | ")" | "[" | "]" | "?" | ";" };

function lex(text: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\s+/.exec(rest))) {
      i += m[0].length;
    } else if (rest.startsWith("//")) {
      out.push({ t: "op", value: "//" });
      i += 2;
    } else if ((m = /^\.([A-Za-z_][\w]*)/.exec(rest))) {
      out.push({ t: "field", name: m[1] ?? "" });
      i += m[0].length;
    } else if ((m = /^\."((?:[^"\\]|\\.)*)"/.exec(rest))) {
      out.push({ t: "field", name: JSON.parse(`"${m[1] ?? ""}"`) as string });
      i += m[0].length;
    } else if (rest.startsWith(".")) {
      out.push({ t: "dot" });
      i += 1;
    } else if ((m = /^-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(rest))) {
      out.push({ t: "num", value: Number(m[0]) });
      i += m[0].length;
    } else if ((m = /^"((?:[^"\\]|\\.)*)"/.exec(rest))) {
      out.push({ t: "str", value: JSON.parse(`"${m[1] ?? ""}"`) as string });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_]\w*/.exec(rest))) {
      out.push({ t: "ident", name: m[0] });
      i += m[0].length;
    } else if ("|,()[]?;".includes(rest[0] ?? "")) {
      out.push({ t: "op", value: rest[0] as "|" });
      i += 1;
    } else {
      throw jqError(`unexpected "${rest[0] ?? ""}" at position ${i + 1} in ${text}`);
    }
  }
  return out;
}

const ARITY: Record<string, number[]> = {
  tonumber: [0],
  tostring: [0],
  length: [0],
  first: [0, 1],
  last: [0, 1],
  keys: [0],
  add: [0],
  floor: [0],
  ceil: [0],
  round: [0],
  min: [0],
  max: [0],
  type: [0],
  not: [0],
  map: [1],
  select: [1],
  empty: [0],
};

function parse(text: string): Ast {
  const toks = lex(text);
  let pos = 0;
  const fail = (what: string): never => {
    throw jqError(`${what} in jq expression ${text}`);
  };
  const peekOp = (value: string) => {
    const t = toks[pos];
    return t?.t === "op" && t.value === value;
  };
  const pipe = (): Ast => {
    let left = comma();
    while (peekOp("|")) {
      pos++;
      left = { k: "pipe", left, right: comma() };
    }
    return left;
  };
  const comma = (): Ast => {
    let left = alt();
    while (peekOp(",")) {
      pos++;
      left = { k: "comma", left, right: alt() };
    }
    return left;
  };
  const alt = (): Ast => {
    let left = postfix();
    while (peekOp("//")) {
      pos++;
      left = { k: "alt", left, right: postfix() };
    }
    return left;
  };
  const bracket = (of: Ast): Ast => {
    // after "[": "]" (each) or an index expression then "]"
    if (peekOp("]")) {
      pos++;
      return { k: "each", of };
    }
    const index = pipe();
    if (!peekOp("]")) fail('missing "]"');
    pos++;
    return { k: "index", of, index };
  };
  const postfix = (): Ast => {
    let node = primary();
    for (;;) {
      const t = toks[pos];
      if (t?.t === "field") {
        pos++;
        node = { k: "key", of: node, key: t.name };
      } else if (t?.t === "dot" && toks[pos + 1]?.t === "op" && peekAt(pos + 1, "[")) {
        pos += 2;
        node = bracket(node);
      } else if (peekOp("[")) {
        pos++;
        node = bracket(node);
      } else if (peekOp("?")) {
        pos++;
        node = { k: "try", of: node };
      } else return node;
    }
  };
  const peekAt = (at: number, value: string) => {
    const t = toks[at];
    return t?.t === "op" && t.value === value;
  };
  const primary = (): Ast => {
    const t = toks[pos++];
    if (!t) return fail("unexpected end");
    switch (t.t) {
      case "dot":
        if (peekOp("[")) {
          pos++;
          return bracket({ k: "identity" });
        }
        return { k: "identity" };
      case "field":
        return { k: "key", of: { k: "identity" }, key: t.name };
      case "num":
        return { k: "literal", value: t.value };
      case "str":
        return { k: "literal", value: t.value };
      case "ident": {
        if (t.name === "true" || t.name === "false")
          return { k: "literal", value: t.name === "true" };
        if (t.name === "null") return { k: "literal", value: null };
        const args: Ast[] = [];
        if (peekOp("(")) {
          pos++;
          args.push(pipe());
          while (peekOp(";")) {
            pos++;
            args.push(pipe());
          }
          if (!peekOp(")")) fail('missing ")"');
          pos++;
        }
        const arities = Object.hasOwn(ARITY, t.name) ? ARITY[t.name] : undefined;
        if (!arities) return fail(`unsupported function ${t.name}`);
        if (!arities.includes(args.length)) return fail(`${t.name}/${args.length} is not defined`);
        return { k: "call", name: t.name, args };
      }
      case "op":
        if (t.value === "(") {
          const inner = pipe();
          if (!peekOp(")")) fail('missing ")"');
          pos++;
          return inner;
        }
        return fail(`unexpected "${t.value}"`);
    }
  };
  const ast = pipe();
  if (pos < toks.length) fail("unexpected trailing input");
  return ast;
}

function typeOf(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

function describe(v: unknown): string {
  const text = JSON.stringify(v) ?? "null";
  return `${typeOf(v)} (${text.length > 40 ? `${text.slice(0, 40)}...` : text})`;
}

function truthy(v: unknown): boolean {
  return v !== null && v !== undefined && v !== false;
}

const PROMETHEUS_NUMBERS: Record<string, number> = {
  NaN: Number.NaN,
  "+Inf": Number.POSITIVE_INFINITY,
  Inf: Number.POSITIVE_INFINITY,
  "-Inf": Number.NEGATIVE_INFINITY,
};

function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string") {
    const special = PROMETHEUS_NUMBERS[v.trim()];
    if (special !== undefined) return special;
    if (v.trim() !== "" && !Number.isNaN(Number(v))) return Number(v);
  }
  throw jqError(`${describe(v)} cannot be parsed as a number`);
}

function evaluate(ast: Ast, input: unknown): unknown[] {
  switch (ast.k) {
    case "identity":
      return [input];
    case "literal":
      return [ast.value];
    case "key":
      return evaluate(ast.of, input).map((v) => {
        if (v === null || v === undefined) return null;
        if (typeof v !== "object" || Array.isArray(v)) {
          throw jqError(`cannot index ${describe(v)} with "${ast.key}"`);
        }
        const record = v as Record<string, unknown>;
        return Object.hasOwn(record, ast.key) ? record[ast.key] : null;
      });
    case "index":
      return evaluate(ast.of, input).flatMap((v) =>
        evaluate(ast.index, input).map((index) => {
          if (v === null || v === undefined) return null;
          if (Array.isArray(v) && typeof index === "number") {
            const list = v as unknown[];
            const at = Math.floor(index < 0 ? list.length + index : index);
            return at >= 0 && at < list.length ? list[at] : null;
          }
          if (typeof v === "object" && !Array.isArray(v) && typeof index === "string") {
            const record = v as Record<string, unknown>;
            return Object.hasOwn(record, index) ? record[index] : null;
          }
          throw jqError(`cannot index ${describe(v)} with ${JSON.stringify(index)}`);
        }),
      );
    case "each":
      return evaluate(ast.of, input).flatMap((v) => {
        if (Array.isArray(v)) return [...(v as unknown[])];
        if (v !== null && typeof v === "object") return Object.values(v as Record<string, unknown>);
        throw jqError(`cannot iterate over ${describe(v)}`);
      });
    case "try":
      try {
        return evaluate(ast.of, input);
      } catch (error) {
        if (error instanceof ProviderError) return [];
        throw error;
      }
    case "pipe":
      return evaluate(ast.left, input).flatMap((v) => evaluate(ast.right, v));
    case "comma":
      return [...evaluate(ast.left, input), ...evaluate(ast.right, input)];
    case "alt": {
      let left: unknown[] = [];
      try {
        left = evaluate(ast.left, input).filter(truthy);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
      }
      return left.length > 0 ? left : evaluate(ast.right, input);
    }
    case "call":
      return call(ast.name, ast.args, input);
  }
}

function call(name: string, args: Ast[], input: unknown): unknown[] {
  const arg = args[0];
  switch (name) {
    case "tonumber":
      // Deviation from jq: null stays null, so a value that is not there reads as "no data".
      return [input === null || input === undefined ? null : toNumber(input)];
    case "tostring":
      return [typeof input === "string" ? input : JSON.stringify(input)];
    case "length":
      if (input === null || input === undefined) return [0];
      if (typeof input === "string" || Array.isArray(input)) return [input.length];
      if (typeof input === "number") return [Math.abs(input)];
      if (typeof input === "object") return [Object.keys(input).length];
      throw jqError(`${describe(input)} has no length`);
    case "first":
      if (arg) return evaluate(arg, input).slice(0, 1);
      return evaluate(
        { k: "index", of: { k: "identity" }, index: { k: "literal", value: 0 } },
        input,
      );
    case "last":
      if (arg) return evaluate(arg, input).slice(-1);
      return evaluate(
        { k: "index", of: { k: "identity" }, index: { k: "literal", value: -1 } },
        input,
      );
    case "keys":
      if (Array.isArray(input)) return [input.map((_, i) => i)];
      if (input !== null && typeof input === "object") return [Object.keys(input).sort()];
      throw jqError(`${describe(input)} has no keys`);
    case "add": {
      if (!Array.isArray(input)) throw jqError(`cannot add the elements of ${describe(input)}`);
      const items = input.filter((v) => v !== null);
      if (items.length === 0) return [null];
      if (items.every((v) => typeof v === "number")) {
        return [items.reduce((a: number, b: number) => a + b, 0)];
      }
      if (items.every((v) => typeof v === "string")) return [items.join("")];
      throw jqError(`cannot add the elements of ${describe(input)}`);
    }
    case "floor":
    case "ceil":
    case "round":
      return [Math[name](toNumber(input))];
    case "min":
    case "max": {
      if (!Array.isArray(input)) throw jqError(`${name} needs an array, got ${describe(input)}`);
      if (input.length === 0) return [null];
      const nums = input.map(toNumber);
      return [name === "min" ? Math.min(...nums) : Math.max(...nums)];
    }
    case "type":
      return [typeOf(input)];
    case "not":
      return [!truthy(input)];
    case "empty":
      return [];
    case "map":
      if (!Array.isArray(input)) throw jqError(`cannot map over ${describe(input)}`);
      return [(input as unknown[]).flatMap((v) => evaluate(arg ?? { k: "identity" }, v))];
    case "select":
      return evaluate(arg ?? { k: "identity" }, input).some(truthy) ? [input] : [];
    default:
      throw jqError(`unsupported function ${name}`);
  }
}

function jqError(message: string): ProviderError {
  return new ProviderError(PROVIDER_ERROR_CODES.jq, message);
}

/** A parsed `jqExpression`: `run(input)` returns every output, as jq's stream does. */
export interface JqProgram {
  /** The expression as written. */
  readonly expression: string;
  /** Evaluates the expression against `input`; throws `ProviderError` (`ITER8_PROVIDER_JQ`) on a type error. */
  run(input: unknown): unknown[];
}

/** Parses a `jqExpression` (the subset described at the top of this file); throws `ITER8_PROVIDER_JQ`. */
export function compileJq(expression: string): JqProgram {
  const ast = parse(expression.trim());
  return { expression, run: (input) => evaluate(ast, input) };
}
