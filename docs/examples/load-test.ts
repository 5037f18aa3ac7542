// A load test from a Node service: start an HTTP endpoint, load it with @iter8/loadgen at a fixed
// rate for a fixed number of requests, and turn what was measured into iter8's built-in metrics.
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { runLoad } from "@iter8/loadgen";
import { deriveBuiltInMetrics } from "@iter8/metrics";

const server = createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.end('{"status":"ok"}');
});
server.listen(0, "127.0.0.1");
await once(server, "listening");
const { port } = server.address() as AddressInfo;

try {
  // 200 requests at 100 per second over 4 connections; the signal bounds the run at 60 s
  // (an aborted run resolves with what it measured, marked `aborted`).
  const result = await runLoad(
    { url: `http://127.0.0.1:${port}/health`, qps: 100, numRequests: 200, connections: 4 },
    { signal: AbortSignal.timeout(60_000) },
  );
  const { values } = deriveBuiltInMetrics(result, [50, 99]);
  const ms = (name: string) => values[name]?.[0]?.toFixed(2) ?? "n/a";

  console.log(
    `requests ${result.requests}, errors ${result.errors}, ` +
      `status codes ${JSON.stringify(result.statusCodes)}, ${result.achievedRate.toFixed(0)} req/s`,
  );
  console.log(`p50 ${ms("built-in/p50.0")} ms, p99 ${ms("built-in/p99.0")} ms`);

  if (result.aborted || result.requests !== 200 || result.errors !== 0) {
    console.error("load test failed: expected 200 requests without errors");
    process.exitCode = 1;
  }
} finally {
  server.close();
}
