import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import yaml from "js-yaml";
import { z } from "zod";
import { parseDuration } from "@iter8/spec";
import { PROVIDER_ERROR_CODES, ProviderError } from "./errors.js";
import { sanitizeBackendText } from "./redact.js";

/** Where a secret comes from: an environment variable or a file (never the template itself). */
export type SecretSource = { env: string } | { file: string };

/** How to authenticate to a backend. */
export type ProviderAuth =
  | { type: "bearer"; token: SecretSource }
  | { type: "basic"; username: string | SecretSource; password: SecretSource }
  | { type: "apiKey"; header: string; key: SecretSource };

/** One backend query: how to ask and where the number is in the JSON answer. */
export interface ProviderQuery {
  /** Query parameters (or form fields of a POST without `body`). */
  params: Array<{ name: string; value: string }>;
  /** Request body (POST); params then go in the query string. */
  body?: string;
  /** Extracts the value from the JSON answer (see `compileJq`). */
  jqExpression: string;
}

/** A metric read as one value: how to ask for it and how to read its value. */
export interface ProviderValueMetricSpec extends ProviderQuery {
  name: string;
  description: string;
  type: "Counter" | "Gauge";
  units?: string;
}

/** The parts of a summary metric, by its type. */
export interface ProviderSummaryParts {
  /** Number of observations, their sum and the sum of their squares. */
  mean: "count" | "sum" | "sumSquares";
  /** Number of trials and how many of them succeeded. */
  proportion: "count" | "successes";
}

/**
 * A metric read as sufficient statistics (one query per part), so that versions can be compared:
 * `mean` (count, sum, sumSquares) or `proportion` (count, successes).
 */
export type ProviderSummaryMetricSpec = {
  [K in keyof ProviderSummaryParts]: {
    name: string;
    description: string;
    type: K;
    units?: string;
    queries: Record<ProviderSummaryParts[K], ProviderQuery>;
  };
}[keyof ProviderSummaryParts];

/** One metric of a provider: a single value, or a mean or proportion summary. */
export type ProviderMetricSpec = ProviderValueMetricSpec | ProviderSummaryMetricSpec;

/** The query parts each summary type needs, in the order they are collected. */
export const SUMMARY_PARTS = {
  mean: ["count", "sum", "sumSquares"],
  proportion: ["count", "successes"],
} as const satisfies { [K in keyof ProviderSummaryParts]: ReadonlyArray<ProviderSummaryParts[K]> };

/** A rendered provider template: one backend endpoint and the metrics read from it. */
export interface ProviderSpec {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  auth?: ProviderAuth;
  /** Per-attempt timeout in milliseconds. */
  timeoutMs?: number;
  /** Retries after a timeout, connection error, 429 or 5xx. */
  retries?: number;
  metrics: ProviderMetricSpec[];
}

const secretSource = z.union([
  z.strictObject({ env: z.string().min(1) }),
  z.strictObject({ file: z.string().min(1) }),
]);

const secretField = z.union([z.string(), secretSource]).transform((value, ctx) => {
  if (typeof value === "string") {
    ctx.addIssue({
      code: "custom",
      message:
        "secrets are never written in templates; use {env: VARIABLE} or {file: /path/to/secret}",
    });
    return z.NEVER;
  }
  return value;
});

const authSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("bearer"), token: secretField }),
  z.strictObject({
    type: z.literal("basic"),
    username: z.union([z.string().min(1), secretSource]),
    password: secretField,
  }),
  z.strictObject({
    type: z.literal("apiKey"),
    header: z.string().min(1).default("X-API-Key"),
    key: secretField,
  }),
]);

const metricType = z.string().transform((t, ctx) => {
  const lower = t.toLowerCase();
  if (lower === "counter") return "Counter" as const;
  if (lower === "gauge") return "Gauge" as const;
  if (lower === "mean") return "mean" as const;
  if (lower === "proportion") return "proportion" as const;
  ctx.addIssue({
    code: "custom",
    message: `type must be counter, gauge, mean or proportion, got "${t}"`,
  });
  return z.NEVER;
});

const paramValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);

const paramsSchema = z.array(z.strictObject({ name: z.string().min(1), value: paramValue }));

const querySchema = z.strictObject({
  params: paramsSchema.default([]),
  body: z.string().optional(),
  jqExpression: z.string().min(1),
});

const metricSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][\w.-]*$/, {
      error: "a metric name is letters, digits, '.', '_' and '-'",
    }),
    description: z
      .string()
      .default("")
      .transform((d) => d.trim()),
    type: metricType,
    units: z.string().optional(),
    params: paramsSchema.optional(),
    body: z.string().optional(),
    jqExpression: z.string().min(1).optional(),
    queries: z.record(z.string(), querySchema).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.type === "Counter" || m.type === "Gauge") {
      if (m.jqExpression === undefined) {
        ctx.addIssue({ code: "custom", path: ["jqExpression"], message: "required" });
      }
      if (m.queries !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["queries"],
          message: "only a mean or proportion metric has queries",
        });
      }
      return;
    }
    const parts: readonly string[] = SUMMARY_PARTS[m.type];
    const expected = parts.join(", ");
    for (const field of ["params", "body", "jqExpression"] as const) {
      if (m[field] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `a ${m.type} metric sets ${field} per query, under queries.{${expected}}`,
        });
      }
    }
    const given = Object.keys(m.queries ?? {});
    const missing = parts.filter((p) => !given.includes(p));
    const extra = given.filter((p) => !parts.includes(p));
    if (missing.length > 0 || extra.length > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["queries"],
        message: `a ${m.type} metric has exactly the queries ${expected}${
          missing.length > 0 ? `; missing ${missing.join(", ")}` : ""
        }${extra.length > 0 ? `; unknown ${extra.join(", ")}` : ""}`,
      });
    }
  });

const providerSchema = z.strictObject({
  url: z.string().refine(
    (u) => {
      try {
        const url = new URL(u);
        return url.protocol === "http:" || url.protocol === "https:";
      } catch {
        return false;
      }
    },
    {
      // The rendered URL may carry a templated credential (user info, a token parameter).
      error: (issue) =>
        `url must be an absolute http(s) URL, got ${sanitizeBackendText(JSON.stringify(issue.input) ?? "")}`,
    },
  ),
  provider: z.string().optional(),
  description: z.string().optional(),
  method: z
    .string()
    .default("GET")
    .transform((m, ctx) => {
      const upper = m.toUpperCase();
      if (upper === "GET" || upper === "POST") return upper;
      ctx.addIssue({ code: "custom", message: `method must be GET or POST, got "${m}"` });
      return z.NEVER;
    }),
  headers: z.record(z.string(), paramValue).default({}),
  auth: authSchema.optional(),
  timeout: z.string().optional(),
  retries: z.int().min(0).max(5).optional(),
  metrics: z.array(metricSchema).min(1, { error: "a provider lists at least one metric" }),
});

/**
 * Reads the YAML a provider template rendered to into a `ProviderSpec`. Throws `ProviderError`
 * (`ITER8_PROVIDER_SPEC`) naming the provider and the field when something is wrong.
 */
export function parseProviderSpec(text: string, provider: string): ProviderSpec {
  let raw: unknown;
  try {
    raw = yaml.load(text, { schema: yaml.JSON_SCHEMA });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw specError(provider, `the rendered template is not valid YAML: ${reason}`);
  }
  const parsed = providerSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.length > 0 ? `${i.path.join(".")}: ` : ""}${i.message}`,
    );
    throw specError(provider, problems.join("; "));
  }
  const p = parsed.data;
  const spec: ProviderSpec = {
    url: p.url,
    method: p.method,
    headers: p.headers,
    metrics: p.metrics.map((m): ProviderMetricSpec => {
      const head = { name: m.name, description: m.description };
      const units = m.units !== undefined ? { units: m.units } : {};
      if (m.type === "Counter" || m.type === "Gauge") {
        return {
          ...head,
          type: m.type,
          ...units,
          ...toQuery({ params: m.params ?? [], body: m.body, jqExpression: m.jqExpression ?? "" }),
        };
      }
      const queries = m.queries ?? {};
      const part = (name: string): ProviderQuery => {
        const q = queries[name];
        if (q === undefined)
          throw specError(provider, `metric ${m.name}: queries.${name} is missing`);
        return toQuery(q);
      };
      if (m.type === "mean") {
        return {
          ...head,
          type: "mean",
          ...units,
          queries: { count: part("count"), sum: part("sum"), sumSquares: part("sumSquares") },
        };
      }
      return {
        ...head,
        type: "proportion",
        ...units,
        queries: { count: part("count"), successes: part("successes") },
      };
    }),
  };
  if (p.auth) spec.auth = p.auth;
  if (p.retries !== undefined) spec.retries = p.retries;
  if (p.timeout !== undefined) {
    try {
      spec.timeoutMs = parseDuration(p.timeout);
    } catch {
      throw specError(provider, `timeout: expected a duration such as "5s", got "${p.timeout}"`);
    }
  }
  const names = new Set<string>();
  for (const m of spec.metrics) {
    if (names.has(m.name)) throw specError(provider, `metric ${m.name} is listed twice`);
    names.add(m.name);
  }
  return spec;
}

function toQuery(q: {
  params: Array<{ name: string; value: string }>;
  body?: string | undefined;
  jqExpression: string;
}): ProviderQuery {
  const query: ProviderQuery = { params: q.params, jqExpression: q.jqExpression };
  if (q.body !== undefined) query.body = q.body;
  return query;
}

function specError(provider: string, message: string): ProviderError {
  return new ProviderError(PROVIDER_ERROR_CODES.providerSpec, `provider ${provider}: ${message}`);
}

/** Where secrets are read from. */
export interface SecretContext {
  env: Record<string, string | undefined>;
  /** Base directory of relative secret files. */
  baseDir: string;
}

async function readSecret(source: SecretSource, ctx: SecretContext, what: string): Promise<string> {
  if ("env" in source) {
    const value = ctx.env[source.env];
    if (value === undefined || value === "") {
      throw new ProviderError(
        PROVIDER_ERROR_CODES.secret,
        `the ${what} is read from environment variable ${source.env}, which is not set`,
      );
    }
    return value;
  }
  const file = isAbsolute(source.file) ? source.file : resolve(ctx.baseDir, source.file);
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (error) {
    const code = (error as { code?: string }).code ?? "unreadable";
    throw new ProviderError(
      PROVIDER_ERROR_CODES.secret,
      `cannot read the ${what} from ${file} (${code})`,
    );
  }
}

/**
 * The headers that authenticate to a backend, and the secret strings to keep out of every
 * message, result and log.
 */
export async function resolveAuthHeaders(
  auth: ProviderAuth | undefined,
  ctx: SecretContext,
): Promise<{ headers: Record<string, string>; secrets: string[] }> {
  if (!auth) return { headers: {}, secrets: [] };
  switch (auth.type) {
    case "bearer": {
      const token = await readSecret(auth.token, ctx, "bearer token");
      return { headers: { authorization: `Bearer ${token}` }, secrets: [token] };
    }
    case "basic": {
      const username =
        typeof auth.username === "string"
          ? auth.username
          : await readSecret(auth.username, ctx, "user name");
      const password = await readSecret(auth.password, ctx, "password");
      const encoded = Buffer.from(`${username}:${password}`).toString("base64");
      return {
        headers: { authorization: `Basic ${encoded}` },
        secrets: [`${username}:${password}`, password, encoded],
      };
    }
    case "apiKey": {
      const key = await readSecret(auth.key, ctx, "API key");
      return { headers: { [auth.header]: key }, secrets: [key] };
    }
  }
}
