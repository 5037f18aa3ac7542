// The Go semantics of template values (truthiness, printing) and the template functions.
import { templateError } from "./lexer.js";

/** Marks a value that is not set; carries the name to report. */
export class Missing {
  constructor(readonly name: string) {}
}

/** Functions that accept a value that is not set (as empty) instead of reporting it. */
export const LENIENT = new Set(["default", "empty", "coalesce", "not", "and", "or"]);

/** True for a map (not a list, not a missing value). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Missing)
  );
}

/** Go's truth: false, 0, nil, "", and empty lists and maps are false. */
export function isTruthy(value: unknown): boolean {
  if (value instanceof Missing || value === null || value === undefined) return false;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") return value !== "";
  if (Array.isArray(value)) return value.length > 0;
  if (isRecord(value)) return Object.keys(value).length > 0;
  return true;
}

/** Formats a value the way Go's `fmt.Sprint` does for the kinds templates meet. */
export function formatValue(value: unknown): string {
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

/** A template function: evaluated arguments (a piped value last) and the action's line. */
export type Fn = (args: unknown[], line: number) => unknown;

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

/** The template functions by name (`include` needs the defined templates: see the evaluator). */
export const FUNCTIONS: Record<string, Fn> = {
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
