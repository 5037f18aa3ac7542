// The Kubernetes side (@iter8/kube), offline: the objects `iter8 k launch` would create for a load
// test spread over 3 pods, and how the engine splits the experiment's load among those pods.
// Nothing here needs a cluster; `connectCluster` + `launchGroup(cluster, objects)` would apply them.
import { splitExperiment } from "@iter8/engine";
import { buildLaunchObjects, formatLaunchObjects, groupNames } from "@iter8/kube";
import type { LoadTask } from "@iter8/spec";
import { parseExperiment } from "@iter8/spec";

const experimentYaml = `
- task: gen-load-and-collect-metrics
  with:
    numRequests: 3000
    qps: 100
    connections: 8
    versionInfo:
    - url: http://checkout.shop.svc.cluster.local:8080/health
- task: assess-app-versions
  with:
    SLOs:
    - metric: built-in/error-rate
      upperLimit: 0
    - metric: built-in/p99
      upperLimit: 250
`;

const pods = 3;
const objects = buildLaunchObjects({
  experimentYaml,
  namespace: "loadtest",
  group: "checkout",
  parallelism: pods,
  image: "ghcr.io/iter8-ts/iter8:0.1.0",
  version: "0.1.0",
});
for (const object of objects) console.log(`${object.kind}/${object.metadata?.name ?? "?"}`);

const job = objects.find((object) => object.kind === "Job");
const jobSpec = job && "spec" in job ? job.spec : undefined;
console.log(
  `Job ${groupNames("checkout").job}: parallelism ${jobSpec?.parallelism}, ` +
    `completion mode ${jobSpec?.completionMode ?? "NonIndexed"}`,
);
const manifest = formatLaunchObjects(objects); // what `iter8 k launch --dry-run` prints
console.log(`manifest: ${manifest.split("\n---\n").length} YAML documents for kubectl apply -f -`);

// Each pod runs shard i of N (`runShard`); its share of the load is this pure split.
const parsed = parseExperiment(experimentYaml);
if (!parsed.ok) throw new Error("invalid experiment");
let requests = 0;
for (let shard = 0; shard < pods; shard++) {
  const load = splitExperiment(parsed.value, shard, pods).tasks[0] as LoadTask;
  requests += load.with.numRequests ?? 0;
  console.log(
    `shard ${shard}: ${load.with.numRequests} requests at ${load.with.qps}/s over ${load.with.connections} connections`,
  );
}

if (objects.length === 0 || jobSpec?.parallelism !== pods || requests !== 3000) {
  console.error("unexpected launch objects or split");
  process.exitCode = 1;
}
