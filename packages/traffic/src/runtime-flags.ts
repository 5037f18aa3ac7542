import { setFlagsFromString } from "node:v8";

/**
 * The V8 flags `applyProxyProcessFlags` sets, in order.
 *
 * - `--no-allocation-site-pretenuring`: V8 allocates objects from a literal straight into the old
 *   generation once 85% of that literal's objects have survived a young-generation collection. In
 *   the proxy that decision fires for the request path's literals (the parsed head and its header
 *   list, the upstream request and its handler) within seconds of steady load, and then cascades:
 *   an old object, dead or not, keeps the young objects it points to alive through every scavenge,
 *   so they are copied and promoted too, until a full collection. Measured in front of nginx
 *   (`wrk -t1 -c50`, proxy on one core): 150 MB promoted and 550 ms of scavenges in 4 s without
 *   the flag, 0.2 MB and 60 ms with it; about 16% less CPU per request.
 */
export const PROXY_PROCESS_FLAGS: readonly string[] = ["--no-allocation-site-pretenuring"];

/**
 * Sets V8 flags for a process that exists to run the traffic proxy (see `PROXY_PROCESS_FLAGS`):
 * `iter8 traffic proxy` and the benchmark's proxy call it. It changes the whole process and cannot
 * be undone, so the library never calls it; a service that embeds the proxy may, or may start Node
 * with the same flags. Call it before the proxy serves its first request.
 * `@iter8/traffic/runtime-flags` exports it alone (it imports nothing but `node:v8`).
 */
export function applyProxyProcessFlags(): void {
  for (const flag of PROXY_PROCESS_FLAGS) setFlagsFromString(flag);
}
