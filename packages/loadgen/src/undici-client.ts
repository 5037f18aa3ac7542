import { createRequire } from "node:module";
import type { Client as UndiciClient } from "undici";

// undici's index also loads fetch, web streams, caches, mocks and proxies: measured on Node 20,
// requiring it costs about 150 ms of CPU and 21 MB of resident memory, its Client module alone
// 57 ms and 11.5 MB (17 MB vs 5 MB in each load worker thread). The load generator needs only the
// HTTP/1.1 Client, so it loads that module. undici is pinned to an exact version in package.json,
// and undici-client.test.ts fails if this path stops being undici's public `Client`.
const require = createRequire(import.meta.url);

/** undici's HTTP/1.1 `Client` class (the same class as `import { Client } from "undici"`). */
export const Client = require("undici/lib/dispatcher/client.js") as typeof UndiciClient;
