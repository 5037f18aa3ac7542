// The rate of the proxy scenario's paced runs. Its target asks for half the iter8 proxy's peak, but
// on 2 cores the paced generator (iter8's runLoad, which costs several times wrk's CPU per request)
// shares a core with the upstream: where half the proxy's peak is more than those two carry, the
// direct path itself queues (run H: 20,717/s, direct median 9.3 ms), and "added" then measures
// that queue, not the proxy. Carrying the rate straight to the upstream is not enough, either: the
// generator costs a fifth more CPU per request through a proxy than straight to the upstream
// (runs H-J, P1, P2: 33-40 against 26-33 µs), so a core that the direct path keeps 70% busy runs
// at 80-90% through either proxy, and there a noisy spell starts a queue that outlives it (run P2,
// 15,182/s: medians of 0.34-8.35 ms through nginx, 0.38-4.63 ms through iter8). So the rate is
// lowered until the direct path carries it with that core at most 60% busy.

/** The direct path carries a rate when its median latency stays at or under this (ms)... */
export const DIRECT_CARRIES_P50_MS = 1;
/** ...it achieves at least this share of the rate asked... */
export const DIRECT_CARRIES_SHARE = 0.99;
/** ...and the generator and upstream's core is busy at most this share of the time. */
export const DIRECT_CARRIES_CORE_BUSY = 0.6;
/** Each try asks for this share of the rate before. */
export const PACED_RATE_STEP = 0.8;
/** Tries at most (the last rate tried is 0.8⁴ ≈ 41% of half the peak). */
export const PACED_RATE_TRIES = 5;

/** What a short paced run straight to the upstream measured. */
export interface DirectProbe {
  /** Requests per second achieved. */
  rate: number;
  /** Median latency, ms. */
  p50Ms: number;
  /**
   * The share of the time the generator and upstream's core was busy over the run (its warm-up
   * included), from the kernel's counters; undefined where they could not be read.
   */
  coreBusy?: number | undefined;
}

/** One try of `choosePacedRate`. */
export interface PacedRateTry {
  /** The rate asked for. */
  rate: number;
  /** What the direct path did at it (undefined: the run failed). */
  probe: DirectProbe | undefined;
  /** Whether the direct path carried it. */
  carried: boolean;
}

/** The paced rate chosen, and how. */
export interface PacedRateChoice {
  /** The rate the paced runs use. */
  rate: number;
  /** Half the iter8 proxy's median peak: the rate the target names. */
  halfPeak: number;
  /** Every try, in order. */
  tries: PacedRateTry[];
  /** False when no rate tried was carried (the last one is used). */
  carried: boolean;
}

/** Whether `probe` at `rate` shows a direct path that carries the rate without queueing. */
export function directCarries(rate: number, probe: DirectProbe | undefined): boolean {
  return (
    probe !== undefined &&
    probe.rate >= DIRECT_CARRIES_SHARE * rate &&
    probe.p50Ms <= DIRECT_CARRIES_P50_MS &&
    (probe.coreBusy === undefined || probe.coreBusy <= DIRECT_CARRIES_CORE_BUSY)
  );
}

/** A core's time counters from /proc/stat, in clock ticks. */
export interface CoreTicks {
  /** Ticks spent on anything but idle and I/O wait. */
  busy: number;
  /** All ticks. */
  total: number;
}

/** The counters of `core` in the text of /proc/stat, or undefined when it has no such line. */
export function parseCoreTicks(procStat: string, core: number): CoreTicks | undefined {
  const prefix = `cpu${core} `;
  const line = procStat.split("\n").find((l) => l.startsWith(prefix));
  if (line === undefined) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is counted in user already)
  const fields = line.slice(prefix.length).trim().split(/\s+/).slice(0, 8).map(Number);
  if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** The busy share of a core between two readings; undefined without both or without time between. */
export function busyShare(
  before: CoreTicks | undefined,
  after: CoreTicks | undefined,
): number | undefined {
  if (before === undefined || after === undefined || after.total <= before.total) return undefined;
  return (after.busy - before.busy) / (after.total - before.total);
}

/**
 * Half the proxy's peak, or the first rate below it (each try `PACED_RATE_STEP` of the one before,
 * `PACED_RATE_TRIES` at most) that the direct path carries, as `probe` measures it.
 */
export async function choosePacedRate(
  halfPeak: number,
  probe: (rate: number) => Promise<DirectProbe | undefined>,
): Promise<PacedRateChoice> {
  const tries: PacedRateTry[] = [];
  let rate = Math.max(1, Math.round(halfPeak));
  for (let i = 0; i < PACED_RATE_TRIES; i++) {
    if (i > 0) rate = Math.max(1, Math.round(rate * PACED_RATE_STEP));
    const measured = await probe(rate);
    const carried = directCarries(rate, measured);
    tries.push({ rate, probe: measured, carried });
    if (carried) return { rate, halfPeak, tries, carried };
  }
  return { rate, halfPeak, tries, carried: false };
}

/**
 * What a rate label adds when the paced rate is not half the proxy's peak: "" when it is (or the
 * result file predates the tries).
 */
export function pacedRateNote(choice: PacedRateChoice | undefined): string {
  if (choice === undefined) return "";
  const half = Math.round(choice.halfPeak);
  if (!choice.carried) {
    return ` (half the proxy's peak is ${half}/s; the direct path carried none of the rates tried, so "added" includes its queue)`;
  }
  return choice.rate === half
    ? ""
    : ` (half the proxy's peak, ${half}/s, is more than the direct path carries with its core at most ${Math.round(100 * DIRECT_CARRIES_CORE_BUSY)}% busy)`;
}

/** Each try of `choice` in a few words: its rate, and what the direct path did at it. */
export function describeTries(choice: PacedRateChoice): string {
  return choice.tries
    .map(({ rate, probe }) => {
      if (probe === undefined) return `${rate}/s: failed`;
      const busy =
        probe.coreBusy === undefined ? "" : `, core ${Math.round(100 * probe.coreBusy)}% busy`;
      return `${rate}/s: ${Math.round(probe.rate)}/s achieved, p50 ${probe.p50Ms.toFixed(2)} ms${busy}`;
    })
    .join("; ");
}
