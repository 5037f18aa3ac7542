import { z } from "zod";
import type { AbnMetricsTask } from "../model.js";
import { TASK_NAMES } from "../model.js";
import { compact, condition, duration, httpUrl, named, taskName, withCondition } from "./common.js";

export const abnMetricsTaskSchema = named(
  "AbnMetricsTask",
  z
    .strictObject({
      task: taskName(TASK_NAMES.abnMetrics, "Read A/B/n metrics collected by an iter8 abn service"),
      if: condition.optional(),
      with: z.strictObject({
        url: httpUrl.describe("Base URL of the iter8 abn service, e.g. http://127.0.0.1:8080"),
        app: z.string().min(1).describe("The application whose versions are compared"),
        timeout: duration("Per-request timeout, Go syntax: 5s").optional(),
      }),
    })
    .transform((t): AbnMetricsTask =>
      withCondition(
        {
          task: TASK_NAMES.abnMetrics,
          with: compact({ url: t.with.url, app: t.with.app, timeoutMs: t.with.timeout }),
        },
        t.if,
      ),
    ),
);
