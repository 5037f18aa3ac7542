// The traffic proxy started from code (@iter8/traffic): two versions of a service behind one
// address, beta users segmented to v2, everyone else split 90/10 with sticky users; the counters
// read back through the admin API's client, then the routing swapped to promote v2.
import { once } from "node:events";
import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseRoutingOrThrow } from "@iter8/spec";
import { createProxyAdminClient, startTrafficProxy, withCandidateWeight } from "@iter8/traffic";

async function startVersion(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/plain" });
    response.end(`hello from ${name}\n`);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const v1 = await startVersion("v1");
const v2 = await startVersion("v2");

const routing = parseRoutingOrThrow(`
versions:
  - {name: v1, url: "${v1.url}"}
  - {name: v2, url: "${v2.url}"}
routes:
  - name: beta
    match:
      - headers: {x-user-group: {exact: beta}}
    split: [{version: v2, weight: 100}]
  - name: everyone-else
    split: [{version: v1, weight: 90}, {version: v2, weight: 10}]
    affinity: {key: header, name: x-user, mode: hash}
`);

// Port 0: free ports for the proxy and its admin API; the admin token is random.
const proxy = await startTrafficProxy({ routing, port: 0, adminPort: 0 });
try {
  /** The version that answered a request with these headers (the proxy's `x-iter8-version`). */
  const versionFor = async (headers: Record<string, string>) => {
    const response = await fetch(`${proxy.url}/checkout`, { headers });
    await response.text();
    return response.headers.get("x-iter8-version") ?? "none";
  };

  const beta = new Set<string>();
  for (let i = 0; i < 10; i++) beta.add(await versionFor({ "x-user-group": "beta" }));
  const byUser = new Map<string, Set<string>>();
  for (let round = 0; round < 3; round++) {
    for (let user = 0; user < 30; user++) {
      const version = await versionFor({ "x-user": `user-${user}` });
      byUser.set(`user-${user}`, (byUser.get(`user-${user}`) ?? new Set()).add(version));
    }
  }
  const sticky = [...byUser.values()].every((versions) => versions.size === 1);
  const onV2 = [...byUser.values()].filter((versions) => versions.has("v2")).length;
  console.log(`beta users went to ${[...beta].join(", ")}`);
  console.log(`30 users, 3 requests each: ${onV2} on v2, every user on one version: ${sticky}`);

  // The admin API's one client (the same one `iter8 traffic rollout` uses).
  const admin = createProxyAdminClient(proxy.adminUrl, { token: proxy.adminToken });
  const stats = await admin.readStats();
  const requests = Object.entries(stats.versions).map(
    ([name, s]) => `${name} ${s.live.requests} (${s.live.errors} errors)`,
  );
  console.log(`proxy counters: ${requests.join(", ")}`);

  // Promote v2 for everyone else: route 1 (everyone-else), baseline v1, candidate v2 at 100.
  const generation = await admin.putRouting(withCandidateWeight(proxy.routing, 1, "v1", "v2", 100));
  const after = await versionFor({ "x-user": "user-0" });
  console.log(`routing generation ${generation}: user-0 now on ${after}`);

  const total = Object.values(stats.versions).reduce((sum, s) => sum + s.live.requests, 0);
  if (beta.size !== 1 || !beta.has("v2") || !sticky || total !== 100 || after !== "v2") {
    console.error("unexpected routing");
    process.exitCode = 1;
  }
} finally {
  await proxy.close();
  v1.server.close();
  v2.server.close();
}
