import { describe, expect, it } from "vitest";
import {
  busyShare,
  choosePacedRate,
  describeTries,
  directCarries,
  pacedRateNote,
  parseCoreTicks,
} from "./proxy-rate.js";
import type { DirectProbe } from "./proxy-rate.js";

describe("directCarries", () => {
  it("needs the rate within 1% and a median of at most 1 ms", () => {
    expect(directCarries(10_000, { rate: 9_950, p50Ms: 0.5 })).toBe(true);
    expect(directCarries(10_000, { rate: 9_850, p50Ms: 0.5 })).toBe(false);
    expect(directCarries(10_000, { rate: 10_000, p50Ms: 1.2 })).toBe(false);
    expect(directCarries(10_000, undefined)).toBe(false);
  });

  it("needs the generator and upstream's core at most 60% busy, when that is known", () => {
    expect(directCarries(10_000, { rate: 10_000, p50Ms: 0.3, coreBusy: 0.58 })).toBe(true);
    expect(directCarries(10_000, { rate: 10_000, p50Ms: 0.3, coreBusy: 0.69 })).toBe(false);
    expect(directCarries(10_000, { rate: 10_000, p50Ms: 0.3, coreBusy: undefined })).toBe(true);
  });
});

describe("parseCoreTicks and busyShare", () => {
  const stat = (cpu0: string) =>
    `cpu  611661 159 369161 1194085 1603 0 179808 4373 0 0\ncpu0 ${cpu0}\n` +
    "cpu1 351055 90 169534 563683 1373 0 91989 2371 0 0\nintr 1 2 3\n";

  it("counts user, nice, system, irq, softirq and steal as busy; idle and iowait as not", () => {
    expect(parseCoreTicks(stat("100 1 20 300 4 0 5 2 0 0"), 0)).toEqual({
      busy: 128,
      total: 432,
    });
    expect(parseCoreTicks(stat("100 1 20 300 4 0 5 2 0 0"), 1)).toEqual({
      busy: 351_055 + 90 + 169_534 + 91_989 + 2_371,
      total: 351_055 + 90 + 169_534 + 563_683 + 1_373 + 91_989 + 2_371,
    });
  });

  it("answers undefined for a core the text does not have, or a short line", () => {
    expect(parseCoreTicks(stat("1 2 3 4 5 6 7 8"), 7)).toBeUndefined();
    expect(parseCoreTicks(stat("1 2 3"), 0)).toBeUndefined();
  });

  it("gives the busy share between two readings", () => {
    expect(busyShare({ busy: 100, total: 400 }, { busy: 160, total: 500 })).toBeCloseTo(0.6, 9);
    expect(busyShare(undefined, { busy: 1, total: 2 })).toBeUndefined();
    expect(busyShare({ busy: 1, total: 2 }, { busy: 1, total: 2 })).toBeUndefined();
  });
});

describe("choosePacedRate", () => {
  it("keeps half the peak when the direct path carries it, after one probe", async () => {
    const asked: number[] = [];
    const choice = await choosePacedRate(12_418, (rate) => {
      asked.push(rate);
      return Promise.resolve({ rate, p50Ms: 0.5 });
    });
    expect(asked).toEqual([12_418]);
    expect(choice).toMatchObject({ rate: 12_418, halfPeak: 12_418, carried: true });
  });

  it("lowers the rate by a fifth per try until the direct path carries it", async () => {
    // A direct path that queues above 14 000/s.
    const probe = (rate: number): Promise<DirectProbe> =>
      Promise.resolve(rate > 14_000 ? { rate: rate * 0.995, p50Ms: 9.3 } : { rate, p50Ms: 0.6 });
    const choice = await choosePacedRate(20_717, probe);
    expect(choice.tries.map((t) => t.rate)).toEqual([20_717, 16_574, 13_259]);
    expect(choice.tries.map((t) => t.carried)).toEqual([false, false, true]);
    expect(choice).toMatchObject({ rate: 13_259, halfPeak: 20_717, carried: true });
  });

  it("stops after five tries and says the last rate was not carried", async () => {
    const choice = await choosePacedRate(20_000, () => Promise.resolve(undefined));
    expect(choice.tries).toHaveLength(5);
    expect(choice.carried).toBe(false);
    expect(choice.rate).toBe(choice.tries[4]?.rate);
    expect(choice.rate).toBe(8_192);
  });
});

describe("pacedRateNote", () => {
  const tries = [{ rate: 20_717, probe: { rate: 20_600, p50Ms: 9.3 }, carried: false }];
  it("adds nothing at half the peak, or for result files without the tries", () => {
    expect(pacedRateNote(undefined)).toBe("");
    expect(pacedRateNote({ rate: 12_418, halfPeak: 12_418.4, tries: [], carried: true })).toBe("");
  });

  it("names half the peak when the rate was lowered, and says when no rate was carried", () => {
    const lowered = pacedRateNote({ rate: 13_259, halfPeak: 20_717, tries, carried: true });
    expect(lowered).toContain("20717/s");
    expect(lowered).toContain("more than the direct path carries with its core at most 60% busy");
    const none = pacedRateNote({ rate: 8_486, halfPeak: 20_717, tries, carried: false });
    expect(none).toContain("carried none");
  });
});

describe("describeTries", () => {
  it("gives each try's rate, what the direct path achieved, its median and its core's load", () => {
    const text = describeTries({
      rate: 15_182,
      halfPeak: 18_977,
      carried: true,
      tries: [
        { rate: 18_977, probe: { rate: 14_618.4, p50Ms: 310.5, coreBusy: 0.93 }, carried: false },
        { rate: 15_182, probe: { rate: 15_173, p50Ms: 0.347, coreBusy: 0.55 }, carried: true },
        { rate: 12_146, probe: undefined, carried: false },
      ],
    });
    expect(text).toBe(
      "18977/s: 14618/s achieved, p50 310.50 ms, core 93% busy; " +
        "15182/s: 15173/s achieved, p50 0.35 ms, core 55% busy; 12146/s: failed",
    );
  });
});
