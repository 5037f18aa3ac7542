import type { CommandModule } from "yargs";
import { formatSpecIssue, parseExperiment, parseResult, SpecError } from "@iter8/spec";
import type { Experiment, ExperimentResult } from "@iter8/spec";
import type { GroupDocuments, KubeCluster } from "@iter8/kube";
import type { CommandContext } from "../context.js";
import { UsageError } from "../errors.js";
import { checkResult, withAssertFlags } from "./assert.js";
import type { AssertFlags } from "./assert.js";
import { connect, groupFlags, withClusterFlags } from "./k-cluster.js";
import type { ClusterFlags } from "./k-cluster.js";

type KAssertArgs = ClusterFlags & AssertFlags;

/** `iter8 k assert -c COND ... [-t DURATION]`: `assert` on the result a launched group wrote. */
export function kAssertCommand(ctx: CommandContext): CommandModule<object, KAssertArgs> {
  return {
    command: "assert",
    describe: "Check conditions on the result of an experiment launched in Kubernetes",
    builder: (y) =>
      withAssertFlags(withClusterFlags(y)).example(
        "$0 k assert -n loadtest -c completed -c nofailure -c slos -t 5m",
        "wait up to five minutes for the launched experiment",
      ),
    handler: async (argv) => {
      const cluster = await connect(ctx, argv);
      const first = await readGroupResult(cluster, argv.group);
      await checkResult(ctx, argv, {
        // Re-read from the cluster on every poll.
        read: async () => (await readGroupResult(cluster, argv.group)).result,
        numTasks: first.experiment?.tasks.length,
        missing: () =>
          new UsageError(
            `group ${argv.group} in namespace ${cluster.namespace} has no result yet`,
            `wait for it with -t, or see how it goes with iter8 k log ${groupFlags(argv.group, cluster.namespace)}`,
          ),
      });
    },
  };
}

/** The group's experiment and result, parsed; a result that does not parse is an error naming the Secret. */
export async function readGroupResult(
  cluster: KubeCluster,
  group: string,
): Promise<{ experiment: Experiment | undefined; result: ExperimentResult | undefined }> {
  const { groupNames, readGroup } = await import("@iter8/kube");
  const documents: GroupDocuments = await readGroup(cluster, group);
  const experiment = parseExperiment(documents.experimentYaml, { lenient: true });
  if (documents.resultYaml === undefined) {
    return { experiment: experiment.ok ? experiment.value : undefined, result: undefined };
  }
  const where = `result.yaml in Secret ${groupNames(group).result} (namespace ${cluster.namespace})`;
  const parsed = parseResult(documents.resultYaml, { filename: where });
  if (!parsed.ok) {
    const [issue] = parsed.issues;
    throw new SpecError(
      "ITER8_RESULT_INVALID",
      issue ? formatSpecIssue(issue) : `${where} is not a result`,
      parsed.issues,
    );
  }
  return { experiment: experiment.ok ? experiment.value : undefined, result: parsed.value };
}
