import { formatSpecIssue, Iter8Error, SpecError } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Exit codes of the `iter8` command (DESIGN §4). */
export const EXIT_CODES = {
  ok: 0,
  /** A task failed (`run`) or a condition is unmet (`assert`). */
  failed: 1,
  /** Invalid input: usage, experiment, values. */
  invalid: 2,
  /** Interrupted, after the partial result was written. */
  interrupted: 130,
} as const;

/** One of the exit codes above. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Stable codes of the errors the CLI itself raises. */
export const CLI_ERROR_CODES = {
  /** Bad usage or input: a flag, a file, a value. */
  usage: "ITER8_CLI_USAGE",
} as const;

/** One of {@link CLI_ERROR_CODES}. */
export type CliErrorCode = (typeof CLI_ERROR_CODES)[keyof typeof CLI_ERROR_CODES];

/** The kind of every {@link CliErrorCode}. */
export const CLI_ERROR_KINDS: ErrorKindTable<CliErrorCode> = {
  ITER8_CLI_USAGE: "invalid-input",
};

/** An error the CLI itself raises for bad usage or input, with an optional hint line. */
export class UsageError extends Iter8Error<CliErrorCode> {
  override readonly name = "UsageError";
  constructor(message: string, hint?: string) {
    super(CLI_ERROR_CODES.usage, message, hint);
  }
  protected override get kinds(): ErrorKindTable<CliErrorCode> {
    return CLI_ERROR_KINDS;
  }
}

// `instanceof` on the generic class narrows to Iter8Error<any>; this keeps the code a string.
function isIter8Error(error: unknown): error is Iter8Error {
  return error instanceof Iter8Error;
}

/**
 * The one place that turns an error into a message and an exit code. Known iter8 errors become one
 * line (plus a hint) and exit 2 when their `kind` is invalid input, else 1; anything else is a bug,
 * shown with its stack only in debug mode.
 */
export function describeError(
  error: unknown,
  debug: boolean,
): { lines: string[]; exitCode: ExitCode } {
  if (isIter8Error(error)) {
    const issues = error instanceof SpecError ? error.issues : [];
    const lines =
      issues.length > 1
        ? [
            `Error: ${issues.length} problems:`,
            ...issues.map((issue) => `  ${formatSpecIssue(issue)}`),
          ]
        : [`Error: ${error.message}`];
    if (error.hint) lines.push(`Hint: ${error.hint}`);
    if (debug && error.stack) lines.push(error.stack);
    const exitCode = error.kind === "invalid-input" ? EXIT_CODES.invalid : EXIT_CODES.failed;
    return { lines, exitCode };
  }
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`Error: ${message}`];
  if (debug && error instanceof Error && error.stack) lines.push(error.stack);
  else lines.push("Hint: run again with --log-level debug for details.");
  return { lines, exitCode: EXIT_CODES.failed };
}
