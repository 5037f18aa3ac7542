export { main } from "./main.js";
export { EXIT_CODES } from "./errors.js";
export type { ExitCode } from "./errors.js";
