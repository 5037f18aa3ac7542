#!/usr/bin/env node

/** Sets the V8 flags of a load-generating process (`@iter8/loadgen/runtime-flags`: only node:v8). */
async function prepareForLoad(): Promise<void> {
  const { applyLoadProcessFlags } = await import("@iter8/loadgen/runtime-flags");
  applyLoadProcessFlags();
}

// Commands that generate load (`run`, `k run`) set the load process's V8 flags before anything
// else loads: while the CLI's modules load, V8 would otherwise grow the young generation, and
// that memory stays (about 8 MiB more peak RSS for `iter8 run`). A "run" elsewhere in the
// arguments only sets them needlessly; other commands load nothing of loadgen.
const args = process.argv.slice(2);
if (args.includes("run")) await prepareForLoad();
// `traffic proxy` sets the proxy process's V8 flags (`@iter8/traffic/runtime-flags`: only node:v8)
// before the proxy loads: about a sixth less CPU per proxied request (see PROXY_PROCESS_FLAGS).
if (args.includes("traffic") && args.includes("proxy")) {
  const { applyProxyProcessFlags } = await import("@iter8/traffic/runtime-flags");
  applyProxyProcessFlags();
}
const { main } = await import("./main.js");

// Ctrl-C (or SIGTERM) aborts the running command, which keeps what it measured and exits 130.
// A second Ctrl-C exits at once.
const controller = new AbortController();
let interrupts = 0;
const interrupt = () => {
  interrupts++;
  if (interrupts > 1) process.exit(130);
  controller.abort();
};
process.on("SIGINT", interrupt);
process.on("SIGTERM", interrupt);

process.exitCode = await main(process.argv.slice(2), {
  signal: controller.signal,
  isTTY: process.stderr.isTTY,
  // Set above already for `run` and `k run`; repeated (it is idempotent) for any other caller.
  prepareForLoad,
});
