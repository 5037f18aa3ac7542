import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { Experiment, ExperimentResult } from "../src/index.js";
import type { experimentSchema, resultSchema } from "../src/index.js";

// Checked by `tsc` (pnpm typecheck): the zod schemas produce exactly the model's types.
describe("schema and model types", () => {
  it("experimentSchema outputs Experiment", () => {
    expectTypeOf<z.output<typeof experimentSchema>>().toEqualTypeOf<Experiment>();
  });

  it("resultSchema outputs ExperimentResult", () => {
    expectTypeOf<z.output<typeof resultSchema>>().toEqualTypeOf<ExperimentResult>();
  });
});
