import { readFileSync } from "node:fs";

/** The version of the `@iter8/cli` package, read from its package.json. */
export function cliVersion(): string {
  const url = new URL("../package.json", import.meta.url);
  const pkg = JSON.parse(readFileSync(url, "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
