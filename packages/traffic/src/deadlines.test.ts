import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DeadlineQueue } from "./deadlines.js";

// The queue reads its own clock (`now`) and waits with `setTimeout`: both are driven by hand here,
// so no test depends on how busy the machine is.
describe("DeadlineQueue", () => {
  let clock = 0;
  const now = () => clock;
  const advance = (ms: number) => {
    clock += ms;
    vi.advanceTimersByTime(ms);
  };

  beforeEach(() => {
    clock = 1_000;
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("expires each deadline once, in order, no sooner than its time", () => {
    const queue = new DeadlineQueue(100, now);
    const expired: string[] = [];
    queue.add(clock, () => expired.push("a"));
    advance(30);
    queue.add(clock, () => expired.push("b"));
    advance(30);
    queue.add(clock, () => expired.push("c"));
    advance(39);
    expect(expired).toEqual([]);
    advance(1); // a's time: 1 000 + 100
    expect(expired).toEqual(["a"]);
    advance(29);
    expect(expired).toEqual(["a"]);
    advance(31); // b's at 1 130, c's at 1 160
    expect(expired).toEqual(["a", "b", "c"]);
    advance(500);
    expect(expired).toEqual(["a", "b", "c"]);
    expect(queue.empty).toBe(true);
  });

  it("never expires a cancelled deadline, from the head, the middle or the tail", () => {
    const queue = new DeadlineQueue(50, now);
    const expired: number[] = [];
    const deadlines = [0, 1, 2, 3, 4].map((n) => {
      const deadline = queue.add(clock, () => expired.push(n));
      advance(5);
      return deadline;
    });
    queue.cancel(deadlines[0]!);
    queue.cancel(deadlines[2]!);
    queue.cancel(deadlines[4]!);
    queue.cancel(deadlines[2]!); // twice is harmless
    advance(100);
    expect(expired).toEqual([1, 3]);
    expect(queue.empty).toBe(true);
  });

  it("waits again when its timer fires before the head's time by the queue's clock", () => {
    const queue = new DeadlineQueue(100, now);
    const expired: string[] = [];
    queue.add(clock, () => expired.push("a"));
    // The timer fires on schedule, but the queue's clock reads 20 ms earlier than the timer's.
    clock += 80;
    vi.advanceTimersByTime(100);
    expect(expired).toEqual([]);
    advance(20);
    expect(expired).toEqual(["a"]);
  });

  it("arms again for a deadline added after the queue went empty", () => {
    const queue = new DeadlineQueue(10, now);
    const expired: string[] = [];
    const first = queue.add(clock, () => expired.push("first"));
    queue.cancel(first);
    advance(50);
    queue.add(clock, () => expired.push("second"));
    advance(10);
    expect(expired).toEqual(["second"]);
  });

  it("lets an expiring deadline cancel the next one", () => {
    const queue = new DeadlineQueue(10, now);
    const expired: string[] = [];
    const later = { deadline: undefined as ReturnType<DeadlineQueue["add"]> | undefined };
    queue.add(clock, () => {
      expired.push("a");
      if (later.deadline) queue.cancel(later.deadline);
    });
    later.deadline = queue.add(clock, () => expired.push("b"));
    queue.add(clock, () => expired.push("c"));
    advance(10);
    expect(expired).toEqual(["a", "c"]);
  });

  it("does not keep the process alive by itself", () => {
    vi.useRealTimers();
    // Node lists ref'd timers only, as "Timeout"; the count is taken around a synchronous add.
    const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout");
    const queue = new DeadlineQueue(60_000, () => performance.now());
    const before = timers().length;
    const deadline = queue.add(performance.now(), () => undefined);
    expect(timers().length).toBe(before);
    const refd = setTimeout(() => undefined, 60_000);
    expect(timers().length).toBe(before + 1); // the check can see a timer
    clearTimeout(refd);
    queue.cancel(deadline);
  });
});
