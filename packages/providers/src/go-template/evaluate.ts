// Evaluation of a parsed Go-style template against its data (dot).
import { FUNCTIONS, LENIENT, Missing, formatValue, isRecord, isTruthy } from "./functions.js";
import type { Fn } from "./functions.js";
import { templateError } from "./lexer.js";
import type { Command, Node, Operand, Pipeline } from "./parser.js";

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

function requireSet(value: unknown, line: number): unknown {
  if (value instanceof Missing) {
    throw templateError(
      `line ${line}: template variable ${value.name} is not set; give it under values or versionValues`,
    );
  }
  return value;
}

class Executor {
  private out = "";
  private depth = 0;

  constructor(
    private readonly defines: Map<string, Node[]>,
    private readonly extra: Record<string, Fn> | undefined,
  ) {}

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
    const extra = this.extra;
    const fn =
      extra && Object.hasOwn(extra, cmd.fn)
        ? extra[cmd.fn]
        : Object.hasOwn(FUNCTIONS, cmd.fn)
          ? FUNCTIONS[cmd.fn]
          : undefined;
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

/** Runs a parsed template with `dot` as its data and returns the output. */
export function evaluate(
  nodes: Node[],
  defines: Map<string, Node[]>,
  dot: unknown,
  functions?: Record<string, Fn>,
): string {
  return new Executor(defines, functions).run(nodes, dot);
}
