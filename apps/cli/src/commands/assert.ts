import { setTimeout as sleep } from "node:timers/promises";
import type { Argv, CommandModule } from "yargs";
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

interface AssertArgs extends AssertFlags {
  dir?: string;
}

/** The flags of `assert` and `k assert`. */
export interface AssertFlags {
  condition: string[];
  timeout?: string;
}

/** Adds `-c/--condition` and `-t/--timeout` (shared by `assert` and `k assert`). */
export function withAssertFlags<T>(y: Argv<T>): Argv<T & AssertFlags> {
  return y
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
        "Keep re-reading the result until the conditions hold or this long has passed (e.g. 30s)",
    })
    .epilogue("Exit codes: 0 all conditions hold, 1 a condition does not, 2 invalid input.");
}

/** Where `checkResult` reads the result from, every time it polls. */
export interface ResultSource {
  /** The result, or undefined when there is none yet. */
  read: () => Promise<ExperimentResult | undefined>;
  /** The number of tasks of the experiment, when known (for `completed`). */
  numTasks: number | undefined;
  /** The error when there is no result and no timeout to wait for one. */
  missing: () => Error;
}

/**
 * Checks the conditions on the result, re-reading it until they all hold or the timeout passes,
 * prints one line per condition and sets the exit code: the one behaviour of `assert` and
 * `k assert`.
 */
export async function checkResult(
  ctx: CommandContext,
  flags: AssertFlags,
  source: ResultSource,
): Promise<void> {
  const { checkAssertConditions, parseAssertCondition } = await import("@iter8/slo");
  const conditions = flags.condition.map((text) => parseAssertCondition(text));
  const timeoutMs = flags.timeout !== undefined ? parseTimeout(flags.timeout) : 0;
  const deadline = Date.now() + timeoutMs;

  let outcomes: AssertOutcome[] = [];
  for (;;) {
    const result = await source.read();
    if (!result && timeoutMs === 0) throw source.missing();
    outcomes = result
      ? checkAssertConditions(conditions, result, source.numTasks)
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
      withAssertFlags(withDirOption(y))
        .example("$0 assert -c completed -c nofailure -c slos", "the seed's quickstart check")
        .example("$0 assert -c completed -c slosby=1 -t 60s", "wait up to a minute for version 1"),
    handler: async (argv) => {
      const dir = experimentDir(ctx, argv.dir);
      const experiment = await loadExperimentIfPresent(dir);
      await checkResult(ctx, argv, {
        read: () => loadResultIfPresentIn(dir),
        numTasks: experiment?.tasks.length,
        missing: () =>
          new UsageError(
            `no ${RESULT_FILE} in ${dir}`,
            "run the experiment first (iter8 run), or wait for it with -t",
          ),
      });
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
