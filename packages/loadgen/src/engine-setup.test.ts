import { describe, expect, it } from "vitest";
import { createEngineDeps } from "./engine-setup.js";
import { resolveLoadOptions } from "./options.js";
import { createTimerWaker } from "./waker.js";

const clock = (): number => performance.now();

describe("createEngineDeps", () => {
  it("wakes the engine on Node's millisecond timers with pacing: timer", () => {
    const options = resolveLoadOptions({
      url: "http://127.0.0.1:1/",
      qps: 5000,
      connections: 4,
      pacing: "timer",
    });
    expect(createEngineDeps(options, clock).createWaker).toBe(createTimerWaker);
  });

  it("uses the clock thread (not the timer waker) by default", () => {
    const options = resolveLoadOptions({ url: "http://127.0.0.1:1/", qps: 5000, connections: 4 });
    expect(createEngineDeps(options, clock).createWaker).not.toBe(createTimerWaker);
  });
});
