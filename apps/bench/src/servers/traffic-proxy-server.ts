// iter8's traffic proxy as a bench target, run as its own (pinned) process: one route, one
// version, in front of the upstream URL given as the argument. Prints `{"port": N}` once listening.
// Sets the same process flags as `iter8 traffic proxy` before the proxy loads.
// Usage: node dist/servers/traffic-proxy-server.js http://127.0.0.1:PORT
import { applyProxyProcessFlags } from "@iter8/traffic/runtime-flags";

applyProxyProcessFlags();
const { parseRoutingOrThrow } = await import("@iter8/spec");
const { startTrafficProxy } = await import("@iter8/traffic");

const upstream = process.argv[2];
if (upstream === undefined || !/^https?:\/\//.test(upstream)) {
  process.stderr.write("usage: traffic-proxy-server http://127.0.0.1:PORT\n");
  process.exit(2);
}
const routing = parseRoutingOrThrow(`versions:
  - {name: upstream, url: "${upstream.replace(/\/$/, "")}"}
routes:
  - split: [{version: upstream, weight: 100}]
`);
const proxy = await startTrafficProxy({ routing, port: 0, adminPort: 0 });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(proxy.url).port) })}\n`);
const stop = (): void => {
  void proxy.close().then(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
