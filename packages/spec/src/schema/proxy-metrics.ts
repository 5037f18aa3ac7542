import { z } from "zod";
import type { ProxyMetricsTask } from "../model.js";
import { TASK_NAMES } from "../model.js";
import { compact, condition, duration, httpUrl, named, taskName, withCondition } from "./common.js";
import { percentiles } from "./load.js";

export const proxyMetricsTaskSchema = named(
  "ProxyMetricsTask",
  z
    .strictObject({
      task: taskName(
        TASK_NAMES.proxyMetrics,
        "Read built-in metrics from an iter8 traffic proxy's per-version counters",
      ),
      if: condition.optional(),
      with: z.strictObject({
        admin: httpUrl.describe("Base URL of the proxy's admin API, e.g. http://127.0.0.1:9901"),
        versions: z
          .array(z.string().min(1))
          .min(1)
          .superRefine((list, ctx) => {
            list.forEach((name, index) => {
              if (list.indexOf(name) !== index) {
                ctx.addIssue({
                  code: "custom",
                  path: [index],
                  message: `version ${JSON.stringify(name)} is listed twice`,
                });
              }
            });
          })
          .optional()
          .describe(
            "The proxy's version names, one per experiment version; default the versions of the proxy's routing, in order",
          ),
        percentiles,
        window: z
          .boolean()
          .optional()
          .describe(
            "true: read the proxy's stats window and start a new one (POST /stats/window); default false: cumulative counters (GET /stats)",
          ),
        traffic: z
          .enum(["live", "mirror"])
          .optional()
          .describe("Which counters to read: live (default, client traffic) or mirror (copies)"),
        timeout: duration("Per-request timeout of admin API calls, Go syntax: 5s")
          .refine((ms) => ms > 0, { error: "timeout must be longer than 0" })
          .optional(),
        tokenFile: z
          .string()
          .min(1)
          .optional()
          .describe(
            "File holding the proxy's admin token, relative to the experiment's folder; default the ITER8_PROXY_TOKEN environment variable",
          ),
      }),
    })
    .transform((t): ProxyMetricsTask =>
      withCondition(
        {
          task: TASK_NAMES.proxyMetrics,
          with: compact({
            admin: t.with.admin,
            versions: t.with.versions,
            percentiles: t.with.percentiles,
            window: t.with.window ?? false,
            traffic: t.with.traffic ?? "live",
            timeoutMs: t.with.timeout,
            tokenFile: t.with.tokenFile,
          }),
        },
        t.if,
      ),
    ),
);

/** Task schemas by the name written in `task:`; `run:` items use `runTaskSchema`. */
