import type { SloEvaluation } from "@iter8/slo";
import type { RolloutSpec } from "@iter8/spec";

/** What the controller did at one point, and why. */
export interface RolloutDecision {
  /** ISO time of the decision. */
  time: string;
  action: "start" | "advance" | "hold" | "rollback" | "promote" | "abort";
  /** Candidate weight (percent) in force after the decision. */
  weight: number;
  /** One line for people. */
  reason: string;
  /** Candidate requests, errors and SLO metric values over the step, when a check ran. */
  candidate?: RolloutCandidateCheck;
}

/** The candidate's requests, errors and SLO metric values over one step. */
export interface RolloutCandidateCheck {
  requests: number;
  errors: number;
  /** SLO metric → the candidate's latest value over the step; `null` without one. */
  metrics: Record<string, number | null>;
}

/** Where a rollout stands between checks. */
export interface RolloutState {
  /** Index into `spec.steps` of the weight in force. */
  stepIndex: number;
  /** Failed checks so far (in total, not in a row). */
  failedChecks: number;
}

/** What one step's check found. */
export interface StepEvaluation {
  /** The candidate's counters and SLO metric values over the step. */
  candidate: RolloutCandidateCheck;
  /** The rollout's SLOs evaluated with the candidate as version 1. */
  slos: SloEvaluation;
  /** Why provider metrics could not be read at all (e.g. a secret that cannot be read). */
  providerFailures: readonly string[];
}

/** The decision after one step's check, and the state it leads to. */
export interface StepDecision {
  action: "advance" | "hold" | "rollback" | "promote";
  /** Candidate weight (percent) in force after the decision. */
  weight: number;
  /** One line for people. */
  reason: string;
  /** The state after the decision; a rollback or a promotion ends the rollout. */
  state: RolloutState;
}

/**
 * Decides what follows one step's check, without side effects: a check passes when the candidate
 * served at least `minRequests` and met every SLO (version 1 of `evaluation.slos`); a passed check
 * advances to the next step, or promotes at the last; a failed check holds, and the
 * `failureLimit`-th failed check rolls back to 0%.
 */
export function decideStep(
  state: RolloutState,
  evaluation: StepEvaluation,
  spec: RolloutSpec,
): StepDecision {
  const weight = spec.steps[state.stepIndex] ?? 100;
  const { requests } = evaluation.candidate;
  const failures = evaluation.slos.checks
    .map((row) => row[1])
    .filter((check) => check !== undefined && !check.satisfied)
    .map((check) => `${spec.candidate} ${check?.finding ?? ""}`);
  failures.push(...evaluation.providerFailures);
  if (requests < spec.minRequests) {
    failures.unshift(
      `${spec.candidate} served ${requests} request${requests === 1 ? "" : "s"} at ${weight}% (fewer than minRequests ${spec.minRequests})`,
    );
  }
  if (failures.length === 0) {
    const met = `${spec.candidate} met every SLO at ${weight}% over ${requests} requests`;
    if (state.stepIndex >= spec.steps.length - 1) {
      return { action: "promote", weight, reason: `${met}; rollout complete`, state };
    }
    const next = spec.steps[state.stepIndex + 1] ?? 100;
    return {
      action: "advance",
      weight: next,
      reason: `${met}; advancing to ${spec.steps[state.stepIndex + 1]}%`,
      state: { ...state, stepIndex: state.stepIndex + 1 },
    };
  }
  const failedChecks = state.failedChecks + 1;
  const failed = `${failures.join("; ")}; failed check ${failedChecks} of ${spec.failureLimit}`;
  if (failedChecks >= spec.failureLimit) {
    return {
      action: "rollback",
      weight: 0,
      reason: `${failed}: all traffic back to ${spec.baseline}`,
      state: { ...state, failedChecks },
    };
  }
  return {
    action: "hold",
    weight,
    reason: `${failed}: holding at ${weight}%`,
    state: { ...state, failedChecks },
  };
}
