import { performance } from "node:perf_hooks";
import { createRandomSource } from "./random.js";
import type { RandomSource } from "./random.js";

/** The settings a {@link FaultInjector} draws from: one version's latency, jitter and error rate. */
export interface FaultSettings {
  latencyMs: number;
  jitterMs: number;
  errorRate: number;
}

interface PendingSleep {
  timer: NodeJS.Timeout;
  resolve: (completed: boolean) => void;
}

/**
 * One version's injected latency and errors for one protocol: its own random streams (so a seeded
 * run's draws depend on nothing else), and sleeps that `stop()` cuts short when the server closes.
 * The HTTP and the gRPC servers each hold one per version.
 */
export class FaultInjector {
  readonly #settings: FaultSettings;
  readonly #errorRandom: RandomSource;
  readonly #jitterRandom: RandomSource;
  readonly #pending = new Set<PendingSleep>();
  #stopped = false;

  /** `errorStream` and `jitterStream` pick the independent sequences of `seed` this injector draws. */
  constructor(
    settings: FaultSettings,
    seed: number | undefined,
    errorStream: number,
    jitterStream: number,
  ) {
    this.#settings = settings;
    this.#errorRandom = createRandomSource(seed, errorStream);
    this.#jitterRandom = createRandomSource(seed, jitterStream);
  }

  /** Whether the next request gets an injected error (draws only when the rate is above 0). */
  nextIsError(): boolean {
    const { errorRate } = this.#settings;
    return errorRate > 0 && this.#errorRandom() < errorRate;
  }

  /** The latency to add to the next request, in ms (draws only when jitter is on). */
  nextLatencyMs(): number {
    const { latencyMs, jitterMs } = this.#settings;
    return jitterMs > 0 ? latencyMs + this.#jitterRandom() * jitterMs : latencyMs;
  }

  /**
   * Waits at least `ms` (timers may fire a little early, so it re-arms); resolves false when
   * `stop()` cut it short, true at once for `ms <= 0`.
   */
  sleep(ms: number): Promise<boolean> {
    if (this.#stopped) return Promise.resolve(false);
    if (ms <= 0) return Promise.resolve(true);
    const deadline = performance.now() + ms;
    const pending = this.#pending;
    return new Promise((resolve) => {
      const entry: PendingSleep = { timer: setTimeout(fire, ms), resolve };
      pending.add(entry);
      function fire(): void {
        const left = deadline - performance.now();
        if (left > 0) {
          entry.timer = setTimeout(fire, Math.ceil(left));
          return;
        }
        pending.delete(entry);
        resolve(true);
      }
    });
  }

  /** Whether `stop()` was called: the server is closing. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Cuts every pending sleep short (they resolve false) and makes later sleeps return false. */
  stop(): void {
    this.#stopped = true;
    for (const sleep of this.#pending) {
      clearTimeout(sleep.timer);
      sleep.resolve(false);
    }
    this.#pending.clear();
  }
}
