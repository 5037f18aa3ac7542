import { createHash } from "node:crypto";
import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of the errors the assignment functions throw. */
export const ASSIGNMENT_ERROR_CODES = {
  /** Weights are empty, negative, not finite, or all zero. */
  weightsInvalid: "ITER8_ASSIGNMENT_WEIGHTS_INVALID",
} as const;

/** One of {@link ASSIGNMENT_ERROR_CODES}. */
export type AssignmentErrorCode =
  (typeof ASSIGNMENT_ERROR_CODES)[keyof typeof ASSIGNMENT_ERROR_CODES];

/** The kind of every {@link AssignmentErrorCode}. */
export const ASSIGNMENT_ERROR_KINDS: ErrorKindTable<AssignmentErrorCode> = {
  ITER8_ASSIGNMENT_WEIGHTS_INVALID: "invalid-input",
};

/** Invalid input to {@link assignVersion}; `code` is stable, `message` is one line for people. */
export class AssignmentError extends Iter8Error<AssignmentErrorCode> {
  override readonly name = "AssignmentError";
  protected override get kinds(): ErrorKindTable<AssignmentErrorCode> {
    return ASSIGNMENT_ERROR_KINDS;
  }
}

// 2^48: the hash keeps 48 bits, which a double holds exactly.
const UNIT_SCALE = 2 ** 48;

/**
 * Maps a key (a user id, a session id) to a number in [0, 1), the same in every process, on every
 * machine and across restarts: the first 48 bits of SHA-256 of `salt`, a NUL byte and `key`. A salt
 * (e.g. the app name) decorrelates the assignments of different experiments for the same users.
 */
export function hashToUnitInterval(key: string, salt = ""): number {
  const digest = createHash("sha256").update(salt).update("\u0000").update(key).digest();
  return digest.readUIntBE(0, 6) / UNIT_SCALE;
}

/**
 * The version a key is assigned to, given relative `weights` (one per version, non-negative, not all
 * zero). The key's hash falls into one of the cumulative ranges `[w0 + … + w(i-1), w0 + … + wi)` of
 * the normalised weights, so the assignment is sticky (same key, same weights, same version in any
 * process) and raising one version's weight only moves users toward that version.
 */
export function assignVersion(key: string, weights: readonly number[], salt?: string): number {
  const total = checkWeights(weights);
  const point = hashToUnitInterval(key, salt) * total;
  let cumulative = 0;
  let lastPositive = 0;
  for (let i = 0; i < weights.length; i++) {
    const weight = weights[i] ?? 0;
    if (weight <= 0) continue;
    lastPositive = i;
    cumulative += weight;
    if (point < cumulative) return i;
  }
  // Only reachable through rounding at the top of the range.
  return lastPositive;
}

function checkWeights(weights: readonly number[]): number {
  if (weights.length === 0) {
    throw new AssignmentError(
      ASSIGNMENT_ERROR_CODES.weightsInvalid,
      "weights: need at least one version",
    );
  }
  let total = 0;
  for (const [i, weight] of weights.entries()) {
    if (!Number.isFinite(weight) || weight < 0) {
      throw new AssignmentError(
        ASSIGNMENT_ERROR_CODES.weightsInvalid,
        `weights[${i}]: expected a finite number >= 0, got ${String(weight)}`,
      );
    }
    total += weight;
  }
  if (total <= 0) {
    throw new AssignmentError(
      ASSIGNMENT_ERROR_CODES.weightsInvalid,
      "weights: at least one must be > 0",
    );
  }
  return total;
}
