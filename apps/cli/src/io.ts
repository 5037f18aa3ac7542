/** Where a command writes; tests pass their own to capture output in-process. */
export interface CliIO {
  /** Results: reports, schemas, versions. */
  out: (text: string) => void;
  /** Errors and summaries of failures. */
  err: (text: string) => void;
  /** Progress, written as is (no newline added), so a live line can be rewritten. */
  progress: (text: string) => void;
}

/**
 * A stream of the process that the reader may close early (`iter8 report -o json | head -1`).
 * A closed reader is a normal end for a command line tool: the first `EPIPE` marks the stream
 * closed, later writes are dropped, and the command ends with its own exit code, without a stack
 * trace. Any other error of the stream is rethrown as before.
 */
function closableWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  let listening = false;
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") {
      closed = true;
      return;
    }
    throw error;
  };
  return (text) => {
    if (closed) return;
    if (!listening) {
      stream.on("error", onError);
      listening = true;
    }
    try {
      stream.write(text);
    } catch (error) {
      // A synchronous EPIPE (a pipe written with no reader left) ends the output the same way.
      if ((error as NodeJS.ErrnoException).code === "EPIPE") closed = true;
      else throw error;
    }
  };
}

const writeStdout = closableWriter(process.stdout);
const writeStderr = closableWriter(process.stderr);

/** The process's real stdout and stderr; progress goes to stderr. A closed reader ends output quietly. */
export const processIO: CliIO = {
  out: (text) => writeStdout(text.endsWith("\n") ? text : `${text}\n`),
  err: (text) => writeStderr(text.endsWith("\n") ? text : `${text}\n`),
  progress: (text) => writeStderr(text),
};
