import { describe, expect, it } from "vitest";
import { choosePacedRate, directCarries, pacedRateNote } from "./proxy-rate.js";
import type { DirectProbe } from "./proxy-rate.js";

describe("directCarries", () => {
  it("needs the rate within 1% and a median of at most 1 ms", () => {
    expect(directCarries(10_000, { rate: 9_950, p50Ms: 0.5 })).toBe(true);
    expect(directCarries(10_000, { rate: 9_850, p50Ms: 0.5 })).toBe(false);
    expect(directCarries(10_000, { rate: 10_000, p50Ms: 1.2 })).toBe(false);
    expect(directCarries(10_000, undefined)).toBe(false);
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
    expect(lowered).toContain("more than the direct path carries");
    const none = pacedRateNote({ rate: 8_486, halfPeak: 20_717, tries, carried: false });
    expect(none).toContain("carried none");
  });
});
