import { SPEC_LIMITS } from "./limits.js";

/**
 * A rate ramp, as ghz's load schedules (`load-schedule: const|step|line`). `step`: the rate starts
 * at `start` requests per second and changes by `step` (negative: down) every `stepDurationMs`;
 * `line`: it changes continuously, `step` per second. The ramp ends when the rate reaches `end` or
 * `maxDurationMs` has passed, whichever comes first, and the rate then holds; with neither, a ramp
 * up goes on until the run ends (a ramp down needs one of them). `const` is no ramp: the load's
 * `qps`. A ramp's time starts when measuring does (a warm-up runs before it, at `start`); under
 * `step` and `line` the load's `qps` is not used, as ghz ignores `rps`.
 */
export type LoadSchedule =
  | { kind: "const" }
  | {
      kind: "step";
      start: number;
      step: number;
      stepDurationMs: number;
      end?: number;
      maxDurationMs?: number;
    }
  | { kind: "line"; start: number; step: number; end?: number; maxDurationMs?: number };

type Ramp = Extract<LoadSchedule, { start: number }>;

/** Tolerance for ratios such as (end - start) / step that should be whole numbers. */
const WHOLE = 1e-9;

/**
 * When a step or line ramp stops changing (`rampS`, seconds after it starts; Infinity: never) and
 * the rate it then holds, as ghz works them out: the ramp ends when the rate reaches `end` or
 * `maxDurationMs` has passed, whichever comes first (ghz documents this; its code ramps on past
 * `end` when both are set); an end between two steps cuts the last step to `end`. With neither, a
 * ramp up stops at `SPEC_LIMITS.maxQps` and a ramp down never stops.
 */
export function planLoadRamp(schedule: Ramp): { rampS: number; holdRate: number } {
  const { start, step } = schedule;
  const end = schedule.end ?? (step > 0 ? SPEC_LIMITS.maxQps : undefined);
  const maxS = (schedule.maxDurationMs ?? Number.POSITIVE_INFINITY) / 1000;
  const toward = (rate: number): number =>
    end === undefined ? rate : step > 0 ? Math.min(end, rate) : Math.max(end, rate);
  if (schedule.kind === "step") {
    const stepS = schedule.stepDurationMs / 1000;
    const byEnd =
      end === undefined ? Number.POSITIVE_INFINITY : Math.ceil((end - start) / step - WHOLE);
    const steps = Math.min(byEnd, Math.floor(maxS / stepS + WHOLE));
    return { rampS: steps * stepS, holdRate: toward(start + step * steps) };
  }
  const byEnd = end === undefined ? Number.POSITIVE_INFINITY : (end - start) / step;
  const rampS = Math.min(byEnd, maxS);
  return { rampS, holdRate: toward(start + step * rampS) };
}

/** The name each caller gives the fields of a `LoadSchedule`, for messages. */
export type LoadScheduleKeys = Record<
  "start" | "step" | "stepDurationMs" | "end" | "maxDurationMs",
  string
>;

/**
 * Explains what makes a step or line schedule meaningless (its values already checked one by one:
 * rates > 0, durations > 0), naming fields with `keys`; undefined when it is fine. ghz's checks
 * (`end` differs from `start`, a step other than 0, a step duration for `step`), and ours: `end`
 * lies the way `step` goes, and the rate stays above 0 (a ramp down needs `end` or `maxDurationMs`,
 * and must not reach 0 before the latter).
 */
export function explainBadLoadSchedule(
  schedule: Ramp,
  keys: LoadScheduleKeys,
): { key: string; message: string } | undefined {
  const { start, step, end } = schedule;
  if (step === 0) return { key: keys.step, message: `${keys.step} must not be 0` };
  if (schedule.kind === "step" && schedule.stepDurationMs === undefined) {
    return {
      key: keys.stepDurationMs,
      message: `a step schedule needs ${keys.stepDurationMs}: how long each rate holds`,
    };
  }
  if (end !== undefined && end === start) {
    return { key: keys.end, message: `${keys.end} cannot equal ${keys.start} (${start})` };
  }
  if (end !== undefined && (end - start) * step < 0) {
    return {
      key: keys.end,
      message: `${keys.end} ${end} is ${end < start ? "below" : "above"} ${keys.start} ${start} but ${keys.step} ${step} goes ${step > 0 ? "up" : "down"}`,
    };
  }
  if (step < 0 && end === undefined) {
    if (schedule.maxDurationMs === undefined) {
      return {
        key: keys.step,
        message: `a ramp down (${keys.step} < 0) needs ${keys.end} or ${keys.maxDurationMs}, or its rate would reach 0`,
      };
    }
    if (!(planLoadRamp(schedule).holdRate > 0)) {
      return {
        key: keys.maxDurationMs,
        message: `${keys.step} ${step} from ${keys.start} ${start} reaches 0 requests/s within ${keys.maxDurationMs}; set ${keys.end} or a shorter ${keys.maxDurationMs}`,
      };
    }
  }
  return undefined;
}
