/**
 * Cookie-mode session affinity. A pin records the version a user was given and the weights in
 * force then: `v2|v1=90|v2=10`. When the weights change, a user pinned to a version whose share
 * fell stays with probability new/old share and otherwise moves to a version whose share rose
 * (chosen in proportion to its gain), so the realised split follows the target and users only move
 * toward versions that gained. Version names cannot hold `|` or `=`.
 */

/** A parsed pin cookie. */
export interface Pin {
  version: string;
  /** Weights (by version) in force when the pin was issued. */
  weights: Map<string, number>;
}

/** Reads a pin cookie value; `undefined` when absent or malformed. */
export function parsePin(value: string | undefined): Pin | undefined {
  if (!value) return undefined;
  const [version, ...pairs] = value.split("|");
  if (!version || pairs.length === 0) return undefined;
  const weights = new Map<string, number>();
  for (const pair of pairs) {
    const eq = pair.lastIndexOf("=");
    const weight = Number(pair.slice(eq + 1));
    if (eq <= 0 || !Number.isFinite(weight) || weight < 0) return undefined;
    weights.set(pair.slice(0, eq), weight);
  }
  return { version, weights };
}

/** Writes a pin cookie value for `version` under the given split. */
export function formatPin(
  version: string,
  versions: readonly string[],
  weights: readonly number[],
): string {
  return [version, ...versions.map((v, i) => `${v}=${weights[i] ?? 0}`)].join("|");
}

/** The version for a user with `pin` under the current split, and whether the pin must be reissued. */
export function choosePinnedVersion(
  pin: Pin | undefined,
  versions: readonly string[],
  weights: readonly number[],
  random: () => number = Math.random,
): { version: string; changed: boolean } {
  const total = weights.reduce((a, b) => a + b, 0);
  const share = (i: number) => (weights[i] ?? 0) / total;
  const drawBy = (score: (i: number) => number): string => {
    const scores = versions.map((_, i) => Math.max(0, score(i)));
    const sum = scores.reduce((a, b) => a + b, 0);
    if (sum <= 0) return drawBy(share);
    let point = random() * sum;
    for (let i = 0; i < scores.length; i++) {
      point -= scores[i] ?? 0;
      if (point < 0) return versions[i] ?? "";
    }
    return versions[versions.length - 1] ?? "";
  };
  if (!pin) return { version: drawBy(share), changed: true };
  const index = versions.indexOf(pin.version);
  const same =
    pin.weights.size === versions.length &&
    versions.every((v, i) => pin.weights.get(v) === weights[i]);
  if (index !== -1 && same) return { version: pin.version, changed: false };
  const oldTotal = [...pin.weights.values()].reduce((a, b) => a + b, 0);
  const oldShare = (i: number) =>
    oldTotal > 0 ? (pin.weights.get(versions[i] ?? "") ?? 0) / oldTotal : 0;
  if (index === -1 || share(index) === 0) {
    // The pinned version left the split: redraw, favouring versions that gained.
    return { version: drawBy((i) => share(i) - oldShare(i)), changed: true };
  }
  const before = oldShare(index);
  const now = share(index);
  if (now >= before || random() < now / before) return { version: pin.version, changed: true };
  return { version: drawBy((i) => share(i) - oldShare(i)), changed: true };
}
