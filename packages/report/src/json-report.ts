import { z } from "zod";
import type { ReportModel } from "./report-model.js";

/** The version of the JSON report's layout; bumped on any change that is not purely additive. */
export const REPORT_VERSION = 1;

const nullableNumber = z.number().nullable();

const sloCheckSchema = z
  .object({
    version: z.int().min(0).describe("Index of the version"),
    status: z
      .enum(["pass", "fail", "no-data"])
      .describe("pass or fail as recorded in the result; no-data: no value, or not assessed"),
    satisfied: z
      .boolean()
      .nullable()
      .describe("insights.SLOsSatisfied[slo][version]; null: not assessed"),
    value: nullableNumber.describe("The value the SLO was judged on; null when there was none"),
    reason: z
      .enum(["ok", "no-data", "above-upper", "below-lower", "not-assessed"])
      .describe("Why the status is what it is"),
    detail: z
      .string()
      .optional()
      .describe("Why there is no value (from the metrics backend), when known"),
  })
  .strict();

const timelineSampleSchema = z
  .object({
    elapsedMs: z.number().describe("Time since measuring started, ms"),
    completed: z.number().describe("Requests completed so far"),
    errors: z.number().describe("Errors so far"),
    rate: z.number().describe("Throughput over the last interval, requests per second"),
    p50Ms: z.number().optional().describe("Median latency over the interval, ms"),
    p99Ms: z.number().optional().describe("99th percentile latency over the interval, ms"),
  })
  .strict();

const versionLoadSchema = z
  .object({
    statusCodes: z
      .record(z.string(), z.number())
      .describe("Responses by HTTP status code (gRPC: by numeric status code)"),
    errorClasses: z
      .record(z.string(), z.number())
      .describe("Transport failures by class (refused, reset, timeout, dns, tls, other)"),
    histogram: z
      .array(z.tuple([z.number(), z.number(), z.number()]))
      .describe("Latency histogram buckets [lowerMs, upperMs, count]"),
    percentiles: z
      .array(z.object({ percentile: z.number(), latencyMs: z.number() }).strict())
      .describe(
        "Latency by percentile, p0 to p99.9 (exact metrics where present, else interpolated)",
      ),
    timeline: z.array(timelineSampleSchema).describe("Progress samples; empty when none were kept"),
    dispatchLagMs: z
      .object({ p50: z.number(), p99: z.number(), max: z.number() })
      .strict()
      .nullable()
      .describe("Actual minus intended send time, ms (paced runs)"),
    partial: z.boolean().describe("The run was cut short; the values cover only part of it"),
    shards: z
      .object({
        count: z.int().min(1).describe("How many shards the load was split over"),
        requests: z
          .array(z.int().min(0).nullable())
          .describe("Requests each shard measured; null for a shard that did not report"),
        startSkewMs: z
          .number()
          .describe("Latest minus earliest of the reporting shards' start times, ms"),
      })
      .strict()
      .nullable()
      .describe("A sharded run (iter8 k run --shard): how the load was split; null otherwise"),
    grpc: z
      .object({
        kind: z.string().describe("unary, client-stream, server-stream or bidi-stream"),
        statusNames: z
          .record(z.string(), z.number())
          .describe("Calls by gRPC status name (statusCodes holds the numeric codes)"),
        streams: z
          .object({
            messagesSent: z.number(),
            messagesReceived: z.number(),
            sentRate: z.number().describe("Messages sent per second"),
            receivedRate: z.number().describe("Messages received per second"),
            firstMessageMs: z
              .object({ p50: z.number(), p99: z.number(), max: z.number() })
              .strict()
              .optional()
              .describe("Time to the first response message, ms"),
          })
          .strict()
          .optional()
          .describe("Per-message figures of streaming calls"),
      })
      .strict()
      .nullable()
      .describe("gRPC load details; null for HTTP load"),
  })
  .strict();

/** The zod schema of the JSON report (`iter8 report -o json`); `report.schema.json` is made from it. */
export const reportJsonSchema = z
  .object({
    reportVersion: z.literal(REPORT_VERSION).describe("Version of this layout"),
    summary: z
      .object({
        startTime: z.string().describe("ISO 8601 time the run started"),
        completed: z
          .boolean()
          .nullable()
          .describe(
            "Every task completed and the run was not interrupted; null: task count unknown",
          ),
        failed: z.boolean().describe("A task failed"),
        numCompletedTasks: z.int().min(0),
        numTasks: z.int().min(0).nullable().describe("null when unknown"),
        aborted: z.boolean().describe("The run was interrupted"),
        failedTask: z
          .object({ index: z.int().min(0), task: z.string(), message: z.string() })
          .strict()
          .nullable()
          .describe("Which task failed and why"),
      })
      .strict(),
    versions: z
      .array(
        z
          .object({
            index: z.int().min(0),
            name: z.string().describe("Display name, e.g. version 0"),
            slosSatisfied: z
              .boolean()
              .nullable()
              .describe("Satisfies every SLO; null when SLOs were not assessed"),
          })
          .strict(),
      )
      .describe("One entry per version, by index"),
    slos: z
      .array(
        z
          .object({
            label: z.string().describe("As people read it, e.g. built-in/p95.0 <= 100"),
            metric: z.string(),
            lowerLimit: nullableNumber.describe("Inclusive; null when unset"),
            upperLimit: nullableNumber.describe("Inclusive; null when unset"),
            units: z.string().nullable(),
            checks: z.array(sloCheckSchema).describe("One per version"),
          })
          .strict(),
      )
      .describe("Empty when no SLOs were assessed"),
    metrics: z
      .array(
        z
          .object({
            name: z.string(),
            description: z.string().nullable(),
            units: z.string().nullable(),
            type: z.enum(["Counter", "Gauge"]).nullable(),
            values: z.array(nullableNumber).describe("Latest value per version; null: unavailable"),
            better: z
              .enum(["lower", "higher"])
              .nullable()
              .describe("Which way the metric improves; null when unknown or neither"),
            best: z
              .array(z.int().min(0))
              .describe("Versions holding the best value; empty unless values differ"),
          })
          .strict(),
      )
      .describe("Sorted by name"),
    loads: z
      .array(versionLoadSchema.nullable())
      .describe("Per-version load details; null for a version without any"),
    comparisons: z
      .object({
        method: z.enum(["welch", "sequential", "bayesian"]),
        evidenceLabel: z.string().describe("p (Holm) or chance to win"),
        rows: z.array(
          z
            .object({
              metric: z.string().describe("The reward"),
              version: z.int().min(1).describe("The candidate compared with version 0"),
              lift: z.string().describe("Relative lift, e.g. +12.3%"),
              ci: z.string().describe("Interval of the lift"),
              evidence: z.string().describe("Holm-adjusted p-value or chance to win"),
              verdict: z.string().describe("better, worse, - or why the data cannot tell"),
            })
            .strict(),
        ),
        winner: z.int().min(0).nullable().describe("The winning version; null: no winner yet"),
        reason: z.string().describe("Who won and by how much, or why there is no winner yet"),
        warnings: z.array(z.string()),
      })
      .strict()
      .optional()
      .describe("A/B/n comparisons with version 0; absent when no rewards were assessed"),
  })
  .strict()
  .describe("An iter8 experiment report (iter8 report -o json)");

/** The JSON report, as parsed. */
export type ReportJson = z.infer<typeof reportJsonSchema>;

/** The JSON Schema (draft 2020-12) of the JSON report, as published in `report.schema.json`. */
export function reportJsonSchemaDocument(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(reportJsonSchema, { target: "draft-2020-12" }),
    title: "iter8 report",
  };
}

/** Lays a report model out as the JSON report's data. */
export function toReportJson(model: ReportModel): ReportJson {
  const { summary } = model;
  return {
    reportVersion: REPORT_VERSION,
    summary: {
      startTime: summary.startTime,
      completed: summary.completed ?? null,
      failed: summary.failed,
      numCompletedTasks: summary.numCompletedTasks,
      numTasks: summary.numTasks ?? null,
      aborted: summary.aborted,
      failedTask: summary.failedTask
        ? {
            index: summary.failedTask.index,
            task: summary.failedTask.task,
            message: summary.failedTask.message,
          }
        : null,
    },
    versions: model.versions.map((name, index) => ({
      index,
      name,
      slosSatisfied: model.slosSatisfiedBy[index] ?? null,
    })),
    slos: model.slos.map((slo) => ({
      label: slo.label,
      metric: slo.metric,
      lowerLimit: slo.lowerLimit ?? null,
      upperLimit: slo.upperLimit ?? null,
      units: slo.units ?? null,
      checks: slo.checks.map((check, version) => ({
        version,
        status: check.status,
        satisfied: check.satisfied ?? null,
        value: check.value ?? null,
        reason: check.reason,
        ...(check.detail ? { detail: check.detail } : {}),
      })),
    })),
    metrics: model.metrics.map((metric) => ({
      name: metric.name,
      description: metric.description ?? null,
      units: metric.units ?? null,
      type: metric.type ?? null,
      values: metric.values.map((value) => value ?? null),
      better: metric.better ?? null,
      best: metric.best,
    })),
    loads: model.loads.map((load) =>
      load
        ? {
            statusCodes: load.statusCodes,
            errorClasses: load.errorClasses,
            histogram: load.histogram,
            percentiles: load.percentiles,
            timeline: load.timeline,
            dispatchLagMs: load.dispatchLagMs ?? null,
            partial: load.partial,
            shards: load.shards ?? null,
            grpc: load.grpc ?? null,
          }
        : null,
    ),
    ...(model.comparisons
      ? { comparisons: { ...model.comparisons, winner: model.comparisons.winner ?? null } }
      : {}),
  };
}

/** The JSON report: two-space indented, ending with a newline. */
export function renderJsonReport(model: ReportModel): string {
  return `${JSON.stringify(toReportJson(model), null, 2)}\n`;
}
