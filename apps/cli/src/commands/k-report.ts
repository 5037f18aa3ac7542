import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import { UsageError } from "../errors.js";
import { readGroupResult } from "./k-assert.js";
import { connect, groupFlags, withClusterFlags } from "./k-cluster.js";
import type { ClusterFlags } from "./k-cluster.js";
import { emitReport, withReportFlags } from "./report.js";
import type { ReportFlags } from "./report.js";

type KReportArgs = ClusterFlags & ReportFlags;

/** `iter8 k report -o FORMAT`: `report` of the result a launched group wrote. */
export function kReportCommand(ctx: CommandContext): CommandModule<object, KReportArgs> {
  return {
    command: "report",
    describe: "Report on an experiment launched in Kubernetes (text, markdown, json or html)",
    builder: (y) =>
      withReportFlags(withClusterFlags(y)).example(
        "$0 k report -n loadtest -o html --output report.html",
        "the launched experiment's HTML report",
      ),
    handler: async (argv) => {
      const cluster = await connect(ctx, argv);
      const { experiment, result } = await readGroupResult(cluster, argv.group);
      if (!result) {
        throw new UsageError(
          `group ${argv.group} in namespace ${cluster.namespace} has no result yet`,
          `wait for it with iter8 k assert ${groupFlags(argv.group, cluster.namespace)} -c completed -t 5m`,
        );
      }
      await emitReport(ctx, argv, experiment, result);
    },
  };
}
