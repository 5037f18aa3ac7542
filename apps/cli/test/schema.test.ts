import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { main } from "../src/main.js";

describe("iter8 schema", () => {
  it("prints the JSON Schema of experiment.yaml, the same as @iter8/spec's schema.json", async () => {
    const out: string[] = [];
    const io = {
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(t),
      progress: () => undefined,
    };
    const code = await main(["schema"], { io, cwd: process.cwd() });
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    const committed = createRequire(import.meta.url).resolve("@iter8/spec/schema.json");
    expect(out[0]).toBe(readFileSync(committed, "utf8"));
    const schema = JSON.parse(out[0] ?? "") as { title?: string };
    expect(schema.title).toBe("iter8 experiment");
  });
});
