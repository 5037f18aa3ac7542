import { SpecError } from "./errors.js";
import type { Condition } from "./model.js";
import { SPEC_LIMITS } from "./limits.js";
import { closestMatch } from "./suggest.js";

// Grammar (precedence not > and > or; and/or associate to the left):
//   condition := or
//   or        := and (("or" | "||") and)*
//   and       := unary (("and" | "&&") unary)*
//   unary     := ("not" | "!") unary | primary
//   primary   := "(" condition ")" | "SLOs" "(" ")" | "SLOsBy" "(" index ")"
//              | "Winner" "(" index? ")"

type TokenKind = "word" | "number" | "(" | ")" | "!" | "&&" | "||" | "end" | "bad";

interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based column in the condition text. */
  column: number;
}

const FUNCTIONS = ["SLOs", "SLOsBy", "Winner"] as const;
const KEYWORDS = ["not", "and", "or"] as const;
const EXPECTED_OPERAND = "SLOs(), SLOsBy(i), not or (";

class ConditionSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? "";
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const column = i + 1;
    const two = text.slice(i, i + 2);
    if (two === "&&" || two === "||") {
      tokens.push({ kind: two, text: two, column });
      i += 2;
    } else if (ch === "(" || ch === ")" || ch === "!") {
      tokens.push({ kind: ch, text: ch, column });
      i++;
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(i))?.[0] ?? ch;
      tokens.push({ kind: "word", text: word, column });
      i += word.length;
    } else if (/[0-9.+-]/.test(ch)) {
      const number = /^[-+]?[0-9.]+(?:[eE][-+]?\d+)?/.exec(text.slice(i))?.[0] ?? ch;
      tokens.push({ kind: "number", text: number, column });
      i += number.length;
    } else {
      tokens.push({ kind: "bad", text: ch, column });
      i++;
    }
  }
  tokens.push({ kind: "end", text: "", column: text.length + 1 });
  return tokens;
}

function describeToken(token: Token): string {
  return token.kind === "end" ? "the end of the condition" : `"${token.text}"`;
}

function unexpected(token: Token): string {
  return token.kind === "end" ? "the condition ends too early" : `unexpected "${token.text}"`;
}

const TOO_DEEP = `the condition nests deeper than ${SPEC_LIMITS.maxConditionDepth} levels; simplify it`;

class Parser {
  private index = 0;
  /** Open parentheses and `not`s around the current token: bounds the parser's recursion. */
  private depth = 0;
  constructor(private readonly tokens: Token[]) {}

  private enter(token: Token): void {
    if (++this.depth > SPEC_LIMITS.maxConditionDepth) {
      throw new ConditionSyntaxError(TOO_DEEP, token.column);
    }
  }

  parse(): Condition {
    const condition = this.parseOr();
    const next = this.peek();
    if (next.kind !== "end") {
      throw new ConditionSyntaxError(
        `${unexpected(next)}; expected "and", "or" or the end of the condition`,
        next.column,
      );
    }
    return condition;
  }

  private peek(): Token {
    return this.tokens[this.index] ?? { kind: "end", text: "", column: 0 };
  }

  private next(): Token {
    const token = this.peek();
    this.index = Math.min(this.index + 1, this.tokens.length - 1);
    return token;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === "word" && token.text === word;
  }

  private parseOr(): Condition {
    let left = this.parseAnd();
    for (;;) {
      const token = this.peek();
      if (token.kind !== "||" && !this.isWord(token, "or")) return left;
      this.next();
      left = { kind: "or", left, right: this.parseAnd() };
    }
  }

  private parseAnd(): Condition {
    let left = this.parseUnary();
    for (;;) {
      const token = this.peek();
      if (token.kind !== "&&" && !this.isWord(token, "and")) return left;
      this.next();
      left = { kind: "and", left, right: this.parseUnary() };
    }
  }

  private parseUnary(): Condition {
    const token = this.peek();
    if (token.kind === "!" || this.isWord(token, "not")) {
      this.next();
      this.enter(token);
      const operand = this.parseUnary();
      this.depth--;
      return { kind: "not", operand };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): Condition {
    const token = this.next();
    if (token.kind === "(") {
      this.enter(token);
      const inner = this.parseOr();
      this.depth--;
      const close = this.next();
      if (close.kind !== ")") {
        throw new ConditionSyntaxError(
          `expected ")" to close the "(" at column ${token.column}, found ${describeToken(close)}`,
          close.column,
        );
      }
      return inner;
    }
    if (token.kind === "word" && token.text === "SLOs") {
      this.expectOpen(token);
      this.expectClose("SLOs() takes no arguments");
      return { kind: "slos" };
    }
    if (token.kind === "word" && token.text === "SLOsBy") {
      this.expectOpen(token);
      const arg = this.next();
      if (arg.kind === ")") {
        throw new ConditionSyntaxError("SLOsBy needs a version index, e.g. SLOsBy(1)", arg.column);
      }
      if (arg.kind !== "number" || !/^\d+$/.test(arg.text)) {
        throw new ConditionSyntaxError(
          `the version index of SLOsBy must be a whole number (0, 1, ...), found ${describeToken(arg)}`,
          arg.column,
        );
      }
      this.expectClose("SLOsBy takes one version index");
      return { kind: "slosBy", version: Number(arg.text) };
    }
    if (token.kind === "word" && token.text === "Winner") {
      this.expectOpen(token);
      const arg = this.next();
      if (arg.kind === ")") return { kind: "winner" };
      if (arg.kind !== "number" || !/^\d+$/.test(arg.text)) {
        throw new ConditionSyntaxError(
          `the version index of Winner must be a whole number (0, 1, ...), found ${describeToken(arg)}`,
          arg.column,
        );
      }
      this.expectClose("Winner takes at most one version index");
      return { kind: "winner", version: Number(arg.text) };
    }
    if (token.kind === "word") {
      const known = (KEYWORDS as readonly string[]).includes(token.text);
      const match = known ? undefined : closestMatch(token.text, FUNCTIONS);
      const hint = match ? ` (did you mean ${match}()?)` : "";
      throw new ConditionSyntaxError(
        `unexpected "${token.text}"${hint}; expected ${EXPECTED_OPERAND}`,
        token.column,
      );
    }
    throw new ConditionSyntaxError(
      `${unexpected(token)}; expected ${EXPECTED_OPERAND}`,
      token.column,
    );
  }

  private expectOpen(fn: Token): void {
    const open = this.next();
    if (open.kind !== "(") {
      throw new ConditionSyntaxError(
        `expected "(" after ${fn.text}, found ${describeToken(open)}`,
        open.column,
      );
    }
  }

  private expectClose(what: string): void {
    const close = this.next();
    if (close.kind !== ")") {
      throw new ConditionSyntaxError(
        `expected ")", found ${describeToken(close)} (${what})`,
        close.column,
      );
    }
  }
}

/**
 * Parses an `if:` condition (`SLOs()`, `SLOsBy(i)`, `Winner()`, `Winner(i)`, `not`/`!`, `and`/`&&`, `or`/`||`, parentheses)
 * into its AST. Throws a `SpecError` (`ITER8_SPEC_INVALID`) whose message names the column.
 */
export function parseCondition(text: string): Condition {
  try {
    if (text.trim() === "") {
      throw new ConditionSyntaxError(`the condition is empty; expected ${EXPECTED_OPERAND}`, 1);
    }
    const condition = new Parser(tokenize(text)).parse();
    // Long and/or chains build deep trees without deep parsing; evaluating or formatting them
    // recurses, so the tree's depth is bounded too.
    if (conditionDepth(condition) > SPEC_LIMITS.maxConditionDepth) {
      throw new ConditionSyntaxError(TOO_DEEP, 1);
    }
    return condition;
  } catch (error) {
    if (!(error instanceof ConditionSyntaxError)) throw error;
    const shown = text.length > 80 ? `${text.slice(0, 60)}... (${text.length} characters)` : text;
    const message = `invalid condition "${shown}": ${error.message} (column ${error.column})`;
    throw new SpecError("ITER8_SPEC_INVALID", message, [
      { path: "", message, column: error.column },
    ]);
  }
}

/** The depth of a condition's tree, computed without recursion (a leaf is 1). */
function conditionDepth(root: Condition): number {
  let deepest = 0;
  const stack: Array<[Condition, number]> = [[root, 1]];
  for (let entry = stack.pop(); entry !== undefined; entry = stack.pop()) {
    const [node, depth] = entry;
    if (depth > deepest) deepest = depth;
    if (node.kind === "not") stack.push([node.operand, depth + 1]);
    else if (node.kind === "and" || node.kind === "or") {
      stack.push([node.left, depth + 1], [node.right, depth + 1]);
    }
  }
  return deepest;
}

const PRECEDENCE: Record<Condition["kind"], number> = {
  or: 1,
  and: 2,
  not: 3,
  slos: 4,
  slosBy: 4,
  winner: 4,
};

/** Formats a condition as text that `parseCondition` reads back to the same AST (`not`, `and`, `or`). */
export function formatCondition(condition: Condition): string {
  switch (condition.kind) {
    case "slos":
      return "SLOs()";
    case "slosBy":
      return `SLOsBy(${condition.version})`;
    case "winner":
      return condition.version === undefined ? "Winner()" : `Winner(${condition.version})`;
    case "not":
      return `not ${wrap(condition.operand, PRECEDENCE.not)}`;
    case "and":
    case "or": {
      const own = PRECEDENCE[condition.kind];
      // Left-associative: the right operand needs parentheses at equal precedence.
      return `${wrap(condition.left, own)} ${condition.kind} ${wrap(condition.right, own + 1)}`;
    }
  }
}

function wrap(condition: Condition, minimum: number): string {
  const text = formatCondition(condition);
  return PRECEDENCE[condition.kind] < minimum ? `(${text})` : text;
}
