import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTrafficProxy } from "../src/index.js";
import { routingFor, sendMany, startUpstream } from "@iter8/test-utils";
import type { Answer, Upstream } from "@iter8/test-utils";

let v1: Upstream;
let v2: Upstream;

beforeAll(async () => {
  v1 = await startUpstream("v1", { keep: false });
  v2 = await startUpstream("v2", { keep: false });
});

afterAll(async () => {
  await v1.close();
  await v2.close();
});

const USERS = 1000;
const hashRouting = (candidateWeight: number) =>
  routingFor(
    [v1, v2],
    `  - split: [{version: v1, weight: ${100 - candidateWeight}}, {version: v2, weight: ${candidateWeight}}]
    affinity: {key: header, name: x-user, mode: hash}
`,
  );

async function versionsOfUsers(url: string): Promise<string[]> {
  const answers = await sendMany(url, USERS, (i) => ({ headers: { "x-user": `user-${i}` } }), 16);
  expect(answers.every((a) => a.status === 200)).toBe(true);
  return answers.map((a) => a.version ?? "");
}

describe("hash affinity", () => {
  it("keeps 1 000 users on their version across a proxy restart", async () => {
    const first = await startTrafficProxy({ routing: hashRouting(10), port: 0, adminPort: 0 });
    const before = await versionsOfUsers(first.url);
    const again = await versionsOfUsers(first.url);
    await first.close();
    const second = await startTrafficProxy({ routing: hashRouting(10), port: 0, adminPort: 0 });
    const after = await versionsOfUsers(second.url);
    await second.close();
    expect(again).toEqual(before);
    expect(after).toEqual(before);
    const onCandidate = before.filter((v) => v === "v2").length;
    expect(onCandidate).toBeGreaterThan(50);
    expect(onCandidate).toBeLessThan(150);
    // 3 000 requests through proxies on this thread: 18 s at a load of 34.
  }, 120_000);

  it("moves users only toward the candidate when its weight rises from 10 to 50", async () => {
    const proxy = await startTrafficProxy({ routing: hashRouting(10), port: 0, adminPort: 0 });
    try {
      const at10 = await versionsOfUsers(proxy.url);
      proxy.setRouting(hashRouting(50));
      const at50 = await versionsOfUsers(proxy.url);
      const moved = at10.filter((v, i) => v !== at50[i]).length;
      at10.forEach((v, i) => {
        if (v === "v2") expect(at50[i]).toBe("v2");
      });
      const onCandidate = at50.filter((v) => v === "v2").length;
      expect(onCandidate).toBeGreaterThan(430);
      expect(onCandidate).toBeLessThan(570);
      expect(moved).toBe(onCandidate - at10.filter((v) => v === "v2").length);
    } finally {
      await proxy.close();
    }
  });
});

describe("cookie affinity", () => {
  const cookieRouting = (candidateWeight: number) =>
    routingFor(
      [v1, v2],
      `  - split: [{version: v1, weight: ${100 - candidateWeight}}, {version: v2, weight: ${candidateWeight}}]
    affinity: {key: cookie, name: iter8-pin, mode: cookie}
`,
    );
  const pinOf = (answer: Answer | undefined): string | undefined => {
    const setCookie = answer?.headers["set-cookie"];
    const line = Array.isArray(setCookie) ? setCookie[0] : setCookie;
    return line?.split(";")[0];
  };

  it("pins users with Set-Cookie, keeps the split at the target per step, and moves users only toward the candidate", async () => {
    const proxy = await startTrafficProxy({ routing: cookieRouting(10), port: 0, adminPort: 0 });
    try {
      const first = await sendMany(proxy.url, USERS, () => ({}), 16);
      const pins = first.map(pinOf);
      expect(pins.every((p) => p !== undefined)).toBe(true);
      const at10 = first.map((a) => a.version);
      // Pinned users come back to the same version, and no new cookie is needed.
      const back = await sendMany(
        proxy.url,
        USERS,
        (i) => ({ headers: { cookie: pins[i] ?? "" } }),
        16,
      );
      expect(back.map((a) => a.version)).toEqual(at10);
      expect(back.every((a) => a.headers["set-cookie"] === undefined)).toBe(true);

      proxy.setRouting(cookieRouting(50));
      const at50 = await sendMany(
        proxy.url,
        USERS,
        (i) => ({ headers: { cookie: pins[i] ?? "" } }),
        16,
      );
      at10.forEach((v, i) => {
        if (v === "v2") expect(at50[i]?.version).toBe("v2");
      });
      // Baseline users were re-pinned for the new step, so the realised split is the target.
      const onCandidate = at50.filter((a) => a.version === "v2").length;
      expect(onCandidate).toBeGreaterThan(430);
      expect(onCandidate).toBeLessThan(570);
      expect(at50.every((a) => pinOf(a) !== undefined)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
