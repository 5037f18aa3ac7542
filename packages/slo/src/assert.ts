import type { ExperimentResult, Insights } from "@iter8/spec";
import { SLO_ERROR_CODES, SloError } from "./errors.js";
import { evaluateSlos } from "./evaluate-slos.js";

/** A parsed `iter8 assert -c` condition; `text` is its canonical spelling. */
export type AssertCondition =
  | { kind: "completed" | "nofailure" | "slos"; text: string }
  | { kind: "slosby"; version: number; text: string }
  | { kind: "winner"; version?: number; text: string };

/** The outcome of one assert condition against a result. */
export interface AssertOutcome {
  /** The condition's canonical text, e.g. `slosby=1`. */
  condition: string;
  satisfied: boolean;
  /** One line saying why, starting with the condition, e.g. `completed: 1 of 2 tasks done`. */
  message: string;
}

/** The conditions `iter8 assert -c` accepts, as people write them. */
export const ASSERT_CONDITIONS = [
  "completed",
  "nofailure",
  "slos",
  "slosby=<version>",
  "winner",
  "winner=<version>",
] as const;

const SLOSBY = /^slosby\s*=\s*(.*)$/;
const WINNER = /^winner\s*=\s*(.*)$/;

/**
 * Parses one assert condition (`completed`, `nofailure`, `slos`, `slosby=1`; case and surrounding
 * spaces do not matter). Throws {@link SloError} `ITER8_ASSERT_INVALID` naming the valid conditions.
 */
export function parseAssertCondition(text: string): AssertCondition {
  const normal = text.trim().toLowerCase();
  switch (normal) {
    case "completed":
    case "nofailure":
    case "slos":
      return { kind: normal, text: normal };
  }
  if (normal === "winner") return { kind: "winner", text: "winner" };
  const winner = WINNER.exec(normal);
  if (winner) {
    const index = (winner[1] ?? "").trim();
    if (!/^\d+$/.test(index)) {
      throw new SloError(
        SLO_ERROR_CODES.assertInvalid,
        `invalid assert condition "${text}": the version must be an index 0, 1, 2, ...`,
        "write e.g. winner=1 for the second version",
      );
    }
    return { kind: "winner", version: Number(index), text: `winner=${Number(index)}` };
  }
  const slosBy = SLOSBY.exec(normal);
  if (slosBy) {
    const index = (slosBy[1] ?? "").trim();
    if (!/^\d+$/.test(index)) {
      throw new SloError(
        SLO_ERROR_CODES.assertInvalid,
        `invalid assert condition "${text}": the version must be an index 0, 1, 2, ...`,
        "write e.g. slosby=1 for the second version",
      );
    }
    const version = Number(index);
    return { kind: "slosby", version, text: `slosby=${version}` };
  }
  throw new SloError(
    SLO_ERROR_CODES.assertInvalid,
    `unknown assert condition "${text}"; valid conditions: ${ASSERT_CONDITIONS.join(", ")}`,
    "e.g. iter8 assert -c completed -c nofailure -c slos",
  );
}

/**
 * Checks assert conditions against a result, one outcome per condition, in order.
 * - `completed`: every task completed (`numTasks`, else `result.numTasks`) and the run was not
 *   interrupted.
 * - `nofailure`: no task failed.
 * - `slos`: SLOs were assessed for at least one version and every version satisfies all of them.
 * - `slosby=i`: version `i` satisfies all SLOs. Before any version was measured it is simply
 *   unsatisfied (so `assert -t` can wait); once the result has `n` versions, an `i` outside `0..n-1`
 *   throws {@link SloError} `ITER8_ASSERT_INVALID` naming the valid range.
 * - `winner`: the assessment declared a winner; `winner=i`: version `i` is the winner. The message
 *   is the winner's reason (or why there is no winner yet).
 */
export function checkAssertConditions(
  conditions: readonly AssertCondition[],
  result: ExperimentResult,
  numTasks?: number,
): AssertOutcome[] {
  return conditions.map((condition) => {
    const [satisfied, why] = checkOne(condition, result, numTasks);
    return { condition: condition.text, satisfied, message: `${condition.text}: ${why}` };
  });
}

function checkOne(
  condition: AssertCondition,
  result: ExperimentResult,
  numTasks: number | undefined,
): [boolean, string] {
  switch (condition.kind) {
    case "completed":
      return checkCompleted(result, numTasks ?? result.numTasks);
    case "nofailure":
      return checkNoFailure(result);
    case "slos":
      return checkSlos(result.insights);
    case "slosby":
      return checkSlosBy(condition.version, result.insights);
    case "winner":
      return checkWinner(condition.version, result.insights);
  }
}

function checkCompleted(result: ExperimentResult, total: number | undefined): [boolean, string] {
  const done = result.numCompletedTasks;
  if (total === undefined) {
    return [false, `${plural(done, "task")} done; the total number of tasks is unknown`];
  }
  if (result.aborted) return [false, `interrupted after ${done} of ${total} tasks`];
  return [done === total, `${done} of ${total} tasks done`];
}

function checkNoFailure(result: ExperimentResult): [boolean, string] {
  if (!result.failure) return [true, "no task failed"];
  const failed = result.failedTask;
  if (!failed) return [false, "a task failed"];
  return [false, `task ${failed.index + 1} (${failed.task}) failed: ${oneLine(failed.message)}`];
}

function checkSlos(insights: Insights | undefined): [boolean, string] {
  const by = insights?.SLOsSatisfiedBy;
  if (!insights || !by) return [false, "no SLOs were assessed"];
  if (by.length === 0) return [false, "no versions were assessed"];
  const failing = by.flatMap((ok, v) => (ok === true ? [] : [v]));
  if (failing.length === 0) {
    const numSlos = insights.SLOs?.length ?? 0;
    const verb = by.length === 1 ? "satisfies" : "satisfy";
    return [true, `${plural(by.length, "version")} ${verb} all ${plural(numSlos, "SLO")}`];
  }
  return [false, explainFailures(insights, failing)];
}

function checkSlosBy(version: number, insights: Insights | undefined): [boolean, string] {
  const by = insights?.SLOsSatisfiedBy;
  const numVersions = Math.max(by?.length ?? 0, insights?.numVersions ?? 0);
  if (!insights || numVersions === 0) return [false, "no versions were assessed yet"];
  if (version >= numVersions) {
    throw new SloError(
      SLO_ERROR_CODES.assertInvalid,
      `invalid assert condition "slosby=${version}": the result has ${plural(numVersions, "version")}, so the version must be in 0..${numVersions - 1}`,
    );
  }
  if (!by) return [false, "no SLOs were assessed"];
  if (by[version] === true) return [true, `version ${version} satisfies all SLOs`];
  return [false, explainFailures(insights, [version])];
}

function checkWinner(
  version: number | undefined,
  insights: Insights | undefined,
): [boolean, string] {
  const winner = insights?.winner;
  if (!winner) return [false, "no rewards were assessed"];
  if (winner.version === undefined) return [false, winner.reason];
  if (version === undefined || version === winner.version) return [true, winner.reason];
  return [false, `version ${version} is not the winner; ${winner.reason}`];
}

/** Names the failing SLO checks of the given versions, re-evaluated from the stored metrics. */
function explainFailures(insights: Insights, versions: number[]): string {
  const { checks } = evaluateSlos(insights.SLOs ?? [], insights);
  return versions
    .map((v) => {
      const failed = checks.flatMap((row) => {
        const check = row[v];
        return check && !check.satisfied ? [check.message] : [];
      });
      return failed.length > 0 ? failed.join("; ") : `version ${v} does not satisfy all SLOs`;
    })
    .join("; ");
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
