import type { z } from "zod";
import { describeValue, isMapping } from "./describe-value.js";
import { applyRules, checkSchema, parseDocument, validateDocumentFile } from "./document.js";
import type { DocumentCheck, DocumentOptions } from "./document.js";
import { errorFromIssues } from "./errors.js";
import type { ParseResult, SpecIssue } from "./errors.js";
import { EXPERIMENT_RULES, writtenSloMetrics } from "./experiment-rules.js";
import { likelyKey, mapIter8Task, reconcileKeys } from "./iter8-compat.js";
import { builtInNameOfV011Metric, grpcPercentileOfMetric } from "./metric-names.js";
import type { Experiment, Task } from "./model.js";
import { TASK_NAMES } from "./model.js";
import type { PathSegment } from "./path.js";
import { assessV011TaskSchema, runTaskSchema, TASK_SCHEMAS } from "./schema/index.js";
import type { KnownTaskName } from "./schema/index.js";
import { closestMatch } from "./suggest.js";
import { knownKeysAt } from "./zod-issues.js";
import type { RawIssue, UnknownKeyHint } from "./zod-issues.js";

/** Options of `parseExperiment` and `parseResult`. */
export interface ParseOptions extends DocumentOptions {
  /** Unknown keys become warnings (and are ignored, as Iter8 ignored them) instead of issues. */
  lenient?: boolean | undefined;
}

const TASK_LIST =
  "gen-load-and-collect-metrics (alias http), grpc (alias gen-load-and-collect-metrics-grpc), assess-app-versions (alias assess), abnmetrics, custommetrics, proxymetrics and run: <script>";
const V011_TASKS = ["http", "grpc", "assess", "custommetrics", "abnmetrics"];

interface ParsedTask {
  task?: Task;
  /** The task as read after mapping Iter8 names and keys. */
  raw?: Record<string, unknown>;
  /** A path inside the mapped task, with renamed keys as they were written. */
  asWritten?: (path: PathSegment[]) => PathSegment[];
  issues: RawIssue[];
  warnings: RawIssue[];
}

/**
 * Parses and validates the text of `experiment.yaml` (Iter8 v0.8 list, or v0.11 `{spec, result}`)
 * into the normalised `Experiment`, with defaults applied. Never throws for bad input: problems
 * come back as issues with a path, a message and (when the YAML gives them) line and column.
 */
export function parseExperiment(text: string, options: ParseOptions = {}): ParseResult<Experiment> {
  const lenient = options.lenient === true;
  return parseDocument(text, (value) => checkExperiment(value, lenient), options);
}

function checkExperiment(value: unknown, lenient: boolean): DocumentCheck<Experiment> {
  const layout = findTaskList(value);
  if ("problem" in layout) return { issues: layout.problem, warnings: [] };
  const tasks: Task[] = [];
  const issues: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const translators: Array<ParsedTask["asWritten"]> = [];
  const items = layout.items.map((item, index) => {
    const parsed = parseTask(item, [...layout.base, index], layout.format, lenient);
    issues.push(...parsed.issues);
    warnings.push(...parsed.warnings);
    if (parsed.task) tasks.push(parsed.task);
    translators.push(parsed.asWritten);
    return parsed.raw ?? item;
  });
  if (issues.length > 0) return { issues, warnings };
  collectSloPercentiles(tasks);
  const rules = applyRules(EXPERIMENT_RULES, { tasks, items, base: layout.base });
  // Rules see the tasks with Iter8 keys renamed (Upper → upper); point findings at keys as written.
  const asWritten = (issue: RawIssue): RawIssue => {
    const index = issue.path[layout.base.length];
    const translate = typeof index === "number" ? translators[index] : undefined;
    return translate ? { ...issue, path: translate(issue.path) } : issue;
  };
  return {
    value: { tasks, format: layout.format },
    issues: rules.issues.map(asWritten),
    warnings: [...warnings, ...rules.warnings.map(asWritten)],
  };
}

type Layout =
  { items: unknown[]; base: PathSegment[]; format: Experiment["format"] } | { problem: RawIssue[] };

/**
 * Iter8 computed any gRPC latency percentile from its samples, so an SLO may name one the grpc
 * task does not list (`grpc/latency/p97.5`): each earlier grpc task records it too.
 */
function collectSloPercentiles(tasks: Task[]): void {
  tasks.forEach((task, index) => {
    if (task.task !== TASK_NAMES.assess) return;
    for (const slo of task.with.SLOs) {
      const p = grpcPercentileOfMetric(slo.metric)?.percentile;
      if (p === undefined) continue;
      for (const earlier of tasks.slice(0, index)) {
        if (earlier.task === TASK_NAMES.grpc && !earlier.with.percentiles.includes(p)) {
          earlier.with.percentiles = [...earlier.with.percentiles, p].sort((a, b) => a - b);
        }
      }
    }
  });
}

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

function parseTask(
  written: unknown,
  path: PathSegment[],
  format: Experiment["format"],
  lenient: boolean,
): ParsedTask {
  const fail = (message: string, at: PathSegment[] = path): ParsedTask => ({
    issues: [{ path: at, message }],
    warnings: [],
  });
  if (!isMapping(written)) {
    return fail(`a task is a mapping with "task:" or "run:", got ${describeValue(written)}`);
  }
  const mapped = mapIter8Task(written, path);
  if (mapped.issues.length > 0) return { issues: mapped.issues, warnings: mapped.warnings };
  let raw = mapped.raw;
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
    const taskName = raw.task;
    if (typeof taskName !== "string") {
      return fail(
        `expected a task name, got ${describeValue(taskName)}; known tasks: ${TASK_LIST}`,
        [...path, "task"],
      );
    }
    if (!(taskName in TASK_SCHEMAS)) {
      return fail(unknownTaskMessage(taskName, format), [...path, "task"]);
    }
    const withKey = Object.keys(raw).find((k) => k.toLowerCase() === "with");
    const withInputs = withKey !== undefined && isMapping(raw[withKey]) ? raw[withKey] : undefined;
    const slosKey = withInputs && Object.keys(withInputs).find((k) => k.toLowerCase() === "slos");
    schema = schemaForTask(taskName as KnownTaskName, slosKey ? withInputs[slosKey] : undefined);
    name = taskName;
  }
  const reconciled = reconcileKeys(schema, raw, path, lenient);
  raw = reconciled.raw;
  const mappedWarnings = [...mapped.warnings, ...reconciled.warnings];
  const result = checkSchema(schema, raw, path, (key, parent) =>
    unknownKeyHint(name, key, parent, knownKeysAt(schema, parent)),
  );
  if (!result.ok) {
    return { issues: result.issues.map(withIter8Note), warnings: mappedWarnings };
  }
  return {
    task: result.data as Task,
    raw,
    asWritten: reconciled.asWritten,
    issues: [],
    warnings: [
      ...mappedWarnings,
      ...taskWarnings(raw, path).map((w) => ({ ...w, path: reconciled.asWritten(w.path) })),
    ],
  };
}

// Iter8 (Go) silently ignored keys it did not know; iter8 refuses them, so say why it differs.
function withIter8Note(issue: RawIssue): RawIssue {
  if (!issue.message.startsWith("unknown key ")) return issue;
  return {
    ...issue,
    message: `${issue.message} (Iter8 silently ignored it; --lenient ignores it with a warning)`,
  };
}

// `assess` takes a v0.8 SLO list or v0.11 {upper, lower}; check against the one that was written.
function schemaForTask(name: KnownTaskName, slos: unknown): z.ZodType {
  if (name === "assess" && isMapping(slos)) return assessV011TaskSchema;
  return TASK_SCHEMAS[name];
}

function unknownTaskMessage(written: string, format: Experiment["format"]): string {
  const known = [
    TASK_NAMES.load,
    "http",
    TASK_NAMES.grpc,
    "gen-load-and-collect-metrics-grpc",
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
  known: readonly string[],
): UnknownKeyHint | undefined {
  if (parent.length === 1 && parent[0] === "with" && task === TASK_NAMES.load && key === "url") {
    return {
      message:
        'unknown key "url"; gen-load-and-collect-metrics takes versionInfo: [{url: ...}], one entry per version',
      replaces: "versionInfo",
    };
  }
  // A compound key with no close match as a whole (connect-timeeout): try its last word.
  const match = closestMatch(key, known) === undefined ? likelyKey(key, known) : undefined;
  if (match) return { message: `unknown key "${key}"; did you mean "${match}"?`, replaces: match };
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
  if (raw.task === TASK_NAMES.grpc || raw.task === "gen-load-and-collect-metrics-grpc") {
    if (inputs.total !== undefined && inputs.duration !== undefined) {
      warnings.push({
        path: [...withPath, "total"],
        message: "total is ignored because duration is set (as ghz did)",
      });
    }
  }
  for (const { path: sloPath, metric } of writtenSloMetrics(inputs, withPath)) {
    const builtIn = builtInNameOfV011Metric(metric);
    if (builtIn) {
      warnings.push({
        path: sloPath,
        message: `"${metric}" is an Iter8 v0.9+ metric name; read as "${builtIn}"`,
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
  return validateDocumentFile(
    file,
    "experiment",
    (text, documentOptions) =>
      parseExperiment(text, { ...documentOptions, lenient: options.lenient }),
    options.filename ?? file,
  );
}

/** Options of `loadExperiment`. */
export interface LoadExperimentOptions {
  /** Unknown keys become warnings instead of issues (see `ParseOptions.lenient`). */
  lenient?: boolean | undefined;
  /** Called with each warning (mapped Iter8 names, ignored keys), in file order. */
  onWarning?: (warning: SpecIssue) => void;
}

/**
 * Reads, validates and normalises an experiment file. Throws a `SpecError`: `ITER8_SPEC_INVALID`
 * (message names file, line and path of the first issue; `issues` has them all) or `ITER8_FILE_ACCESS`.
 */
export async function loadExperiment(
  file: string,
  options: LoadExperimentOptions = {},
): Promise<Experiment> {
  const result = await validateExperimentFile(file, { lenient: options.lenient });
  for (const warning of result.warnings) options.onWarning?.(warning);
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
