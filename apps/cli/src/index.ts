/** @public The CLI in-process: `main(argv)` returns the exit code (for embedders and tests). */
export { main } from "./main.js";
/** @public The exit codes `main` returns. */
export { EXIT_CODES } from "./errors.js";
/** @public One of `EXIT_CODES`. */
export type { ExitCode } from "./errors.js";
