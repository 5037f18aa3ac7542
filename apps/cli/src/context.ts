import type { CliIO } from "./io.js";
import type { ExitCode } from "./errors.js";

/** What every command receives: where to write, the working directory, and how to report its exit code. */
export interface CommandContext {
  io: CliIO;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  signal?: AbortSignal;
  /** True when progress goes to a terminal, so a live line can be drawn. */
  isTTY?: boolean;
  /** Called by commands that generate load before they start (see `MainOptions.prepareForLoad`). */
  prepareForLoad?: () => void | Promise<void>;
  setExitCode: (code: ExitCode) => void;
}
