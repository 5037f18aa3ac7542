import { SLO_ERROR_CODES, SloError } from "../errors.js";

/** Multiple-comparison corrections {@link adjustPValues} knows. */
export type PValueAdjustment = "holm" | "benjamini-hochberg";

/**
 * Adjusted p-values, in the order given. `holm` controls the family-wise error rate (Holm 1979,
 * step-down Bonferroni); `benjamini-hochberg` controls the false discovery rate (BH 1995, step-up).
 * Same definitions as R's `p.adjust`. Throws `SloError` `ITER8_STATS_INVALID` for a value outside
 * [0, 1] or NaN.
 */
export function adjustPValues(pValues: readonly number[], method: PValueAdjustment): number[] {
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) {
      throw new SloError(
        SLO_ERROR_CODES.statsInvalid,
        `pValues[${i}]: expected a probability in [0, 1], got ${String(p)}`,
      );
    }
  });
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m).fill(0);
  if (method === "holm") {
    let running = 0;
    order.forEach(({ p, i }, rank) => {
      running = Math.max(running, Math.min(1, (m - rank) * p));
      adjusted[i] = running;
    });
  } else {
    let running = 1;
    for (let rank = m - 1; rank >= 0; rank--) {
      const entry = order[rank];
      if (!entry) continue;
      running = Math.min(running, Math.min(1, (m / (rank + 1)) * entry.p));
      adjusted[entry.i] = running;
    }
  }
  return adjusted;
}
