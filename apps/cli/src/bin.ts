#!/usr/bin/env node
import { main } from "./main.js";

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
  // Loaded only by the commands that generate load, so that e.g. `validate` does not load undici.
  prepareForLoad: async () => {
    const { applyLoadProcessFlags } = await import("@iter8/loadgen");
    applyLoadProcessFlags();
  },
});
