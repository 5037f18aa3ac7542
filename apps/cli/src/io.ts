/** Where a command writes; tests pass their own to capture output in-process. */
export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The process's real stdout and stderr. */
export const processIO: CliIO = {
  out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
};
