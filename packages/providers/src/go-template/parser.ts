// Parsing of Go-style templates: segments into a tree of nodes, an action into a pipeline.
import { templateError, tokenize } from "./lexer.js";
import type { Segment } from "./lexer.js";

/** An argument of a command: a field of dot, a variable, a literal or a parenthesised pipeline. */
export type Operand =
  | { k: "field"; path: string[] }
  | { k: "var"; name: string; path: string[] }
  | { k: "literal"; value: unknown }
  | { k: "pipe"; pipe: Pipeline };

/** One command of a pipeline: a function call, or a single value. */
export interface Command {
  /** Function name, when the command calls one. */
  fn?: string;
  args: Operand[];
}

/** A pipeline: commands joined by `|`, with an optional `$x :=` / `$x =` declaration. */
export interface Pipeline {
  decl?: { names: string[]; assign: boolean };
  commands: Command[];
  text: string;
  line: number;
}

/** A node of the template tree. */
export type Node =
  | { n: "text"; text: string }
  | { n: "output"; pipe: Pipeline }
  | { n: "if"; pipe: Pipeline; then: Node[]; else: Node[] }
  | { n: "with"; pipe: Pipeline; then: Node[]; else: Node[] }
  | { n: "range"; pipe: Pipeline; body: Node[]; else: Node[] }
  | { n: "template"; name: string; pipe?: Pipeline };

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "define", "template", "block"]);

/** Parses segments into a node tree, collecting `define`d templates in `defines`. */
export class Parser {
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

/** Parses the text of one action (found at `line`) into a pipeline. */
export function parsePipeline(text: string, line: number): Pipeline {
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
