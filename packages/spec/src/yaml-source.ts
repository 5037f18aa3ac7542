import { CORE_SCHEMA, load, YAMLException } from "js-yaml";
import type { State } from "js-yaml";
import type { SpecIssue } from "./errors.js";
import { formatPath } from "./path.js";
import type { PathSegment } from "./path.js";

/** Experiment and result files must be smaller than this many bytes (10 MiB). */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/** YAML aliases may add at most this many nodes to what the file spells out. */
export const MAX_ALIAS_EXPANSION = 100_000;

/** A line and column, both 1-based. */
export interface SourcePosition {
  line: number;
  column: number;
}

/** A parsed YAML document and a way to find where a path in it was written. */
export interface YamlSource {
  value: unknown;
  /** Where the deepest existing part of `path` was written: a key, a list entry or the document. */
  locate(path: readonly PathSegment[]): SourcePosition | undefined;
}

// One composeNode call of js-yaml, seen through its `listener` option.
interface ParseNode {
  start: number;
  end: number;
  kind: string | null;
  result: unknown;
  closed: boolean;
  children: ParseNode[];
}

/** Explains why a document of `bytes` bytes is refused, or returns undefined when it is fine. */
export function explainTooLarge(bytes: number): string | undefined {
  if (bytes < MAX_DOCUMENT_BYTES) return undefined;
  const mib = (bytes / (1024 * 1024)).toFixed(1);
  return `refused: the file is ${mib} MiB; iter8 reads files smaller than 10 MiB`;
}

/**
 * Parses one YAML document with positions, refusing (as an issue) files of 10 MiB or more, syntax
 * errors, duplicate keys, several documents and alias expansion bombs.
 */
export function readYamlSource(
  text: string,
): { ok: true; source: YamlSource } | { ok: false; issue: SpecIssue } {
  const tooLarge = explainTooLarge(Buffer.byteLength(text, "utf8"));
  if (tooLarge) return { ok: false, issue: { path: "", message: tooLarge } };
  // js-yaml drops a byte-order mark; drop it first so offsets match the text we index.
  const input = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = lineStarts(input);
  const top: ParseNode = {
    start: 0,
    end: 0,
    kind: null,
    result: undefined,
    closed: false,
    children: [],
  };
  const stack: ParseNode[] = [top];
  let value: unknown;
  try {
    value = load(input, {
      schema: CORE_SCHEMA,
      listener(event: "open" | "close", state: State) {
        if (event === "open") {
          const node: ParseNode = {
            start: state.position,
            end: state.position,
            kind: null,
            result: undefined,
            closed: false,
            children: [],
          };
          stack[stack.length - 1]?.children.push(node);
          stack.push(node);
        } else {
          const node = stack.pop();
          if (!node) return;
          node.kind = state.kind ?? null;
          node.result = state.result;
          node.end = state.position;
          node.closed = true;
        }
      },
    });
  } catch (error) {
    if (!(error instanceof YAMLException)) throw error;
    return { ok: false, issue: yamlErrorIssue(error, input, stack) };
  }
  const expansion = checkAliasExpansion(value);
  if (expansion) return { ok: false, issue: { path: "", message: expansion, line: 1, column: 1 } };
  const root = top.children[0];
  return {
    ok: true,
    source: {
      value,
      locate: (path) => {
        if (!root) return undefined;
        const offset = locateOffset(input, root, path);
        return offset === undefined || offset >= input.length
          ? undefined
          : toPosition(lines, offset);
      },
    },
  };
}

function yamlErrorIssue(error: YAMLException, input: string, stack: ParseNode[]): SpecIssue {
  const mark = error.mark as Partial<YAMLException["mark"]> | undefined;
  const where =
    mark && typeof mark.line === "number" && typeof mark.column === "number"
      ? { line: mark.line + 1, column: mark.column + 1 }
      : {};
  const reason = error.reason || error.message;
  if (reason === "duplicated mapping key" && typeof mark?.position === "number") {
    const key = readKeyAt(input, mark.position);
    const parent = pathOfOpenNodes(input, stack);
    const path = parent === undefined ? "" : formatPath([...parent, key]);
    return {
      path,
      message: `duplicate key "${key}"; a key may appear only once in a mapping`,
      ...where,
    };
  }
  if (reason.startsWith("expected a single document")) {
    const second = /^---/m.exec(input.slice(1));
    const at = second ? toPosition(lineStarts(input), second.index + 1) : {};
    return {
      path: "",
      message: "the file holds several YAML documents (---); an experiment is one document",
      ...at,
    };
  }
  return { path: "", message: `invalid YAML: ${reason}`, ...where };
}

function readKeyAt(input: string, position: number): string {
  const rest = input.slice(position);
  const quoted = /^(["'])(.*?)\1\s*:/.exec(rest);
  if (quoted?.[2] !== undefined) return quoted[2];
  return (/^([^:\n]*?)\s*:(\s|$)/.exec(rest)?.[1] ?? rest.split("\n")[0] ?? "").trim();
}

// The path of the innermost mapping being read when js-yaml stopped (for duplicate keys).
function pathOfOpenNodes(input: string, stack: ParseNode[]): PathSegment[] | undefined {
  const path: PathSegment[] = [];
  // stack[0] is the synthetic top; stack[1] the document root; the last entry is the mapping.
  for (let i = 2; i < stack.length; i++) {
    const parent = stack[i - 1];
    const child = stack[i];
    if (!parent || !child) return undefined;
    const opener = input[contentStart(input, parent.start)];
    const index = parent.children.indexOf(child);
    if (index === 0 && contentStart(input, child.start) === contentStart(input, parent.start)) {
      // A scalar or flow collection read through js-yaml's block-mapping attempt; same node.
      if (opener !== "-") continue;
    }
    if (opener === "-" || opener === "[") {
      path.push(index);
    } else {
      const key = parent.children[index - 1];
      if (index % 2 === 0 || !key) return undefined;
      path.push(String(key.result));
    }
  }
  return path;
}

function checkAliasExpansion(value: unknown): string | undefined {
  const sizes = new Map<object, number>();
  const inProgress = new Set<object>();
  let written = 0;
  let cyclic = false;
  const budget = MAX_ALIAS_EXPANSION * 10;
  // Expanded size of a subtree, memoised per object so shared (aliased) subtrees cost once.
  const expandedSize = (node: unknown): number => {
    if (node === null || typeof node !== "object") {
      written++;
      return 1;
    }
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (inProgress.has(node)) {
      cyclic = true;
      return 1;
    }
    inProgress.add(node);
    written++;
    let size = 1;
    const children = Array.isArray(node) ? (node as unknown[]) : Object.values(node);
    for (const child of children) {
      size += expandedSize(child);
      if (size > budget) size = budget + 1;
    }
    inProgress.delete(node);
    sizes.set(node, size);
    return size;
  };
  const total = expandedSize(value);
  if (cyclic) return "refused: a YAML alias refers to the node that contains it (a cycle)";
  if (total - written > MAX_ALIAS_EXPANSION) {
    return `refused: YAML aliases expand this document by more than ${MAX_ALIAS_EXPANSION} nodes`;
  }
  return undefined;
}

// --- locating paths ------------------------------------------------------------------------

function unwrap(node: ParseNode): ParseNode {
  let current = node;
  // js-yaml reads a scalar or flow collection through a failed block-mapping attempt, which
  // nests one composeNode inside another with the same result.
  for (;;) {
    const only = current.children.length === 1 ? current.children[0] : undefined;
    if (!only || only.result !== current.result) return current;
    if (current.kind !== "mapping" && current.kind !== "sequence") return current;
    current = only;
  }
}

function locateOffset(
  input: string,
  root: ParseNode,
  path: readonly PathSegment[],
): number | undefined {
  let node = unwrap(root);
  let offset = contentStart(input, node.start);
  for (const segment of path) {
    if (node.kind === "mapping" && typeof segment === "string") {
      const entry = findEntry(node, segment);
      if (!entry) break;
      offset = contentStart(input, entry.key.start);
      if (!entry.value) break;
      node = unwrap(entry.value);
    } else if (node.kind === "sequence" && typeof segment === "number") {
      const item = alignItems(node)[segment];
      if (!item) break;
      offset = contentStart(input, item.start);
      node = unwrap(item);
    } else {
      break;
    }
  }
  return offset;
}

function findEntry(
  node: ParseNode,
  key: string,
): { key: ParseNode; value?: ParseNode } | undefined {
  for (let i = 0; i < node.children.length; i += 2) {
    const keyNode = node.children[i];
    if (keyNode?.closed && scalarText(keyNode.result) === key) {
      const value = node.children[i + 1];
      return value ? { key: keyNode, value } : { key: keyNode };
    }
  }
  return undefined;
}

function scalarText(value: unknown): string | undefined {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;
}

// Entries written as a bare "-" get no composeNode call; line children up with the array.
function alignItems(node: ParseNode): Array<ParseNode | undefined> {
  const items = Array.isArray(node.result) ? (node.result as unknown[]) : [];
  const children = node.children;
  if (children.length === items.length) return children;
  const aligned: Array<ParseNode | undefined> = [];
  let j = 0;
  for (let i = 0; i < items.length; i++) {
    const spare = children.length - j < items.length - i;
    if (items[i] === null && spare) aligned.push(undefined);
    else aligned.push(children[j++]);
  }
  return aligned;
}

function contentStart(input: string, position: number): number {
  let i = position;
  while (i < input.length) {
    const ch = input[i];
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
    } else if (ch === "#") {
      while (i < input.length && input[i] !== "\n") i++;
    } else {
      break;
    }
  }
  return i;
}

function lineStarts(input: string): number[] {
  const starts = [0];
  for (let i = input.indexOf("\n"); i !== -1; i = input.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

function toPosition(starts: number[], offset: number): SourcePosition {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) low = mid;
    else high = mid - 1;
  }
  return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
}
