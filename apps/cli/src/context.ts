import type { CliIO } from "./io.js";
import type { ExitCode } from "./errors.js";

/** What every command receives: where to write, the working directory, and how to report its exit code. */
export interface CommandContext {
  io: CliIO;
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  setExitCode: (code: ExitCode) => void;
}
