import { setFlagsFromString } from "node:v8";

/**
 * The V8 flags `applyLoadProcessFlags` sets, in order.
 *
 * - `--liftoff-only`: WebAssembly stays on V8's baseline compiler. undici parses HTTP with
 *   WebAssembly (llhttp); optimising it with TurboFan early in a run holds 30–40 MB of compiler
 *   memory for a moment, which was most of a run's peak RSS. HTTP and https loads now use the lean
 *   client (no WebAssembly); the flag still matters to loads undici carries (pipelining, headers
 *   that change the framing).
 * - `--semi-space-growth-factor=1`: the young generation keeps its start size. V8 doubles it each
 *   time enough objects have survived scavenges since it last grew, and a load generator always has
 *   requests in flight that survive, so by default RSS climbs by about 8 and then 16 MB over the
 *   first minute of a run. Young-generation collections stay short: they copy only the live objects.
 * - `--no-incremental-marking`: keeps V8's memory reducer from starting. After a full collection
 *   (one happens while the CLI's modules load) the reducer checks the allocation rate 8 s later;
 *   a generator at 1 000 requests/s and less allocates slowly enough to count as idle, so it ran two
 *   or three extra full collections whose marking steps held the engine thread for 5–20 ms, 8–10 s
 *   after start-up (inside a measured run): requests due meanwhile left that late. `--no-memory-reducer` cannot do it at run
 *   time (V8 reads it when the heap is set up), but the reducer does nothing where incremental
 *   marking is off. Full collections are rare in a load run (none in 60 s unpaced at 50
 *   connections) and now mark in one pause: 20–35 ms once at start-up, while modules load.
 */
export const LOAD_PROCESS_FLAGS: readonly string[] = [
  "--liftoff-only",
  "--semi-space-growth-factor=1",
  "--no-incremental-marking",
];

/**
 * Sets V8 flags that keep the memory of a process that exists to generate load low and flat (see
 * `LOAD_PROCESS_FLAGS`): the iter8 CLI's `run` and the benchmark runner call it. It changes the
 * whole process (worker threads included) and cannot be undone, so a service that embeds the
 * generator next to other work should not call it. Call it before the first request (undici
 * compiles its parser at its first connection), and best before loading other modules: the young
 * generation grows while they load. `@iter8/loadgen/runtime-flags` exports it alone (it imports
 * nothing but `node:v8`) for that.
 */
export function applyLoadProcessFlags(): void {
  for (const flag of LOAD_PROCESS_FLAGS) setFlagsFromString(flag);
}
