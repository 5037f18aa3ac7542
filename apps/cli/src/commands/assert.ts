import { setTimeout as sleep } from "node:timers/promises";
import type { CommandModule } from "yargs";
import { parseDuration, RESULT_FILE } from "@iter8/spec";
import type { ExperimentResult } from "@iter8/spec";
import type { AssertOutcome } from "@iter8/slo";
import type { CommandContext } from "../context.js";
import { EXIT_CODES, UsageError } from "../errors.js";
import {
  experimentDir,
  loadExperimentIfPresent,
  loadResultIfPresentIn,
  withDirOption,
} from "../experiment-dir.js";

/** How often `assert -t` re-reads `result.yaml`. */
const POLL_INTERVAL_MS = 500;

interface AssertArgs {
  dir?: string;
  condition: string[];
  timeout?: string;
}

/**
 * `iter8 assert -c COND [-c COND ...] [-t DURATION]`: checks conditions on `result.yaml`, re-reading
 * it until they all hold or the timeout passes.
 */
export function assertCommand(ctx: CommandContext): CommandModule<object, AssertArgs> {
  return {
    command: "assert",
    describe: "Check that the experiment's result satisfies conditions",
    builder: (y) =>
      withDirOption(y)
        .option("condition", {
          alias: "c",
          type: "string",
          array: true,
          demandOption:
            "Name at least one condition with -c (completed, nofailure, slos, slosby=i, winner, winner=i).",
          describe:
            "completed | nofailure | slos | slosby=<version index> | winner | winner=<version index>",
        })
        .option("timeout", {
          alias: "t",
          type: "string",
          describe:
            "Keep re-reading result.yaml until the conditions hold or this long has passed (e.g. 30s)",
        })
        .example("$0 assert -c completed -c nofailure -c slos", "the seed's quickstart check")
        .example("$0 assert -c completed -c slosby=1 -t 60s", "wait up to a minute for version 1")
        .epilogue("Exit codes: 0 all conditions hold, 1 a condition does not, 2 invalid input."),
    handler: async (argv) => {
      const { checkAssertConditions, parseAssertCondition } = await import("@iter8/slo");
      const dir = experimentDir(ctx, argv.dir);
      const conditions = argv.condition.map((text) => parseAssertCondition(text));
      const timeoutMs = argv.timeout !== undefined ? parseTimeout(argv.timeout) : 0;
      const experiment = await loadExperimentIfPresent(dir);
      const numTasks = experiment?.tasks.length;
      const deadline = Date.now() + timeoutMs;

      let outcomes: AssertOutcome[] = [];
      for (;;) {
        const result: ExperimentResult | undefined = await loadResultIfPresentIn(dir);
        if (!result && timeoutMs === 0) {
          throw new UsageError(
            `no ${RESULT_FILE} in ${dir}`,
            "run the experiment first (iter8 run), or wait for it with -t",
          );
        }
        outcomes = result
          ? checkAssertConditions(conditions, result, numTasks)
          : conditions.map((c) => ({
              condition: c.text,
              satisfied: false,
              message: `${c.text}: no ${RESULT_FILE} yet`,
            }));
        if (outcomes.every((o) => o.satisfied)) break;
        if (Date.now() >= deadline || ctx.signal?.aborted) break;
        await sleep(Math.min(POLL_INTERVAL_MS, Math.max(0, deadline - Date.now())));
      }
      for (const outcome of outcomes) {
        ctx.io.out(`${outcome.satisfied ? "PASS" : "FAIL"}  ${outcome.message}`);
      }
      const ok = outcomes.every((o) => o.satisfied);
      ctx.io.out(ok ? "All conditions are satisfied." : "Not all conditions are satisfied.");
      ctx.setExitCode(ok ? EXIT_CODES.ok : EXIT_CODES.failed);
    },
  };
}

function parseTimeout(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(
      `invalid --timeout "${text}"`,
      "use a duration such as 500ms, 30s or 1m30s",
    );
  }
}
