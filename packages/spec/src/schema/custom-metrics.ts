import { z } from "zod";
import { describeValue } from "../describe-value.js";
import type { CustomMetricsTask } from "../model.js";
import { TASK_NAMES } from "../model.js";
import { compact, condition, duration, named, taskName, withCondition } from "./common.js";

const templateRef = z
  .string()
  .min(1)
  .describe("Provider template: a path relative to the experiment, or an http(s) URL");

const templateValues = z.record(z.string(), z.unknown());

/** `custommetrics` (Iter8 v0.11): read metrics from any backend through provider templates. */
export const customMetricsTaskSchema = named(
  "CustomMetricsTask",
  z
    .strictObject({
      task: taskName(
        TASK_NAMES.customMetrics,
        "Read metrics from backends such as Prometheus through provider templates",
      ),
      if: condition.optional(),
      with: z.strictObject({
        templates: z
          .record(z.string().regex(/^[A-Za-z0-9][\w.-]*$/), templateRef)
          .refine((t) => Object.keys(t).length > 0, {
            error:
              "templates must name at least one provider, e.g. prometheus-http: prometheus-http.tpl",
          })
          .describe(
            "Provider name → template (path or URL); metrics are named <provider>/<metric>",
          ),
        values: templateValues.optional().describe("Template values common to every version"),
        versionValues: z
          .array(templateValues)
          .optional()
          .describe("One map of template values per version, merged over values"),
        startingTime: z
          .string()
          .refine((t) => !Number.isNaN(Date.parse(t)), {
            error: (issue) =>
              `startingTime must be an ISO 8601 time such as 2024-01-02T15:04:05Z, got ${describeValue(issue.input)}`,
          })
          .optional()
          .describe("Time elapsedTimeSeconds counts from; default the experiment's start"),
        timeout: duration("Per-attempt timeout of backend calls, Go syntax: 5s")
          .refine((ms) => ms > 0, { error: "timeout must be longer than 0" })
          .optional(),
        retries: z
          .int()
          .min(0)
          .max(5)
          .optional()
          .describe("Retries of a failed backend call (0-5)"),
      }),
    })
    .transform((t): CustomMetricsTask =>
      withCondition(
        {
          task: TASK_NAMES.customMetrics,
          with: compact({
            templates: t.with.templates,
            values: t.with.values ?? {},
            versionValues: t.with.versionValues ?? [],
            startingTime: t.with.startingTime,
            timeoutMs: t.with.timeout,
            retries: t.with.retries,
          }),
        },
        t.if,
      ),
    ),
);

/** `proxymetrics`: built-in metrics from an iter8 traffic proxy's per-version counters. */
