import { createRequire } from "node:module";
import type { Client as UndiciClient } from "undici";

// undici's index also loads fetch, web streams, caches, mocks and proxies. Measured on Node 20
// (`node scripts/import-cost.mjs`): requiring the index costs about 140 ms of CPU and 19 MB of
// resident memory in a fresh process (4.6 MB of V8 heap in each load worker thread), the Client
// module alone about 50 ms and 10 MB (1.5 MB of heap per worker). The load generator needs only
// the HTTP/1.1 Client, so it loads that module. undici is pinned to an exact version in
// package.json, and undici-client.test.ts fails if this path stops being undici's public `Client`.
const require = createRequire(import.meta.url);

/** undici's HTTP/1.1 `Client` class (the same class as `import { Client } from "undici"`). */
export const Client = require("undici/lib/dispatcher/client.js") as typeof UndiciClient;
