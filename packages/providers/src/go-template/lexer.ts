// Lexing of Go-style templates: the source split into text and actions, an action into tokens.
import { PROVIDER_ERROR_CODES, ProviderError } from "../errors.js";

/** A piece of template source: literal text, or the inside of one `{{ ... }}` action. */
export type Segment =
  { kind: "text"; text: string } | { kind: "action"; text: string; line: number };

/** Splits `source` into text and actions, applying `{{-`/`-}}` trimming and dropping comments. */
export function splitSegments(source: string): Segment[] {
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

/** A token of one action. */
export type Token =
  | { t: "field"; path: string[] }
  | { t: "var"; name: string; path: string[] }
  | { t: "string"; value: string }
  | { t: "number"; value: number }
  | { t: "ident"; name: string }
  | { t: "punct"; value: "|" | "(" | ")" | ":=" | "=" | "," };

/** Splits the text of one action (found at `line`) into tokens. */
export function tokenize(text: string, line: number): Token[] {
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

/** The error of a template that cannot be parsed or rendered (`ITER8_PROVIDER_TEMPLATE`). */
export function templateError(message: string): ProviderError {
  return new ProviderError(PROVIDER_ERROR_CODES.template, message);
}
