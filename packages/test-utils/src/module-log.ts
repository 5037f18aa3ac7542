/**
 * A file URL to preload with `node --import`: the process then appends the URL of every ES module
 * it resolves, one per line, to the file named by its `MODULE_LOG_FILE` environment variable.
 * Tests use it to check what a command or an entry point loads.
 */
export const MODULE_LOG_REGISTER = new URL("../module-log/register.mjs", import.meta.url).href;
