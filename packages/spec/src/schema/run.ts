import { z } from "zod";
import type { RunTask } from "../model.js";
import { TASK_NAMES } from "../model.js";
import { condition, duration, named, taskName, withCondition } from "./common.js";

const script = z
  .string()
  .refine((s) => s.trim() !== "", { error: "the script is empty" })
  .describe("Shell script, run with bash; a non-zero exit fails the task");

const runTimeout = duration(
  "Stop the script (its whole process group) after this long; default 10m; Go syntax: 30s",
).refine((ms) => ms > 0, {
  error: "timeout must be longer than 0",
});
/** `run: <script>`: a bash script. */
export const runTaskSchema = named(
  "RunTask",
  z
    .strictObject({
      run: script,
      if: condition.optional(),
      with: z.strictObject({ timeout: runTimeout.optional() }).optional(),
    })
    .transform((t): RunTask => {
      const inputs: RunTask["with"] = { script: t.run };
      if (t.with?.timeout !== undefined) inputs.timeoutMs = t.with.timeout;
      return withCondition({ task: TASK_NAMES.run, with: inputs }, t.if);
    }),
);

/** `task: run` with `with.script`: the normalised form of a `run:` task, also accepted as input. */
export const runNamedTaskSchema = named(
  "RunNamedTask",
  z
    .strictObject({
      task: taskName(TASK_NAMES.run, "Run a bash script (usually written as run: <script>)"),
      if: condition.optional(),
      with: z.strictObject({ script, timeout: runTimeout.optional() }),
    })
    .transform((t): RunTask => {
      const inputs: RunTask["with"] = { script: t.with.script };
      if (t.with.timeout !== undefined) inputs.timeoutMs = t.with.timeout;
      return withCondition({ task: TASK_NAMES.run, with: inputs }, t.if);
    }),
);

/** `abnmetrics`: read the metrics an `iter8 abn` service collected for an app's versions. */
