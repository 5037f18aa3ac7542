import { describe, expect, it } from "vitest";
import { evaluateSlos } from "@iter8/slo";
import { parseRollout } from "@iter8/spec";
import type { Insights, RolloutSpec } from "@iter8/spec";
import { decideStep } from "./decide-step.js";
import type { RolloutState, StepEvaluation } from "./decide-step.js";

function specOf(extra = ""): RolloutSpec {
  const parsed = parseRollout(`admin: http://127.0.0.1:9901
baseline: v1
candidate: v2
steps: [20, 50, 100]
interval: 1s
failureLimit: 2
minRequests: 5
SLOs:
  - metric: built-in/error-rate
    upperLimit: 0.05
${extra}`);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.value;
}

/** A check of the candidate (version 1) with `requests` requests and the given error rate. */
function checkOf(spec: RolloutSpec, requests: number, errorRate: number): StepEvaluation {
  const insights: Insights = {
    numVersions: 2,
    metricsInfo: {},
    metricValues: [{}, { "built-in/error-rate": [errorRate] }],
  };
  return {
    candidate: { requests, errors: Math.round(requests * errorRate), metrics: {} },
    slos: evaluateSlos(spec.SLOs, insights),
    providerFailures: [],
  };
}

describe("decideStep", () => {
  const spec = specOf();
  const start: RolloutState = { stepIndex: 0, failedChecks: 0 };

  it("advances a passed check to the next step", () => {
    expect(decideStep(start, checkOf(spec, 40, 0), spec)).toEqual({
      action: "advance",
      weight: 50,
      reason: "v2 met every SLO at 20% over 40 requests; advancing to 50%",
      state: { stepIndex: 1, failedChecks: 0 },
    });
  });

  it("promotes a passed check at the last step", () => {
    const last = { stepIndex: 2, failedChecks: 1 };
    expect(decideStep(last, checkOf(spec, 40, 0), spec)).toMatchObject({
      action: "promote",
      weight: 100,
      reason: "v2 met every SLO at 100% over 40 requests; rollout complete",
      state: last,
    });
  });

  it("holds a failed check, naming the candidate in slo's finding", () => {
    expect(decideStep(start, checkOf(spec, 40, 0.25), spec)).toEqual({
      action: "hold",
      weight: 20,
      reason:
        "v2 fails built-in/error-rate <= 0.05 (value 0.25); failed check 1 of 2: holding at 20%",
      state: { stepIndex: 0, failedChecks: 1 },
    });
  });

  it("rolls back at the failureLimit-th failed check, counting too few requests as a failure", () => {
    const step = decideStep({ stepIndex: 1, failedChecks: 1 }, checkOf(spec, 1, 0), spec);
    expect(step).toEqual({
      action: "rollback",
      weight: 0,
      reason:
        "v2 served 1 request at 50% (fewer than minRequests 5); failed check 2 of 2: all traffic back to v1",
      state: { stepIndex: 1, failedChecks: 2 },
    });
  });

  it("fails a check on a provider failure even when every SLO is met", () => {
    const check = { ...checkOf(spec, 40, 0), providerFailures: ["custommetrics: no secret"] };
    expect(decideStep(start, check, spec).reason).toBe(
      "custommetrics: no secret; failed check 1 of 2: holding at 20%",
    );
  });
});
