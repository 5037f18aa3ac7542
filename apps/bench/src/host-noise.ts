// How much of each core the machine's host took during a bench: a process pinned to the core reads
// the clock in a tight loop, and every gap between two reads longer than `GAP_MS` is time it did not
// run (another process, or the hypervisor running someone else). On a quiet machine a core loses
// well under 1%; on this VM's noisy spells it lost 10% in gaps of up to 20 ms, which are stalls the
// generators did not cause: the paced figures (windows, dispatch lag, CPU per request) and the
// proxy's are then not comparable with a quiet run. Probed before and after the scenarios.
import { runCommand } from "./processes.js";

/** A read-to-read gap longer than this (ms) counts as time the probe did not run. */
export const GAP_MS = 0.1;

/** What one core lost during a probe. */
export interface CoreNoise {
  core: number;
  /** How long the probe spun (ms). */
  spanMs: number;
  /** Share of `spanMs` in gaps longer than `GAP_MS` (0-1). */
  lostShare: number;
  /** The longest gap (ms). */
  maxGapMs: number;
  /** Gaps longer than 1 ms. */
  gapsOver1Ms: number;
}

/** The probe's child: spins `argv[1]` ms, prints `{spanMs, gaps}` (the gaps over `GAP_MS`, ms). */
const PROBE_SOURCE = `
const durationMs = Number(process.argv[1]);
const gaps = [];
const start = performance.now();
let last = start;
for (;;) {
  const now = performance.now();
  if (now - last > ${GAP_MS}) gaps.push(now - last);
  last = now;
  if (now - start >= durationMs) break;
}
process.stdout.write(JSON.stringify({ spanMs: last - start, gaps }));
`;

/** Summarises one probe: the gaps (ms) over `GAP_MS` seen in `spanMs` of spinning. */
export function summariseGaps(core: number, spanMs: number, gaps: readonly number[]): CoreNoise {
  let lost = 0;
  let maxGapMs = 0;
  let gapsOver1Ms = 0;
  for (const gap of gaps) {
    lost += gap;
    if (gap > maxGapMs) maxGapMs = gap;
    if (gap > 1) gapsOver1Ms++;
  }
  return { core, spanMs, lostShare: spanMs > 0 ? lost / spanMs : 0, maxGapMs, gapsOver1Ms };
}

/** Spins on each of `cores` at once for `durationMs` and reports what each lost. */
export async function probeHostNoise(
  taskset: string,
  cores: readonly number[],
  durationMs: number,
): Promise<CoreNoise[]> {
  return Promise.all(
    cores.map(async (core) => {
      const result = await runCommand(
        taskset,
        ["-c", String(core), process.execPath, "-e", PROBE_SOURCE, String(durationMs)],
        durationMs + 30_000,
      );
      if (result.code !== 0 || result.timedOut) {
        throw new Error(`host noise probe on core ${core} failed: ${result.stderr.trim()}`);
      }
      const { spanMs, gaps } = JSON.parse(result.stdout) as { spanMs: number; gaps: number[] };
      return summariseGaps(core, spanMs, gaps);
    }),
  );
}

/** `core 0 lost 0.3% (max gap 1.2 ms, 2 over 1 ms)`, for each core. */
export function describeNoise(noise: readonly CoreNoise[]): string {
  return noise
    .map(
      (n) =>
        `core ${n.core} lost ${(n.lostShare * 100).toFixed(1)}% (max gap ${n.maxGapMs.toFixed(1)} ms, ${n.gapsOver1Ms} over 1 ms)`,
    )
    .join(", ");
}

/** Above this share lost on any core, a run's paced and proxy figures are noisy. */
export const NOISY_SHARE = 0.02;
