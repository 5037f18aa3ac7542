import { z } from "zod";
import { parseCondition } from "../condition.js";
import {
  explainBadDuration,
  formatDuration,
  GO_DURATION_PATTERN,
  parseDuration,
} from "../duration.js";
import { SpecError } from "../errors.js";
import { explainBadHeaderValue } from "../header-value.js";
import { MAX_DURATION_TEXT, SPEC_LIMITS } from "../limits.js";
import { describeValue } from "../describe-value.js";
import type { Condition, Task } from "../model.js";

// Schemas named here become `$defs` entries of the JSON Schema. Descriptions stay in zod's global
// registry (.describe()); ids live in this private registry so they can never clash.
/** Ids of the schemas that become `$defs` entries of the JSON Schema. */
export const jsonSchemaNames = z.registry<{ id: string }>();

/** Registers `schema` as the JSON Schema `$defs` entry `id`; returns it. */
export function named<T extends z.ZodType>(id: string, schema: T): T {
  jsonSchemaNames.add(schema, { id });
  return schema;
}

// --- small value schemas ---------------------------------------------------------------------

/** A Go-syntax duration (`500ms`, `1m30s`) read as milliseconds. */
export function duration(description: string) {
  return z
    .string({
      error: (issue) =>
        typeof issue.input === "number"
          ? `invalid duration ${issue.input}: missing a unit (ns, us, ms, s, m or h), e.g. "${issue.input}s"`
          : undefined,
    })
    .regex(new RegExp(GO_DURATION_PATTERN, "u"), {
      error: (issue) => explainBadDuration(String(issue.input)),
    })
    .transform((text) => parseDuration(text))
    .refine((ms) => ms <= SPEC_LIMITS.maxDurationMs, {
      error: (issue) =>
        `duration ${JSON.stringify(formatDuration(Number(issue.input)))} is too long: at most ${MAX_DURATION_TEXT}`,
    })
    .describe(description);
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** An absolute http:// or https:// URL; the message of a bad one shows `example`. */
export function httpUrlText(example: string) {
  return z.string().refine(isHttpUrl, {
    error: (issue) =>
      `invalid URL ${JSON.stringify(issue.input)}: expected an absolute http:// or https:// URL, e.g. "${example}"`,
  });
}

/** An absolute http:// or https:// URL (JSON Schema format `uri`). */
export const httpUrl = httpUrlText("http://127.0.0.1:8080/get").meta({ format: "uri" });

const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, {
  error: (issue) => `invalid HTTP header name ${JSON.stringify(issue.input)}`,
});

const headerValue = z
  .union([z.string(), z.number(), z.boolean()], {
    error: (issue) => `header values must be text, got ${describeValue(issue.input)}`,
  })
  .transform((value) => String(value))
  .superRefine((value, ctx) => {
    const problem = explainBadHeaderValue(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem, input: value });
  });

/** HTTP headers, name: value (values as text, checked). */
export const headers = named(
  "Headers",
  z.record(headerName, headerValue).describe("HTTP headers, name: value"),
);

/** An `if:` condition, parsed to its syntax tree (kept with its text). */
export const condition = named(
  "Condition",
  z
    .string({ error: (issue) => conditionTypeError(issue.input) })
    .transform((text, ctx): { ast: Condition; text: string } => {
      try {
        return { ast: parseCondition(text), text };
      } catch (error) {
        ctx.addIssue({
          code: "custom",
          message: error instanceof SpecError ? error.message : String(error),
          input: text,
        });
        return z.NEVER;
      }
    })
    .describe(
      "Run the task only when this condition holds: SLOs(), SLOsBy(i), Winner(), Winner(i), not, and, or, ( )",
    ),
);

function conditionTypeError(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  return `expected a condition such as "SLOs()" or "not SLOsBy(1)", got ${describeValue(input)}`;
}

/** A copy of `value` without its undefined properties. */
export function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Adds the parsed `if:` condition (and its text) to a normalised task. */
export function withCondition<T extends Task>(
  task: T,
  cond: { ast: Condition; text: string } | undefined,
): T {
  return cond ? { ...task, if: cond.ast, ifText: cond.text } : task;
}

/** The literal `task:` name of a task schema, with its description. */
export function taskName<T extends string>(name: T, description: string) {
  return z.literal(name).describe(description);
}
