import type { Condition, ExperimentResult } from "@iter8/spec";

/**
 * Evaluates a parsed `if:` condition against the result so far. `SLOs()` holds when there is at
 * least one version and every version satisfies every SLO; `SLOsBy(i)` holds when version `i`
 * satisfies every SLO. Before any SLOs were assessed, and for a version index the result does not
 * have, both are false (never an error: an `if:` guards a task, it does not validate input).
 * `Winner()` holds once a winner was declared, `Winner(i)` when version `i` is the winner.
 */
export function evaluateCondition(condition: Condition, result: ExperimentResult): boolean {
  switch (condition.kind) {
    case "slos": {
      const by = result.insights?.SLOsSatisfiedBy ?? [];
      return by.length > 0 && by.every((ok) => ok === true);
    }
    case "slosBy":
      return result.insights?.SLOsSatisfiedBy?.[condition.version] === true;
    case "winner": {
      const winner = result.insights?.winner?.version;
      return (
        winner !== undefined && (condition.version === undefined || winner === condition.version)
      );
    }
    case "not":
      return !evaluateCondition(condition.operand, result);
    case "and":
      return (
        evaluateCondition(condition.left, result) && evaluateCondition(condition.right, result)
      );
    case "or":
      return (
        evaluateCondition(condition.left, result) || evaluateCondition(condition.right, result)
      );
  }
}
