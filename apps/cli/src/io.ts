/** Where a command writes; tests pass their own to capture output in-process. */
export interface CliIO {
  /** Results: reports, schemas, versions. */
  out: (text: string) => void;
  /** Errors and summaries of failures. */
  err: (text: string) => void;
  /** Progress, written as is (no newline added), so a live line can be rewritten. */
  progress: (text: string) => void;
}

/** The process's real stdout and stderr; progress goes to stderr. */
export const processIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  progress: (text) => process.stderr.write(text),
};
