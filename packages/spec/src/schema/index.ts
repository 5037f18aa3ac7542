import { z } from "zod";
import type { Experiment } from "../model.js";
import { TASK_NAMES } from "../model.js";
import { abnMetricsTaskSchema } from "./abn-metrics.js";
import {
  assessAliasTaskSchema,
  assessTaskSchema,
  assessV011TaskSchema,
  assessInputsSchema,
  assessAliasInputsSchema,
} from "./assess.js";
import { jsonSchemaNames, named } from "./common.js";
import { customMetricsTaskSchema } from "./custom-metrics.js";
import {
  DEFAULT_LOAD,
  HTTP_METHODS,
  httpInputsSchema,
  httpTaskSchema,
  loadInputsSchema,
  loadTaskSchema,
} from "./load.js";
import { proxyMetricsTaskSchema } from "./proxy-metrics.js";
import { grpcAliasTaskSchema, grpcTaskSchema } from "./grpc.js";
import { runNamedTaskSchema, runTaskSchema } from "./run.js";

export { duration } from "./common.js";
export {
  abnMetricsTaskSchema,
  assessAliasInputsSchema,
  assessAliasTaskSchema,
  assessInputsSchema,
  assessTaskSchema,
  assessV011TaskSchema,
  customMetricsTaskSchema,
  DEFAULT_LOAD,
  HTTP_METHODS,
  httpInputsSchema,
  httpTaskSchema,
  loadInputsSchema,
  loadTaskSchema,
  proxyMetricsTaskSchema,
  runNamedTaskSchema,
  runTaskSchema,
};

export const TASK_SCHEMAS = {
  [TASK_NAMES.load]: loadTaskSchema,
  http: httpTaskSchema,
  [TASK_NAMES.grpc]: grpcTaskSchema,
  "gen-load-and-collect-metrics-grpc": grpcAliasTaskSchema,
  [TASK_NAMES.assess]: assessTaskSchema,
  assess: assessAliasTaskSchema,
  [TASK_NAMES.run]: runNamedTaskSchema,
  [TASK_NAMES.customMetrics]: customMetricsTaskSchema,
  [TASK_NAMES.abnMetrics]: abnMetricsTaskSchema,
  [TASK_NAMES.proxyMetrics]: proxyMetricsTaskSchema,
} as const;

/** A task name written in `task:` that iter8 knows. */
export type KnownTaskName = keyof typeof TASK_SCHEMAS;

const taskSchema = named(
  "Task",
  z.union([
    loadTaskSchema,
    httpTaskSchema,
    grpcTaskSchema,
    grpcAliasTaskSchema,
    assessTaskSchema,
    assessAliasTaskSchema,
    runTaskSchema,
    runNamedTaskSchema,
    abnMetricsTaskSchema,
    customMetricsTaskSchema,
    proxyMetricsTaskSchema,
  ]),
);

const v08Experiment = z
  .array(taskSchema)
  .describe("An iter8 experiment: a list of tasks, run in order")
  .transform((tasks): Experiment => ({ tasks, format: "v0.8" }));

const v011Experiment = z
  .strictObject({
    spec: z.array(taskSchema).describe("The tasks, run in order"),
    result: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("A previous run's result (ignored)"),
  })
  .describe("An Iter8 v0.11 experiment file")
  .transform((file): Experiment => ({ tasks: file.spec, format: "v0.11" }));

/**
 * The whole experiment file: a list of tasks (Iter8 v0.8) or `{spec: [...], result?}` (v0.11).
 * Its input side is the JSON Schema of `experiment.yaml`; its output is the normalised `Experiment`.
 * `parseExperiment` applies the same task schemas one task at a time, for precise messages.
 */
export const experimentSchema = z.union([v08Experiment, v011Experiment]).meta({
  title: "iter8 experiment",
  description:
    "An iter8 experiment: a list of tasks (gen-load-and-collect-metrics, grpc, assess-app-versions, run, ...).",
});

/** The JSON Schema (draft 2020-12) of `experiment.yaml`, generated from `experimentSchema`. */
export function experimentJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(experimentSchema, {
    io: "input",
    target: "draft-2020-12",
    metadata: jsonSchemaNames,
    override: (ctx) => {
      const meta = z.globalRegistry.get(ctx.zodSchema);
      if (meta) Object.assign(ctx.jsonSchema, meta);
    },
  });
}
