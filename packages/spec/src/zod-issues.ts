import type { z } from "zod";
import { describeValue } from "./describe-value.js";
import type { PathSegment } from "./path.js";
import { closestMatch } from "./suggest.js";

/** An issue before positions are attached: where (as path segments) and what. */
export interface RawIssue {
  path: PathSegment[];
  message: string;
  /** Raised by a check of the schema (not a type or shape mismatch). */
  custom?: boolean;
}

/** A specific message for one unknown key, and the known key it stands for (if any). */
export interface UnknownKeyHint {
  message: string;
  replaces?: string;
}

/** Error map for `safeParse`: marks issues whose schema gave no message, so we phrase them. */
export const UNPHRASED = "\u0000unphrased";

/** Parse options that make zod keep inputs and leave messages to `phraseZodIssues`. */
export const PARSE_PARAMS = { reportInput: true, error: () => UNPHRASED } as const;

interface SchemaDef {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  valueType?: z.ZodType;
}

function defOf(schema: z.ZodType): SchemaDef {
  return schema._zod.def;
}

// The object schemas reached by following `path` from `schema` (unions may give several).
function objectsAt(schema: z.ZodType, path: readonly PathSegment[]): SchemaDef[] {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
    case "nullable":
    case "default":
    case "prefault":
    case "readonly":
    case "catch":
      return def.innerType ? objectsAt(def.innerType, path) : [];
    case "pipe":
      return def.in ? objectsAt(def.in, path) : [];
    case "union":
      return (def.options ?? []).flatMap((option) => objectsAt(option, path));
    case "object": {
      if (path.length === 0) return [def];
      const [head, ...rest] = path;
      const child = typeof head === "string" ? def.shape?.[head] : undefined;
      return child ? objectsAt(child, rest) : [];
    }
    case "array": {
      const [head, ...rest] = path;
      return typeof head === "number" && def.element ? objectsAt(def.element, rest) : [];
    }
    case "record": {
      const [, ...rest] = path;
      return path.length > 0 && def.valueType ? objectsAt(def.valueType, rest) : [];
    }
    default:
      return [];
  }
}

/** The keys an object at `path` inside `schema` accepts (deprecated ones last). */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  const keys = new Set<string>();
  for (const def of objectsAt(schema, path))
    for (const key of Object.keys(def.shape ?? {})) keys.add(key);
  return [...keys];
}

const EXPECTED: Record<string, string> = {
  string: "text",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  object: "a mapping (key: value)",
  array: "a list",
  record: "a mapping (key: value)",
  null: "null",
};

function phrase(issue: z.core.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case "invalid_type": {
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      return `expected ${expected}, got ${describeValue(input)}`;
    }
    case "too_small": {
      if (issue.origin === "array" || issue.origin === "set") {
        const n = Number(issue.minimum);
        return `must list at least ${n} ${n === 1 ? "entry" : "entries"}`;
      }
      if (issue.origin === "string") return "must not be empty";
      const bound = String(issue.minimum);
      return issue.inclusive === false
        ? `must be greater than ${bound}, got ${describeValue(input)}`
        : `must be at least ${bound}, got ${describeValue(input)}`;
    }
    case "too_big": {
      if (issue.origin === "array" || issue.origin === "set")
        return `must list at most ${String(issue.maximum)} entries`;
      if (issue.origin === "string") return `must be at most ${String(issue.maximum)} characters`;
      const bound = String(issue.maximum);
      return issue.inclusive === false
        ? `must be less than ${bound}, got ${describeValue(input)}`
        : `must be at most ${bound}, got ${describeValue(input)}`;
    }
    case "invalid_value": {
      const values = issue.values.map((v) => JSON.stringify(v));
      const match =
        typeof input === "string" ? closestMatch(input, issue.values.map(String)) : undefined;
      const hint = match ? `; did you mean "${match}"?` : "";
      return values.length === 1
        ? `expected ${values[0]}, got ${describeValue(input)}${hint}`
        : `expected one of ${values.join(", ")}, got ${describeValue(input)}${hint}`;
    }
    case "invalid_format":
      return `${describeValue(input)} is not valid here (expected ${issue.format})`;
    case "invalid_union":
      return `${describeValue(input)} matches none of the accepted forms`;
    case "invalid_key":
      return `invalid key ${describeValue(input)}`;
    default:
      return issue.message;
  }
}

/**
 * Turns zod issues from `schema.safeParse(value, PARSE_PARAMS)` into plain issues: one per unknown
 * key (with "did you mean"), "missing required key" for absent ones, and readable messages.
 * `unknownKeyHint` may give a more specific message for a particular unknown key.
 */
export function phraseZodIssues(
  schema: z.ZodType,
  issues: readonly z.core.$ZodIssue[],
  base: readonly PathSegment[],
  unknownKeyHint?: (key: string, parent: readonly PathSegment[]) => UnknownKeyHint | undefined,
): RawIssue[] {
  const out: RawIssue[] = [];
  const suggested = new Set<string>();
  const withUnknownKeys = new Set<string>();
  for (const issue of issues) {
    const path = issue.path.filter((p): p is PathSegment => typeof p !== "symbol");
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, path);
      withUnknownKeys.add(JSON.stringify(path));
      for (const key of issue.keys) {
        const specific = unknownKeyHint?.(key, path);
        const match = specific ? specific.replaces : closestMatch(key, known);
        if (match) suggested.add(JSON.stringify([...path, match]));
        const message =
          specific?.message ??
          (match
            ? `unknown key "${key}"; did you mean "${match}"?`
            : `unknown key "${key}"; expected one of: ${known.join(", ")}`);
        out.push({ path: [...base, ...path, key], message });
      }
      continue;
    }
    const input = (issue as { input?: unknown }).input;
    const last = path[path.length - 1];
    if (issue.code === "invalid_type" && input === undefined && typeof last === "string") {
      out.push({ path: [...base, ...path], message: `missing required key "${last}"` });
      continue;
    }
    const message = issue.message === UNPHRASED ? phrase(issue) : issue.message;
    out.push({ path: [...base, ...path], message, custom: issue.code === "custom" });
  }
  // A misspelt key shows up as more than one issue (unknown key, then a missing key or a failed
  // check of the object); keep only the "did you mean".
  return out
    .filter(
      (issue) =>
        !(
          (issue.message.startsWith("missing required key") &&
            suggested.has(JSON.stringify(issue.path.slice(base.length)))) ||
          (issue.custom && withUnknownKeys.has(JSON.stringify(issue.path.slice(base.length))))
        ),
    )
    .map(({ path, message }) => ({ path, message }));
}
