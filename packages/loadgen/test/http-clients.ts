import { runLoad } from "../src/index.js";
import type { HttpClient, LoadControl, LoadOptions, LoadResult } from "../src/index.js";

/** The HTTP/1.1 clients every transport behaviour test runs against. */
export const HTTP_CLIENTS: readonly HttpClient[] = ["lean", "undici"];

/**
 * `runLoad` with `httpClient` forced, except for what only undici carries (pipelining), where
 * `lean` becomes `auto` (which picks undici there).
 */
export function runLoadWith(
  httpClient: HttpClient,
): (options: LoadOptions, control?: LoadControl) => Promise<LoadResult> {
  return (options, control) => {
    const undiciOnly = (options.pipelining ?? 1) > 1;
    const client = httpClient === "lean" && undiciOnly ? "auto" : httpClient;
    return runLoad({ httpClient: client, ...options }, control);
  };
}
