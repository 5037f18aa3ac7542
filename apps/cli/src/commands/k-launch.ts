import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { CommandModule } from "yargs";
import { formatSpecIssue, parseExperiment } from "@iter8/spec";
import type { LaunchSpec, PodResources } from "@iter8/kube";
import type { CommandContext } from "../context.js";
import { EXIT_CODES, UsageError } from "../errors.js";
import { EXPERIMENT_FILE, experimentDir } from "../experiment-dir.js";
import { cliVersion } from "../version.js";
import { connect, connectOptions, groupFlags, withClusterFlags } from "./k-cluster.js";
import type { ClusterFlags } from "./k-cluster.js";

interface LaunchArgs extends ClusterFlags {
  dir?: string;
  file?: string;
  parallelism: number;
  image?: string;
  "dry-run": boolean;
  wait: boolean;
  spread: boolean;
  lenient: boolean;
  "cpu-request"?: string;
  "memory-request"?: string;
  "cpu-limit"?: string;
  "memory-limit"?: string;
  "ready-timeout"?: string;
  "report-timeout"?: string;
}

/**
 * `iter8 k launch [-f experiment.yaml] [-n NS] [-g GROUP] [--parallelism N] [--image IMAGE]
 * [--dry-run] [--wait]`: runs the experiment in the cluster as a Job (N pods share the load).
 */
export function kLaunchCommand(ctx: CommandContext): CommandModule<object, LaunchArgs> {
  return {
    command: "launch",
    describe: "Run the experiment in Kubernetes as a Job (--parallelism N pods share the load)",
    builder: (y) =>
      withClusterFlags(y)
        .option("file", {
          alias: "f",
          type: "string",
          describe: "The experiment file (default: experiment.yaml in --dir)",
        })
        .option("parallelism", {
          alias: "p",
          type: "number",
          default: 1,
          describe: "Number of pods; each sends its share of the load, shard 0 merges",
        })
        .option("image", {
          type: "string",
          describe:
            "Container image with iter8 as its entrypoint (default: ghcr.io/iter8-ts/iter8:<version>)",
        })
        .option("dry-run", {
          type: "boolean",
          default: false,
          describe:
            "Print the objects as YAML (for kubectl apply -f - or GitOps) instead of creating them",
        })
        .option("wait", {
          type: "boolean",
          default: false,
          describe: "Wait until the Job completes or fails (Ctrl-C stops waiting, not the Job)",
        })
        .option("spread", {
          type: "boolean",
          default: true,
          describe: "Prefer to schedule the pods on different nodes (--no-spread: no preference)",
        })
        .option("lenient", {
          type: "boolean",
          default: false,
          describe: "Ignore unknown keys in the experiment with a warning instead of refusing them",
        })
        .option("ready-timeout", {
          type: "string",
          describe: "How long the pods wait for every shard to be ready (default: k run's, 5m)",
        })
        .option("report-timeout", {
          type: "string",
          describe:
            "How long shard 0 waits for the other shards' measurements (default: k run's, 2m)",
        })
        .option("cpu-request", { type: "string", describe: "CPU request of each pod (default 1)" })
        .option("memory-request", {
          type: "string",
          describe: "Memory request of each pod (default 256Mi)",
        })
        .option("cpu-limit", { type: "string", describe: "CPU limit of each pod (default none)" })
        .option("memory-limit", {
          type: "string",
          describe: "Memory limit of each pod (default 1Gi)",
        })
        .example("$0 k launch -n loadtest --parallelism 4", "four pods share the load")
        .example(
          "$0 k launch --parallelism 4 --dry-run | kubectl apply -f -",
          "the same, through kubectl",
        )
        .epilogue(
          "Exit codes: 0 launched (with --wait: the Job completed), 1 the Job failed or the API " +
            "refused, 2 invalid input, 130 stopped waiting (the Job goes on).",
        ),
    handler: async (argv) => {
      const kube = await import("@iter8/kube");
      const file = argv.file
        ? resolve(ctx.cwd, argv.file)
        : join(experimentDir(ctx, argv.dir), EXPERIMENT_FILE);
      const experimentYaml = await readExperimentText(file);
      const parsed = parseExperiment(experimentYaml, { filename: file, lenient: argv.lenient });
      if (!parsed.ok) {
        const [first] = parsed.issues;
        throw new UsageError(
          first ? formatSpecIssue(first) : `invalid experiment ${file}`,
          "check it with iter8 validate",
        );
      }
      for (const warning of parsed.warnings) ctx.io.err(`warning: ${formatSpecIssue(warning)}`);

      // A dry run needs no cluster: the namespace is -n, else the kubeconfig's, else default.
      let namespace = argv.namespace;
      const cluster = argv["dry-run"] ? undefined : await connect(ctx, argv);
      if (cluster) namespace = cluster.namespace;
      else if (namespace === undefined) {
        try {
          namespace = kube.connectCluster(connectOptions(ctx, argv)).namespace;
        } catch {
          namespace = "default";
        }
      }
      const spec: LaunchSpec = {
        experimentYaml,
        namespace,
        group: argv.group,
        parallelism: argv.parallelism,
        image: argv.image ?? `${kube.DEFAULT_IMAGE_REPOSITORY}:${cliVersion()}`,
        version: cliVersion(),
        resources: resources(argv, kube.DEFAULT_POD_RESOURCES),
        spread: argv.spread,
        shardTimeouts: {
          ...(argv["ready-timeout"] !== undefined ? { ready: argv["ready-timeout"] } : {}),
          ...(argv["report-timeout"] !== undefined ? { report: argv["report-timeout"] } : {}),
        },
      };
      const objects = kube.buildLaunchObjects(spec);
      if (!cluster) {
        ctx.io.out(kube.formatLaunchObjects(objects).trimEnd());
        ctx.setExitCode(EXIT_CODES.ok);
        return;
      }
      const { deleted, created } = await kube.launchGroup(cluster, objects, {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (deleted.length > 0) {
        ctx.io.err(
          `Replaced the earlier launch of group ${argv.group} (${deleted.length} objects deleted).`,
        );
      }
      for (const ref of created) ctx.io.err(`created ${ref}`);
      const flags = groupFlags(argv.group, namespace);
      ctx.io.out(
        `Launched group ${argv.group} in namespace ${namespace}: ${argv.parallelism} pod(s).`,
      );
      if (!argv.wait) {
        ctx.io.out(
          `Follow it with: iter8 k log ${flags}; check it with: iter8 k assert ${flags} -c completed -t 5m`,
        );
        ctx.setExitCode(EXIT_CODES.ok);
        return;
      }
      const state = await kube.waitForJob(cluster, argv.group, {
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (state.state === "interrupted") {
        ctx.io.err(
          `Stopped waiting; the experiment goes on in the cluster. Delete it with: iter8 k delete ${flags}`,
        );
        ctx.setExitCode(EXIT_CODES.interrupted);
      } else if (state.state === "failed") {
        ctx.io.err(
          `Job failed: ${state.message ?? "a pod failed"} (${state.failed} pod(s) failed). ` +
            `See why with: iter8 k log ${flags}`,
        );
        ctx.setExitCode(EXIT_CODES.failed);
      } else {
        ctx.io.out(
          `Job completed: ${state.succeeded} pod(s) succeeded. Report: iter8 k report ${flags}`,
        );
        ctx.setExitCode(EXIT_CODES.ok);
      }
    },
  };
}

async function readExperimentText(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read ${file}${code === "ENOENT" ? ": no such file" : `: ${String(code)}`}`,
      "name the experiment with -f, or run in its directory (iter8 hub -e load-test makes one)",
    );
  }
}

function resources(argv: LaunchArgs, defaults: PodResources): PodResources {
  const pick = (given: string | undefined, fallback: string | undefined) => given ?? fallback;
  const requests = {
    cpu: pick(argv["cpu-request"], defaults.requests?.cpu),
    memory: pick(argv["memory-request"], defaults.requests?.memory),
  };
  const limits = {
    cpu: pick(argv["cpu-limit"], defaults.limits?.cpu),
    memory: pick(argv["memory-limit"], defaults.limits?.memory),
  };
  const defined = (values: { cpu: string | undefined; memory: string | undefined }) =>
    Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
      cpu?: string;
      memory?: string;
    };
  return { requests: defined(requests), limits: defined(limits) };
}
