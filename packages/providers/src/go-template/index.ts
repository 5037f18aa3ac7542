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
import { evaluate } from "./evaluate.js";
import { splitSegments } from "./lexer.js";
import { Parser } from "./parser.js";

/** Values a template reads: `values` merged with iter8's built-in variables. */
export type TemplateValues = Record<string, unknown>;

/**
 * Renders a Go-style template (the subset described at the top of this file) with `values` as
 * its dot. Throws `ProviderError` (`ITER8_PROVIDER_TEMPLATE`) for bad syntax and for a variable that is not
 * set, naming it.
 */
export function renderTemplate(source: string, values: TemplateValues): string {
  const parser = new Parser(splitSegments(source));
  const nodes = parser.parseAll();
  return evaluate(nodes, parser.defines, values);
}

/** A function a compiled template may call: its arguments, evaluated, in order. */
export type TemplateFunction = (args: unknown[]) => unknown;

/** A template parsed once and rendered many times (see `compileTemplate`). */
export interface CompiledTemplate {
  /** False when the source is plain text: rendering it always gives the source back. */
  readonly hasActions: boolean;
  /** Renders the template with `values` as its dot (errors as `renderTemplate`'s). */
  render(values: TemplateValues): string;
}

/**
 * Parses a template once for rendering many times, with `functions` added to (or overriding) the
 * built-in ones. Throws `ProviderError` (`ITER8_PROVIDER_TEMPLATE`) for bad syntax.
 */
export function compileTemplate(
  source: string,
  options: { functions?: Record<string, TemplateFunction> } = {},
): CompiledTemplate {
  const parser = new Parser(splitSegments(source));
  const nodes = parser.parseAll();
  const defines = parser.defines;
  const functions = options.functions;
  return {
    hasActions: nodes.some((node) => node.n !== "text") || defines.size > 0,
    render: (values) => evaluate(nodes, defines, values, functions),
  };
}
