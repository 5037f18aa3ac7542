/**
 * A subset of Go's text/template (with a few sprig functions), enough for Iter8's provider
 * templates. Supported:
 *
 * - `{{ .name }}`, `{{ .a.b }}`, `{{ . }}`, `{{ $ }}`, `{{ $var }}`, `{{ $var.field }}`;
 *   literals: "strings", `raw strings`, numbers, true, false, nil; `( pipeline )`.
 * - Pipelines `{{ .x | default "d" | quote }}` (the value is passed as the last argument).
 * - `{{- ... -}}` whitespace trimming and `{{/* comments *\/}}`.
 * - `if` / `else if` / `else` / `end`, `range` (`range .list`, `range $v := .list`,
 *   `range $i, $v := .list`, maps in key order, `else`), `with`, `define` / `template`,
 *   variable declaration `$x := ...` and assignment `$x = ...`.
 * - Functions: include (Helm), default, empty, coalesce, not, and, or, eq, ne, lt, le, gt, ge, len, index, print,
 *   println, printf (%s %d %v %q %f %.Nf %%), quote, squote, upper, lower, trim, list, join, toString,
 *   toJson, int, float64, add, sub, mul, div, mod, addf, subf, mulf, divf.
 *
 * A variable that is not set is an error naming it when it is printed or passed to a function,
 * except as the test of `if`/`with`/`range` (where it counts as empty) and as an argument of
 * `default`, `empty`, `coalesce`, `not`, `and` and `or`.
 */
import { PROVIDER_ERROR_CODES, ProviderError } from "./errors.js";

/** Values a template reads: `values` merged with iter8's built-in variables. */
export type TemplateValues = Record<string, unknown>;

// --- lexing into text and actions -------------------------------------------------------------

type Segment = { kind: "text"; text: string } | { kind: "action"; text: string; line: number };

function splitSegments(source: string): Segment[] {
  const out: Segment[] = [];
  let pos = 0;
  let trimNext = false;
  while (pos < source.length) {
    const open = source.indexOf("{{", pos);
    let text = source.slice(pos, open === -1 ? source.length : open);
    if (trimNext) text = text.replace(/^\s+/, "");
    trimNext = false;
    if (open === -1) {
      out.push({ kind: "text", text });
      break;
    }
    let start = open + 2;
    if (/^- /.test(source.slice(start, start + 2)) || /^-[\t\r\n]/.test(source.slice(start))) {
      text = text.replace(/\s+$/, "");
      start += 1;
    }
    out.push({ kind: "text", text });
    const line = source.slice(0, open).split("\n").length;
    const close = findClose(source, start, line);
    let inner = source.slice(start, close);
    if (/\s-$/.test(inner)) {
      inner = inner.slice(0, -1);
      trimNext = true;
    }
    inner = inner.trim();
    if (!(inner.startsWith("/*") && inner.endsWith("*/"))) {
      out.push({ kind: "action", text: inner, line });
    }
    pos = close + 2;
  }
  return out;
}

// The end of an action, skipping `}}` inside string literals.
function findClose(source: string, from: number, line: number): number {
  let i = from;
  while (i < source.length) {
    const c = source[i];
    if (c === '"') {
      i++;
      while (i < source.length && source[i] !== '"') i += source[i] === "\\" ? 2 : 1;
    } else if (c === "`") {
      i = source.indexOf("`", i + 1);
      if (i === -1) break;
    } else if (c === "}" && source[i + 1] === "}") {
      return i;
    }
    i++;
  }
  throw templateError(`line ${line}: unclosed action (missing "}}")`);
}

// --- tokens of one action ---------------------------------------------------------------------

type Token =
  | { t: "field"; path: string[] }
  | { t: "var"; name: string; path: string[] }
  | { t: "string"; value: string }
  | { t: "number"; value: number }
  | { t: "ident"; name: string }
  | { t: "punct"; value: "|" | "(" | ")" | ":=" | "=" | "," };

function tokenize(text: string, line: number): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (what: string) => templateError(`line ${line}: ${what} in "{{ ${text} }}"`);
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    let m: RegExpExecArray | null;
    if (rest.startsWith(":=")) {
      tokens.push({ t: "punct", value: ":=" });
      i += 2;
    } else if ("|(),=".includes(c)) {
      tokens.push({ t: "punct", value: c as "|" | "(" | ")" | "," | "=" });
      i++;
    } else if (c === '"') {
      m = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!m) throw fail("unterminated string");
      tokens.push({ t: "string", value: JSON.parse(`"${m[1] ?? ""}"`) as string });
      i += m[0].length;
    } else if (c === "`") {
      const end = text.indexOf("`", i + 1);
      if (end === -1) throw fail("unterminated raw string");
      tokens.push({ t: "string", value: text.slice(i + 1, end) });
      i = end + 1;
    } else if ((m = /^\.((?:[A-Za-z_][\w-]*)(?:\.[A-Za-z_][\w-]*)*)?/.exec(rest)) && c === ".") {
      tokens.push({ t: "field", path: m[1] ? m[1].split(".") : [] });
      i += m[0].length;
    } else if ((m = /^\$([A-Za-z_]\w*)?((?:\.[A-Za-z_][\w-]*)*)/.exec(rest))) {
      tokens.push({
        t: "var",
        name: `$${m[1] ?? ""}`,
        path: m[2] ? m[2].slice(1).split(".") : [],
      });
      i += m[0].length;
    } else if ((m = /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)/.exec(rest))) {
      tokens.push({ t: "number", value: Number(m[0]) });
      i += m[0].length;
    } else if ((m = /^[A-Za-z_]\w*/.exec(rest))) {
      tokens.push({ t: "ident", name: m[0] });
      i += m[0].length;
    } else {
      throw fail(`unexpected "${c}"`);
    }
  }
  return tokens;
}

// --- syntax tree ------------------------------------------------------------------------------

type Operand =
  | { k: "field"; path: string[] }
  | { k: "var"; name: string; path: string[] }
  | { k: "literal"; value: unknown }
  | { k: "pipe"; pipe: Pipeline };

interface Command {
  /** Function name, when the command calls one. */
  fn?: string;
  args: Operand[];
}

interface Pipeline {
  decl?: { names: string[]; assign: boolean };
  commands: Command[];
  text: string;
  line: number;
}

type Node =
  | { n: "text"; text: string }
  | { n: "output"; pipe: Pipeline }
  | { n: "if"; pipe: Pipeline; then: Node[]; else: Node[] }
  | { n: "with"; pipe: Pipeline; then: Node[]; else: Node[] }
  | { n: "range"; pipe: Pipeline; body: Node[]; else: Node[] }
  | { n: "template"; name: string; pipe?: Pipeline };

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "define", "template", "block"]);

class Parser {
  private pos = 0;
  readonly defines = new Map<string, Node[]>();

  constructor(private readonly segments: Segment[]) {}

  parseAll(): Node[] {
    const { nodes, stop } = this.parseList();
    if (stop) throw templateError(`line ${stop.line}: unexpected {{ ${stop.text} }}`);
    return nodes;
  }

  // Parses nodes until `else`/`end` (returned as `stop`) or the end of input.
  private parseList(): {
    nodes: Node[];
    stop?: { word: string; rest: string; line: number; text: string };
  } {
    const nodes: Node[] = [];
    while (this.pos < this.segments.length) {
      const seg = this.segments[this.pos++];
      if (!seg) break;
      if (seg.kind === "text") {
        if (seg.text !== "") nodes.push({ n: "text", text: seg.text });
        continue;
      }
      const word = /^[a-z]+/.exec(seg.text)?.[0] ?? "";
      const rest = seg.text.slice(word.length).trim();
      if (!KEYWORDS.has(word)) {
        nodes.push({ n: "output", pipe: parsePipeline(seg.text, seg.line) });
        continue;
      }
      switch (word) {
        case "else":
        case "end":
          return { nodes, stop: { word, rest, line: seg.line, text: seg.text } };
        case "if":
        case "with":
          nodes.push(this.parseConditional(word, rest, seg.line));
          break;
        case "range": {
          const pipe = parsePipeline(rest, seg.line);
          const body = this.parseList();
          let elseNodes: Node[] = [];
          if (body.stop?.word === "else") {
            const tail = this.parseList();
            this.expectEnd(tail.stop, seg.line, "range");
            elseNodes = tail.nodes;
          } else this.expectEnd(body.stop, seg.line, "range");
          nodes.push({ n: "range", pipe, body: body.nodes, else: elseNodes });
          break;
        }
        case "define": {
          const name = /^"([^"]*)"$/.exec(rest)?.[1];
          if (name === undefined) {
            throw templateError(`line ${seg.line}: define needs a quoted name`);
          }
          const body = this.parseList();
          this.expectEnd(body.stop, seg.line, "define");
          this.defines.set(name, body.nodes);
          break;
        }
        case "template": {
          const m = /^"([^"]*)"\s*(.*)$/s.exec(rest);
          if (!m) throw templateError(`line ${seg.line}: template needs a quoted name`);
          const node: Node = { n: "template", name: m[1] ?? "" };
          if (m[2]) node.pipe = parsePipeline(m[2], seg.line);
          nodes.push(node);
          break;
        }
        default:
          throw templateError(`line ${seg.line}: "${word}" is not supported`);
      }
    }
    return { nodes };
  }

  private parseConditional(word: "if" | "with", rest: string, line: number): Node {
    const pipe = parsePipeline(rest, line);
    const body = this.parseList();
    let elseNodes: Node[] = [];
    if (body.stop?.word === "else") {
      const elseRest = body.stop.rest;
      const nested = /^(if|with)\b\s*(.*)$/s.exec(elseRest);
      if (nested) {
        // `else if x` is `else` + a nested `if x` that shares the outer `end`.
        elseNodes = [this.parseConditional(nested[1] as "if" | "with", nested[2] ?? "", line)];
      } else {
        const tail = this.parseList();
        this.expectEnd(tail.stop, line, word);
        elseNodes = tail.nodes;
      }
    } else this.expectEnd(body.stop, line, word);
    return { n: word, pipe, then: body.nodes, else: elseNodes };
  }

  private expectEnd(stop: { word: string } | undefined, line: number, what: string): void {
    if (stop?.word !== "end") {
      throw templateError(`line ${line}: {{ ${what} }} has no matching {{ end }}`);
    }
  }
}

function parsePipeline(text: string, line: number): Pipeline {
  const tokens = tokenize(text, line);
  let pos = 0;
  const fail = (what: string) => templateError(`line ${line}: ${what} in "{{ ${text} }}"`);
  const pipeline = (): Pipeline => {
    const p: Pipeline = { commands: [], text, line };
    // Declarations: `$x :=`, `$i, $v :=`, `$x =`.
    const names: string[] = [];
    let look = pos;
    while (tokens[look]?.t === "var") {
      const tok = tokens[look] as { name: string; path: string[] };
      if (tok.path.length > 0) break;
      names.push(tok.name);
      look++;
      const next = tokens[look];
      if (next?.t === "punct" && next.value === ",") {
        look++;
        continue;
      }
      if (next?.t === "punct" && (next.value === ":=" || next.value === "=")) {
        p.decl = { names, assign: next.value === "=" };
        pos = look + 1;
      }
      break;
    }
    for (;;) {
      p.commands.push(command());
      const next = tokens[pos];
      if (next?.t === "punct" && next.value === "|") {
        pos++;
        continue;
      }
      break;
    }
    return p;
  };
  const command = (): Command => {
    const cmd: Command = { args: [] };
    const first = tokens[pos];
    if (first?.t === "ident" && !["true", "false", "nil"].includes(first.name)) {
      cmd.fn = first.name;
      pos++;
    }
    for (;;) {
      const tok = tokens[pos];
      if (!tok || (tok.t === "punct" && (tok.value === "|" || tok.value === ")"))) break;
      cmd.args.push(operand());
    }
    if (!cmd.fn && cmd.args.length !== 1) {
      throw fail(cmd.args.length === 0 ? "empty command" : "expected a function before arguments");
    }
    return cmd;
  };
  const operand = (): Operand => {
    const tok = tokens[pos++];
    if (!tok) throw fail("unexpected end");
    switch (tok.t) {
      case "field":
        return { k: "field", path: tok.path };
      case "var":
        return { k: "var", name: tok.name, path: tok.path };
      case "string":
        return { k: "literal", value: tok.value };
      case "number":
        return { k: "literal", value: tok.value };
      case "ident":
        if (tok.name === "true") return { k: "literal", value: true };
        if (tok.name === "false") return { k: "literal", value: false };
        if (tok.name === "nil") return { k: "literal", value: null };
        // A function name as an argument: a call without arguments (`{{ default now .x }}`).
        return { k: "pipe", pipe: { commands: [{ fn: tok.name, args: [] }], text, line } };
      case "punct":
        if (tok.value === "(") {
          const inner = pipeline();
          const close = tokens[pos++];
          if (!(close?.t === "punct" && close.value === ")")) throw fail('missing ")"');
          return { k: "pipe", pipe: inner };
        }
        throw fail(`unexpected "${tok.value}"`);
    }
  };
  const result = pipeline();
  if (pos < tokens.length) throw fail("unexpected trailing input");
  return result;
}

// --- evaluation -------------------------------------------------------------------------------

/** Marks a value that is not set; carries the name to report. */
class Missing {
  constructor(readonly name: string) {}
}

const LENIENT = new Set(["default", "empty", "coalesce", "not", "and", "or"]);

interface Scope {
  vars: Map<string, unknown>;
  parent?: Scope;
}

function lookupVar(scope: Scope, name: string): { found: boolean; value?: unknown; at?: Scope } {
  for (let s: Scope | undefined = scope; s; s = s.parent) {
    if (s.vars.has(name)) return { found: true, value: s.vars.get(name), at: s };
  }
  return { found: false };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Missing)
  );
}

function readPath(value: unknown, path: string[], shown: string): unknown {
  let current = value;
  let name = shown;
  for (const key of path) {
    name = `${name === "." ? "" : name}.${key}`;
    if (current instanceof Missing) return new Missing(name);
    if (!isRecord(current) || !Object.hasOwn(current, key)) return new Missing(name);
    current = current[key];
  }
  return current;
}

function isTruthy(value: unknown): boolean {
  if (value instanceof Missing || value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return value !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return true;
}

function requireSet(value: unknown, line: number): unknown {
  if (value instanceof Missing) {
    throw templateError(
      `line ${line}: template variable ${value.name} is not set; give it under values or versionValues`,
    );
  }
  return value;
}

/** Formats a value the way Go's `fmt.Sprint` does for the kinds templates meet. */
function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "<no value>";
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    if (Number.isNaN(value)) return "NaN";
    if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
    // 15 significant digits hide binary noise: divf 99.9 100 prints 0.999, not 0.9990000000000001.
    return String(Number.isInteger(value) ? value : Number(value.toPrecision(15)));
  }
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(" ")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${formatValue(value[k])}`).join(" ")}]`;
  }
  return typeof value === "bigint" ? value.toString() : typeof value;
}

function toNumber(value: unknown, fn: string, line: number): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number" || Number.isNaN(n)) {
    throw templateError(`line ${line}: ${fn} expects numbers, got ${JSON.stringify(value)}`);
  }
  return n;
}

function printf(format: string, args: unknown[]): string {
  let next = 0;
  return format.replace(
    /%(\.\d+)?([sdvqfg%])/g,
    (_match, precision: string | undefined, verb: string) => {
      if (verb === "%") return "%";
      const arg = args[next++];
      switch (verb) {
        case "d":
          return String(Math.trunc(Number(arg)));
        case "f":
          return Number(arg).toFixed(precision ? Number(precision.slice(1)) : 6);
        case "g":
          return String(Number(arg));
        case "q":
          return JSON.stringify(formatValue(arg));
        default:
          return formatValue(arg);
      }
    },
  );
}

type Fn = (args: unknown[], line: number) => unknown;

const compare =
  (name: string, test: (a: number | string, b: number | string) => boolean): Fn =>
  ([a, b], line) => {
    if (typeof a === "string" && typeof b === "string") return test(a, b);
    return test(toNumber(a, name, line), toNumber(b, name, line));
  };

const arithmetic =
  (name: string, op: (a: number, b: number) => number, integer: boolean): Fn =>
  (args, line) => {
    const nums = args.map((a) => toNumber(a, name, line));
    const out = nums.slice(1).reduce((acc, n) => op(acc, n), nums[0] ?? 0);
    return integer ? Math.trunc(out) : out;
  };

const FUNCTIONS: Record<string, Fn> = {
  default: (args) => {
    const given = args.length > 1 ? args[args.length - 1] : undefined;
    return isTruthy(given) ? given : args[0];
  },
  empty: ([v]) => !isTruthy(v),
  coalesce: (args) => args.find(isTruthy) ?? null,
  not: ([v]) => !isTruthy(v),
  and: (args) => args.find((a) => !isTruthy(a)) ?? args[args.length - 1],
  or: (args) => args.find(isTruthy) ?? args[args.length - 1],
  eq: ([a, ...rest]) => rest.some((b) => a === b),
  ne: ([a, b]) => a !== b,
  lt: compare("lt", (a, b) => a < b),
  le: compare("le", (a, b) => a <= b),
  gt: compare("gt", (a, b) => a > b),
  ge: compare("ge", (a, b) => a >= b),
  len: ([v], line) => {
    if (typeof v === "string" || Array.isArray(v)) return v.length;
    if (isRecord(v)) return Object.keys(v).length;
    throw templateError(`line ${line}: len of ${formatValue(v)}`);
  },
  index: ([v, ...keys], line) => {
    let current = v;
    for (const key of keys) {
      if (Array.isArray(current) && typeof key === "number") current = current[key];
      else if (isRecord(current) && typeof key === "string" && Object.hasOwn(current, key)) {
        current = current[key];
      } else throw templateError(`line ${line}: index ${formatValue(key)} not found`);
    }
    return current;
  },
  print: (args) => args.map(formatValue).join(""),
  println: (args) => `${args.map(formatValue).join(" ")}\n`,
  printf: ([format, ...args]) => printf(String(format), args),
  quote: (args) => args.map((a) => JSON.stringify(formatValue(a))).join(" "),
  squote: (args) => args.map((a) => `'${formatValue(a)}'`).join(" "),
  upper: ([v]) => formatValue(v).toUpperCase(),
  lower: ([v]) => formatValue(v).toLowerCase(),
  trim: ([v]) => formatValue(v).trim(),
  list: (args) => [...args],
  join: ([sep, list]) =>
    (Array.isArray(list) ? list : [list]).map(formatValue).join(formatValue(sep)),
  toString: (args: unknown[]) => formatValue(args[0]),
  toJson: ([v]) => JSON.stringify(v ?? null),
  int: ([v], line) => Math.trunc(toNumber(v, "int", line)),
  float64: ([v], line) => toNumber(v, "float64", line),
  add: arithmetic("add", (a, b) => a + b, true),
  sub: arithmetic("sub", (a, b) => a - b, true),
  mul: arithmetic("mul", (a, b) => a * b, true),
  div: arithmetic("div", (a, b) => a / b, true),
  mod: arithmetic("mod", (a, b) => a % b, true),
  addf: arithmetic("addf", (a, b) => a + b, false),
  subf: arithmetic("subf", (a, b) => a - b, false),
  mulf: arithmetic("mulf", (a, b) => a * b, false),
  divf: arithmetic("divf", (a, b) => a / b, false),
};

class Executor {
  private out = "";
  private depth = 0;

  constructor(private readonly defines: Map<string, Node[]>) {}

  run(nodes: Node[], dot: unknown): string {
    this.exec(nodes, dot, { vars: new Map([["$", dot]]) });
    return this.out;
  }

  private exec(nodes: Node[], dot: unknown, scope: Scope): void {
    for (const node of nodes) {
      switch (node.n) {
        case "text":
          this.out += node.text;
          break;
        case "output": {
          const value = this.pipe(node.pipe, dot, scope);
          if (!node.pipe.decl) this.out += formatValue(requireSet(value, node.pipe.line));
          break;
        }
        case "if": {
          const inner: Scope = { vars: new Map(), parent: scope };
          const test = this.pipe(node.pipe, dot, inner);
          this.exec(isTruthy(test) ? node.then : node.else, dot, inner);
          break;
        }
        case "with": {
          const inner: Scope = { vars: new Map(), parent: scope };
          const value = this.pipe(node.pipe, dot, inner);
          if (isTruthy(value)) this.exec(node.then, value, inner);
          else this.exec(node.else, dot, inner);
          break;
        }
        case "range":
          this.range(node, dot, scope);
          break;
        case "template": {
          const body = this.defines.get(node.name);
          if (!body) throw templateError(`no template named "${node.name}" is defined`);
          if (++this.depth > 100)
            throw templateError(`template "${node.name}" recurses too deeply`);
          const value = node.pipe ? this.pipe(node.pipe, dot, scope) : null;
          this.exec(body, value, { vars: new Map([["$", value]]) });
          this.depth--;
          break;
        }
      }
    }
  }

  private range(node: Extract<Node, { n: "range" }>, dot: unknown, scope: Scope): void {
    const { decl, ...rest } = node.pipe;
    const collection = this.pipe(rest, dot, scope);
    let entries: Array<[unknown, unknown]> = [];
    if (Array.isArray(collection)) entries = collection.map((v, i) => [i, v]);
    else if (isRecord(collection)) {
      entries = Object.keys(collection)
        .sort()
        .map((k) => [k, collection[k]]);
    } else if (typeof collection === "number" && Number.isInteger(collection)) {
      entries = Array.from({ length: Math.max(0, collection) }, (_, i) => [i, i]);
    } else if (
      !(collection instanceof Missing) &&
      collection !== null &&
      collection !== undefined
    ) {
      throw templateError(`line ${node.pipe.line}: cannot range over ${formatValue(collection)}`);
    }
    if (entries.length === 0) {
      this.exec(node.else, dot, { vars: new Map(), parent: scope });
      return;
    }
    for (const [key, value] of entries) {
      const vars = new Map<string, unknown>();
      const names = decl?.names ?? [];
      if (names.length === 1) vars.set(names[0] ?? "", value);
      if (names.length === 2) {
        vars.set(names[0] ?? "", key);
        vars.set(names[1] ?? "", value);
      }
      this.exec(node.body, value, { vars, parent: scope });
    }
  }

  private pipe(pipe: Pipeline, dot: unknown, scope: Scope): unknown {
    let value: unknown = undefined;
    let first = true;
    for (const cmd of pipe.commands) {
      value = this.command(cmd, dot, scope, first ? undefined : { value }, pipe.line);
      first = false;
    }
    if (pipe.decl) {
      const name = pipe.decl.names[0] ?? "";
      if (pipe.decl.assign) {
        const found = lookupVar(scope, name);
        if (!found.found || !found.at)
          throw templateError(`line ${pipe.line}: undefined variable ${name}`);
        found.at.vars.set(name, value);
      } else scope.vars.set(name, value);
    }
    return value;
  }

  private command(
    cmd: Command,
    dot: unknown,
    scope: Scope,
    piped: { value: unknown } | undefined,
    line: number,
  ): unknown {
    const args = cmd.args.map((a) => this.operand(a, dot, scope, line));
    if (piped) args.push(piped.value);
    if (!cmd.fn) {
      if (piped) throw templateError(`line ${line}: a value cannot take a piped argument`);
      return args[0];
    }
    if (cmd.fn === "include") return this.include(args, line);
    const fn = Object.hasOwn(FUNCTIONS, cmd.fn) ? FUNCTIONS[cmd.fn] : undefined;
    if (!fn) throw templateError(`line ${line}: unknown function "${cmd.fn}"`);
    if (!LENIENT.has(cmd.fn)) args.forEach((a) => requireSet(a, line));
    return fn(
      args.map((a) => (a instanceof Missing && cmd.fn !== "default" ? undefined : a)),
      line,
    );
  }

  // Helm's `include "name" data`: a defined template's output as a string, for pipelines.
  private include(args: unknown[], line: number): string {
    const name = args[0];
    const body = typeof name === "string" ? this.defines.get(name) : undefined;
    if (!body)
      throw templateError(`line ${line}: no template named ${formatValue(name)} is defined`);
    if (++this.depth > 100) throw templateError(`template ${name as string} recurses too deeply`);
    const saved = this.out;
    this.out = "";
    const data = args[1] === undefined ? null : args[1];
    this.exec(body, data, { vars: new Map([["$", data]]) });
    const text = this.out;
    this.out = saved;
    this.depth--;
    return text;
  }

  private operand(op: Operand, dot: unknown, scope: Scope, line: number): unknown {
    switch (op.k) {
      case "literal":
        return op.value;
      case "field":
        return readPath(dot, op.path, ".");
      case "var": {
        const found = lookupVar(scope, op.name);
        if (!found.found) throw templateError(`line ${line}: undefined variable ${op.name}`);
        return readPath(found.value, op.path, op.name);
      }
      case "pipe":
        return this.pipe(op.pipe, dot, { vars: new Map(), parent: scope });
    }
  }
}

function templateError(message: string): ProviderError {
  return new ProviderError(PROVIDER_ERROR_CODES.template, message);
}

/**
 * Renders a Go-style template (the subset described at the top of this file) with `values` as
 * its dot. Throws `ProviderError` (`ITER8_TEMPLATE`) for bad syntax and for a variable that is not
 * set, naming it.
 */
export function renderTemplate(source: string, values: TemplateValues): string {
  const parser = new Parser(splitSegments(source));
  const nodes = parser.parseAll();
  return new Executor(parser.defines).run(nodes, values);
}
