import { readFile, stat } from "node:fs/promises";
import type { z } from "zod";
import { SpecError } from "./errors.js";
import type { ParseResult, SpecIssue } from "./errors.js";
import { formatPath } from "./path.js";
import type { PathSegment } from "./path.js";
import { explainTooLarge, readYamlSource } from "./yaml-source.js";
import type { YamlSource } from "./yaml-source.js";
import { PARSE_PARAMS, phraseZodIssues } from "./zod-issues.js";
import type { RawIssue, UnknownKeyHint } from "./zod-issues.js";

/** The kinds of spec document iter8 reads, as named in messages. */
export type DocumentKind = "experiment" | "result" | "routing" | "rollout";

/** Options of the `parse*` functions of spec documents. */
export interface DocumentOptions {
  /** File name to put in issues (as the user should see it). */
  filename?: string;
}

/** An issue found by a document's checks; `whole` issues are about the document and name no line. */
export interface DocumentIssue extends RawIssue {
  whole?: true;
}

/** What the checks of a document found: the normalised value when it is valid, issues, warnings. */
export interface DocumentCheck<T> {
  value?: T;
  issues: DocumentIssue[];
  warnings: RawIssue[];
}

/** A meaning rule's finding: an issue (the document is invalid) or a warning. */
export interface RuleFinding extends RawIssue {
  severity: "issue" | "warning";
}

/** A meaning rule: a small named check of a document that its schema has already accepted. */
export type DocumentRule<C> = (context: C) => RuleFinding[];

/** Runs `rules` in order on `context` and splits their findings into issues and warnings. */
export function applyRules<C>(
  rules: readonly DocumentRule<C>[],
  context: C,
): { issues: RawIssue[]; warnings: RawIssue[] } {
  const issues: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  for (const rule of rules) {
    for (const { severity, ...finding } of rule(context)) {
      (severity === "issue" ? issues : warnings).push(finding);
    }
  }
  return { issues, warnings };
}

/**
 * Checks `value` (found at `path` in its document) against a zod schema, with issues phrased for
 * people (`hint` may give a specific message for an unknown key).
 */
export function checkSchema<S extends z.ZodType>(
  schema: S,
  value: unknown,
  path: PathSegment[] = [],
  hint?: (key: string, parent: readonly PathSegment[]) => UnknownKeyHint | undefined,
): { ok: true; data: z.output<S> } | { ok: false; issues: RawIssue[] } {
  const result = schema.safeParse(value, PARSE_PARAMS);
  if (result.success) return { ok: true, data: result.data };
  return { ok: false, issues: phraseZodIssues(schema, result.error.issues, path, hint) };
}

/**
 * The one way a spec document is parsed: YAML with positions (refusing files of 10 MiB or more,
 * syntax errors, duplicate keys, several documents and alias bombs), then `check` (the schema for
 * shape, then the meaning rules), then every issue and warning located (line, column), sorted by
 * position and given the file name.
 */
export function parseDocument<T>(
  text: string,
  check: (value: unknown) => DocumentCheck<T>,
  options: DocumentOptions = {},
): ParseResult<T> {
  const read = readYamlSource(text);
  if (!read.ok) {
    return { ok: false, issues: [withFile(read.issue, options.filename)], warnings: [] };
  }
  const found = check(read.source.value);
  const located = (list: DocumentIssue[]) => locateIssues(list, read.source, options.filename);
  if (found.issues.length > 0 || found.value === undefined) {
    return { ok: false, issues: located(found.issues), warnings: located(found.warnings) };
  }
  return { ok: true, value: found.value, warnings: located(found.warnings) };
}

function withFile(issue: SpecIssue, filename: string | undefined): SpecIssue {
  return filename === undefined ? issue : { ...issue, file: filename };
}

function locateIssues(
  issues: DocumentIssue[],
  source: YamlSource,
  filename: string | undefined,
): SpecIssue[] {
  return issues
    .map((issue, order) => {
      const position = issue.whole ? undefined : source.locate(issue.path);
      const located = withFile(
        { path: formatPath(issue.path), message: issue.message, ...(position ?? {}) },
        filename,
      );
      return { located, order };
    })
    .sort(
      (a, b) =>
        (a.located.line ?? 0) - (b.located.line ?? 0) ||
        (a.located.column ?? 0) - (b.located.column ?? 0) ||
        a.order - b.order,
    )
    .map((entry) => entry.located);
}

/**
 * Reads a spec document of at most 10 MiB as UTF-8, refusing a larger one (as an issue naming
 * `shown`) before reading it. Throws a `SpecError` `ITER8_FILE_ACCESS` when it cannot be read.
 */
export async function readDocument(
  file: string,
  what: DocumentKind,
  shown: string = file,
): Promise<{ ok: true; text: string } | { ok: false; issue: SpecIssue }> {
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      throw new SpecError("ITER8_FILE_ACCESS", `cannot read ${what} ${shown}: it is a directory`);
    }
    size = info.size;
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw fileError(shown, what, error);
  }
  const tooLarge = explainTooLarge(size);
  if (tooLarge) return { ok: false, issue: { path: "", message: tooLarge, file: shown } };
  try {
    return { ok: true, text: await readFile(file, "utf8") };
  } catch (error) {
    throw fileError(shown, what, error);
  }
}

function fileError(file: string, what: DocumentKind, error: unknown): SpecError {
  const code = (error as { code?: unknown }).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : error instanceof Error
          ? error.message
          : String(error);
  return new SpecError(
    "ITER8_FILE_ACCESS",
    `cannot read ${what} ${file}: ${reason}`,
    [],
    undefined,
    {
      cause: error,
    },
  );
}

/**
 * Reads a spec document and parses it with `parse`, issues naming the file as `shown`. Bad content
 * comes back as issues; throws a `SpecError` `ITER8_FILE_ACCESS` only when it cannot be read.
 */
export async function validateDocumentFile<T>(
  file: string,
  what: DocumentKind,
  parse: (text: string, options: DocumentOptions) => ParseResult<T>,
  shown: string = file,
): Promise<ParseResult<T>> {
  const read = await readDocument(file, what, shown);
  if (!read.ok) return { ok: false, issues: [read.issue], warnings: [] };
  return parse(read.text, { filename: shown });
}
