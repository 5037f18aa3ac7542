import type { z } from "zod";
import { describeValue, isMapping } from "./describe-value.js";
import { applyRules, checkSchema, parseDocument, validateDocumentFile } from "./document.js";
import type { DocumentCheck, DocumentOptions } from "./document.js";
import { errorFromIssues } from "./errors.js";
import type { ParseResult } from "./errors.js";
import { EXPERIMENT_RULES, writtenSloMetrics } from "./experiment-rules.js";
import { builtInNameOfV011Metric } from "./metric-names.js";
import type { Experiment, Task } from "./model.js";
import { TASK_NAMES } from "./model.js";
import type { PathSegment } from "./path.js";
import { assessV011TaskSchema, runTaskSchema, TASK_SCHEMAS } from "./schema/index.js";
import type { KnownTaskName } from "./schema/index.js";
import { closestMatch } from "./suggest.js";
import type { RawIssue, UnknownKeyHint } from "./zod-issues.js";

/** Options of `parseExperiment` and `parseResult`. */
export type ParseOptions = DocumentOptions;

const TASK_LIST =
  "gen-load-and-collect-metrics (alias http), assess-app-versions (alias assess), abnmetrics, custommetrics, proxymetrics and run: <script>";
const V011_TASKS = ["http", "assess"];

interface ParsedTask {
  task?: Task;
  issues: RawIssue[];
  warnings: RawIssue[];
}

/**
 * Parses and validates the text of `experiment.yaml` (Iter8 v0.8 list, or v0.11 `{spec, result}`)
 * into the normalised `Experiment`, with defaults applied. Never throws for bad input: problems
 * come back as issues with a path, a message and (when the YAML gives them) line and column.
 */
export function parseExperiment(text: string, options: ParseOptions = {}): ParseResult<Experiment> {
  return parseDocument(text, checkExperiment, options);
}

function checkExperiment(value: unknown): DocumentCheck<Experiment> {
  const layout = findTaskList(value);
  if ("problem" in layout) return { issues: layout.problem, warnings: [] };
  const tasks: Task[] = [];
  const issues: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  layout.items.forEach((item, index) => {
    const parsed = parseTask(item, [...layout.base, index], layout.format);
    issues.push(...parsed.issues);
    warnings.push(...parsed.warnings);
    if (parsed.task) tasks.push(parsed.task);
  });
  if (issues.length > 0) return { issues, warnings };
  const rules = applyRules(EXPERIMENT_RULES, { tasks, items: layout.items, base: layout.base });
  return {
    value: { tasks, format: layout.format },
    issues: rules.issues,
    warnings: [...warnings, ...rules.warnings],
  };
}

type Layout =
  { items: unknown[]; base: PathSegment[]; format: Experiment["format"] } | { problem: RawIssue[] };

function findTaskList(value: unknown): Layout {
  const example = 'e.g. "- task: gen-load-and-collect-metrics"';
  if (value === undefined || value === null) {
    return {
      problem: [
        { path: [], message: `the experiment is empty; it is a list of tasks, ${example}` },
      ],
    };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) {
      return {
        problem: [
          { path: [], message: `the experiment has no tasks; list at least one, ${example}` },
        ],
      };
    }
    return { items: value, base: [], format: "v0.8" };
  }
  if (isMapping(value) && "spec" in value) {
    const problem: RawIssue[] = [];
    for (const key of Object.keys(value)) {
      if (key !== "spec" && key !== "result") {
        const match = closestMatch(key, ["spec", "result"]);
        problem.push({
          path: [key],
          message: match
            ? `unknown key "${key}"; did you mean "${match}"?`
            : `unknown key "${key}"; an Iter8 v0.11 file has only spec and result`,
        });
      }
    }
    if (value.result !== undefined && value.result !== null && !isMapping(value.result)) {
      problem.push({
        path: ["result"],
        message: `expected a mapping (key: value), got ${describeValue(value.result)}`,
      });
    }
    if (!Array.isArray(value.spec)) {
      problem.push({
        path: ["spec"],
        message: `expected a list of tasks, got ${describeValue(value.spec)}`,
      });
    } else if (value.spec.length === 0) {
      problem.push({ path: ["spec"], message: `spec has no tasks; list at least one, ${example}` });
    }
    if (problem.length > 0 || !Array.isArray(value.spec)) return { problem };
    return { items: value.spec, base: ["spec"], format: "v0.11" };
  }
  if (isMapping(value) && ("task" in value || "run" in value)) {
    return {
      problem: [
        {
          path: [],
          message:
            'an experiment is a list of tasks; start each task with "- ", e.g. "- task: ..."',
        },
      ],
    };
  }
  return {
    problem: [
      {
        path: [],
        message: `expected a list of tasks (or an Iter8 v0.11 file with spec:), got ${describeValue(value)}`,
      },
    ],
  };
}

function parseTask(raw: unknown, path: PathSegment[], format: Experiment["format"]): ParsedTask {
  const fail = (message: string, at: PathSegment[] = path): ParsedTask => ({
    issues: [{ path: at, message }],
    warnings: [],
  });
  if (!isMapping(raw)) {
    return fail(`a task is a mapping with "task:" or "run:", got ${describeValue(raw)}`);
  }
  const hasTask = "task" in raw;
  const hasRun = "run" in raw;
  if (hasTask && hasRun) {
    return fail('a task has either "task:" (a task name) or "run:" (a shell script), not both', [
      ...path,
      "run",
    ]);
  }
  if (!hasTask && !hasRun) {
    for (const key of Object.keys(raw)) {
      const match = closestMatch(key, ["task", "run"]);
      if (match && !["if", "with"].includes(key)) {
        return fail(`unknown key "${key}"; did you mean "${match}"?`, [...path, key]);
      }
    }
    return fail('a task needs "task: <name>" or "run: <script>"');
  }
  let schema: z.ZodType;
  let name: string;
  if (hasRun) {
    schema = runTaskSchema;
    name = TASK_NAMES.run;
  } else {
    const written = raw.task;
    if (typeof written !== "string") {
      return fail(
        `expected a task name, got ${describeValue(written)}; known tasks: ${TASK_LIST}`,
        [...path, "task"],
      );
    }
    if (!(written in TASK_SCHEMAS)) {
      return fail(unknownTaskMessage(written, format), [...path, "task"]);
    }
    schema = schemaForTask(written as KnownTaskName, raw);
    name = written;
  }
  const result = checkSchema(schema, raw, path, (key, parent) => unknownKeyHint(name, key, parent));
  if (!result.ok) return { issues: result.issues, warnings: [] };
  return { task: result.data as Task, issues: [], warnings: taskWarnings(raw, path) };
}

// `assess` takes a v0.8 SLO list or v0.11 {upper, lower}; check against the one that was written.
function schemaForTask(name: KnownTaskName, raw: Record<string, unknown>): z.ZodType {
  if (name === "assess" && isMapping(raw.with) && isMapping(raw.with.SLOs))
    return assessV011TaskSchema;
  return TASK_SCHEMAS[name];
}

function unknownTaskMessage(written: string, format: Experiment["format"]): string {
  const known = [
    TASK_NAMES.load,
    "http",
    TASK_NAMES.assess,
    "assess",
    TASK_NAMES.run,
    TASK_NAMES.abnMetrics,
    TASK_NAMES.customMetrics,
    TASK_NAMES.proxyMetrics,
  ];
  const match = closestMatch(written, known);
  if (match) return `unknown task "${written}"; did you mean "${match}"?`;
  if (format === "v0.11") {
    return `the Iter8 v0.11 task "${written}" is not supported; iter8 supports ${V011_TASKS.join(", ")} and run`;
  }
  return `unknown task "${written}"; iter8 knows ${TASK_LIST}`;
}

function unknownKeyHint(
  task: string,
  key: string,
  parent: readonly PathSegment[],
): UnknownKeyHint | undefined {
  if (parent.length === 1 && parent[0] === "with" && task === TASK_NAMES.load && key === "url") {
    return {
      message:
        'unknown key "url"; gen-load-and-collect-metrics takes versionInfo: [{url: ...}], one entry per version',
      replaces: "versionInfo",
    };
  }
  return undefined;
}

function taskWarnings(raw: Record<string, unknown>, path: PathSegment[]): RawIssue[] {
  const warnings: RawIssue[] = [];
  const inputs = isMapping(raw.with) ? raw.with : {};
  const withPath = [...path, "with"];
  if (raw.task === TASK_NAMES.load || raw.task === "http") {
    if (inputs.numQueries !== undefined) {
      warnings.push({
        path: [...withPath, "numQueries"],
        message: "numQueries is the old name of numRequests; read as numRequests",
      });
    }
    if ((inputs.numRequests ?? inputs.numQueries) !== undefined && inputs.duration !== undefined) {
      warnings.push({
        path: [...withPath, "duration"],
        message: "duration is ignored because numRequests is set",
      });
    }
  }
  for (const { path: sloPath, metric } of writtenSloMetrics(inputs, withPath)) {
    const builtIn = builtInNameOfV011Metric(metric);
    if (builtIn) {
      warnings.push({
        path: sloPath,
        message: `"${metric}" is an Iter8 v0.11 metric name; read as "${builtIn}"`,
      });
    }
  }
  return warnings;
}

/**
 * Reads and validates an experiment file, returning the result as data (issues name the file as
 * `options.filename`, default `file`). Throws a `SpecError` (`ITER8_FILE_ACCESS`) only when it cannot be read.
 */
export async function validateExperimentFile(
  file: string,
  options: ParseOptions = {},
): Promise<ParseResult<Experiment>> {
  return validateDocumentFile(file, "experiment", parseExperiment, options.filename ?? file);
}

/**
 * Reads, validates and normalises an experiment file. Throws a `SpecError`: `ITER8_SPEC_INVALID`
 * (message names file, line and path of the first issue; `issues` has them all) or `ITER8_FILE_ACCESS`.
 */
export async function loadExperiment(file: string): Promise<Experiment> {
  const result = await validateExperimentFile(file);
  if (!result.ok) {
    throw errorFromIssues(
      "ITER8_SPEC_INVALID",
      result.issues,
      file,
      "run iter8 validate to list every problem",
    );
  }
  return result.value;
}
