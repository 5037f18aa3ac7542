import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { experimentJsonSchema } from "../src/index.js";

const committed = join(import.meta.dirname, "..", "schema.json");

describe("experimentJsonSchema", () => {
  it("matches the committed packages/spec/schema.json (ITER8_UPDATE_SCHEMA=1 rewrites it)", () => {
    const generated = `${JSON.stringify(experimentJsonSchema(), null, 2)}\n`;
    if (process.env.ITER8_UPDATE_SCHEMA === "1") writeFileSync(committed, generated);
    expect(readFileSync(committed, "utf8")).toBe(generated);
  });

  it("describes the file as a task list or a v0.11 file, with the seed task names", () => {
    const schema = experimentJsonSchema();
    const text = JSON.stringify(schema);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.anyOf).toHaveLength(2);
    for (const name of ["gen-load-and-collect-metrics", "assess-app-versions", "http", "assess"]) {
      expect(text).toContain(`"const":"${name}"`);
    }
    expect(text).toContain('"additionalProperties":false');
    expect(text).toContain('"default":8');
  });
});
