/** One problem found in an experiment or result file. */
export interface SpecIssue {
  /** Where in the document, e.g. `[1].with.SLOs[0].upperLimit`; empty for the whole document. */
  path: string;
  /** What is wrong and what was expected, for a person to act on. */
  message: string;
  /** 1-based line of the offending key or entry, when the YAML gives it. */
  line?: number;
  /** 1-based column of the offending key or entry, when the YAML gives it. */
  column?: number;
  /** The file the issue is in, when known. */
  file?: string;
}

/** The outcome of validating a document: the value and warnings, or the issues that prevent it. */
export type ParseResult<T> =
  | { ok: true; value: T; warnings: SpecIssue[] }
  | { ok: false; issues: SpecIssue[]; warnings: SpecIssue[] };

/** Stable codes of the errors `@iter8/spec` throws. */
export const SPEC_ERROR_CODES = {
  /** The experiment (or a condition, duration or other spec value) is invalid. */
  specInvalid: "ITER8_SPEC_INVALID",
  /** `result.yaml` exists but its content is not a valid result. */
  resultInvalid: "ITER8_RESULT_INVALID",
  /** A file could not be read or written. */
  file: "ITER8_FILE_ACCESS",
} as const;

/** One of the codes above. */
export type SpecErrorCode = (typeof SPEC_ERROR_CODES)[keyof typeof SPEC_ERROR_CODES];

/** The kind of every {@link SpecErrorCode}: all of them are input the caller can fix. */
export const SPEC_ERROR_KINDS: ErrorKindTable<SpecErrorCode> = {
  ITER8_SPEC_INVALID: "invalid-input",
  ITER8_RESULT_INVALID: "invalid-input",
  ITER8_FILE_ACCESS: "invalid-input",
};

/** Formats an issue as `file:line:col: [path] message` (parts that are unknown are left out). */
export function formatSpecIssue(issue: SpecIssue): string {
  let where = issue.file ?? "";
  if (issue.line !== undefined) {
    where += `${where ? ":" : ""}${issue.line}`;
    if (issue.column !== undefined) where += `:${issue.column}`;
  }
  const path = issue.path ? `[${issue.path}] ` : "";
  return `${where ? `${where}: ` : ""}${path}${issue.message}`;
}

/**
 * What an error means for whoever called: the input was invalid (a file, a flag, a value to fix;
 * the CLI exits 2) or an operation failed (a backend, a port, a task; the CLI exits 1).
 */
export const ERROR_KINDS = {
  invalidInput: "invalid-input",
  failure: "failure",
} as const;

/** One of {@link ERROR_KINDS}. */
export type Iter8ErrorKind = (typeof ERROR_KINDS)[keyof typeof ERROR_KINDS];

/**
 * The kind of each code of one error class. A `Record` over the class's code union, so TypeScript
 * rejects a table that leaves a code out: a new code cannot be added without saying what it means.
 */
export type ErrorKindTable<Code extends string> = Readonly<Record<Code, Iter8ErrorKind>>;

/**
 * The base of every error iter8's packages throw: a stable machine-readable `code`
 * (`ITER8_<AREA>_<WHAT>`), its `kind` (invalid input or failure, from the class's table of kinds),
 * a one-line message for people, and optionally a `hint` (what to do about it) and a `cause`.
 * Embedders tell iter8's errors from bugs with `instanceof Iter8Error`, and branch on `kind` or
 * `code`. A subclass names its codes and implements `kinds` with an {@link ErrorKindTable}.
 */
export abstract class Iter8Error<Code extends string = string> extends Error {
  override readonly name: string = "Iter8Error";
  constructor(
    readonly code: Code,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** The kind of each of this class's codes. */
  protected abstract get kinds(): ErrorKindTable<Code>;

  /** `invalid-input` when the caller's input is at fault, `failure` otherwise; follows from `code`. */
  get kind(): Iter8ErrorKind {
    return this.kinds[this.code];
  }
}

/** The error `@iter8/spec` throws: a stable `code`, a one-line message, and every issue found. */
export class SpecError extends Iter8Error<SpecErrorCode> {
  override readonly name = "SpecError";
  protected override get kinds(): ErrorKindTable<SpecErrorCode> {
    return SPEC_ERROR_KINDS;
  }
  constructor(
    code: SpecErrorCode,
    message: string,
    readonly issues: SpecIssue[] = [],
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, hint, options);
  }
}

/** Builds the `SpecError` for a list of issues: the message names the first, the hint the rest. */
export function errorFromIssues(
  code: SpecErrorCode,
  issues: SpecIssue[],
  what: string,
  hint?: string,
): SpecError {
  const first = issues[0];
  const head = first ? formatSpecIssue(first) : `${what} is invalid`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new SpecError(code, `${head}${more}`, issues, hint);
}
