import { readFile, stat } from "node:fs/promises";
import type { z } from "zod";
import { describeValue, isMapping } from "./describe-value.js";
import { errorFromIssues, SpecError } from "./errors.js";
import type { ParseResult, SpecIssue } from "./errors.js";
import { builtInNameOfV011Metric, percentileOfMetric } from "./metric-names.js";
import type { Condition, Experiment, LoadTask, ProxyMetricsTask, Task } from "./model.js";
import { TASK_NAMES } from "./model.js";
import { formatPath } from "./path.js";
import type { PathSegment } from "./path.js";
import { assessV011TaskSchema, runTaskSchema, TASK_SCHEMAS } from "./schema/index.js";
import type { KnownTaskName } from "./schema/index.js";
import { closestMatch } from "./suggest.js";
import { explainTooLarge, readYamlSource } from "./yaml-source.js";
import type { YamlSource } from "./yaml-source.js";
import { PARSE_PARAMS, phraseZodIssues } from "./zod-issues.js";
import type { RawIssue, UnknownKeyHint } from "./zod-issues.js";

/** Options of `parseExperiment` and `parseResult`. */
export interface ParseOptions {
  /** File name to put in issues (as the user should see it). */
  filename?: string;
}

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
  const read = readYamlSource(text);
  if (!read.ok) {
    return { ok: false, issues: [withFile(read.issue, options.filename)], warnings: [] };
  }
  const source = read.source;
  const issues: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const finish = (experiment?: Experiment): ParseResult<Experiment> => {
    const located = (list: RawIssue[]) => locate(list, source, options.filename);
    if (issues.length > 0 || !experiment) {
      return { ok: false, issues: located(issues), warnings: located(warnings) };
    }
    return { ok: true, value: experiment, warnings: located(warnings) };
  };

  const layout = findTaskList(source.value);
  if ("problem" in layout) {
    issues.push(...layout.problem);
    return finish();
  }
  const tasks: Task[] = [];
  layout.items.forEach((item, index) => {
    const parsed = parseTask(item, [...layout.base, index], layout.format);
    issues.push(...parsed.issues);
    warnings.push(...parsed.warnings);
    if (parsed.task) tasks.push(parsed.task);
  });
  if (issues.length > 0) return finish();
  const rules = checkRules(tasks, layout.items, layout.base);
  issues.push(...rules.issues);
  warnings.push(...rules.warnings);
  return finish({ tasks, format: layout.format });
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
  const result = schema.safeParse(raw, PARSE_PARAMS);
  if (!result.success) {
    return {
      issues: phraseZodIssues(schema, result.error.issues, path, (key, parent) =>
        unknownKeyHint(name, key, parent),
      ),
      warnings: [],
    };
  }
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

// The SLO metrics as written, in the order the normalised SLO list has them.
function writtenSloMetrics(
  inputs: Record<string, unknown>,
  withPath: PathSegment[],
): Array<{ path: PathSegment[]; metric: string }> {
  const slos = inputs.SLOs;
  const out: Array<{ path: PathSegment[]; metric: string }> = [];
  const collect = (list: unknown, at: PathSegment[]) => {
    if (!Array.isArray(list)) return;
    list.forEach((entry, index) => {
      if (isMapping(entry) && typeof entry.metric === "string") {
        out.push({ path: [...at, index, "metric"], metric: entry.metric });
      }
    });
  };
  if (Array.isArray(slos)) collect(slos, [...withPath, "SLOs"]);
  else if (isMapping(slos)) {
    collect(slos.upper, [...withPath, "SLOs", "upper"]);
    collect(slos.lower, [...withPath, "SLOs", "lower"]);
  }
  return out;
}

// --- rules across tasks -----------------------------------------------------------------------

function conditionRefs(condition: Condition, out: Array<Condition> = []): Condition[] {
  out.push(condition);
  if (condition.kind === "not") conditionRefs(condition.operand, out);
  if (condition.kind === "and" || condition.kind === "or") {
    conditionRefs(condition.left, out);
    conditionRefs(condition.right, out);
  }
  return out;
}

function checkRules(
  tasks: Task[],
  items: unknown[],
  base: PathSegment[],
): { issues: RawIssue[]; warnings: RawIssue[] } {
  const issues: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const loads = tasks
    .map((task, index) => ({ task, index }))
    .filter(
      (entry): entry is { task: LoadTask; index: number } => entry.task.task === TASK_NAMES.load,
    );
  const builtInSources = tasks
    .map((task, index) => ({ task, index }))
    .filter(
      (entry): entry is { task: LoadTask | ProxyMetricsTask; index: number } =>
        entry.task.task === TASK_NAMES.load || entry.task.task === TASK_NAMES.proxyMetrics,
    );
  const proxies = tasks.filter((t): t is ProxyMetricsTask => t.task === TASK_NAMES.proxyMetrics);
  const numVersions = Math.max(
    0,
    ...loads.map((l) => l.task.with.versionInfo.length),
    ...tasks.map((t) => (t.task === TASK_NAMES.customMetrics ? t.with.versionValues.length : 0)),
    ...proxies.map((p) => p.with.versions?.length ?? 0),
  );
  // Version indexes are checked when the versions are known before the run: a load task's
  // versionInfo, or proxymetrics' versions (without them, the proxy's routing says at run time).
  const versionsKnown =
    (loads.length > 0 || proxies.length > 0) && proxies.every((p) => p.with.versions !== undefined);

  tasks.forEach((task, index) => {
    const path = [...base, index];
    const raw = items[index];
    if (task.if) {
      for (const ref of conditionRefs(task.if)) {
        const indexed =
          ref.kind === "slosBy"
            ? { name: "SLOsBy", version: ref.version }
            : ref.kind === "winner" && ref.version !== undefined
              ? { name: "Winner", version: ref.version }
              : undefined;
        if (indexed && versionsKnown && indexed.version >= numVersions) {
          const versions = numVersions === 1 ? "index 0" : `indexes 0 to ${numVersions - 1}`;
          issues.push({
            path: [...path, "if"],
            message: `${indexed.name}(${indexed.version}) refers to version ${indexed.version}, but the experiment has ${numVersions} version${numVersions === 1 ? "" : "s"} (${versions})`,
          });
        }
      }
      const assessed = tasks.slice(0, index).some((t) => t.task === TASK_NAMES.assess);
      const usesSlos = conditionRefs(task.if).some((r) => r.kind === "slos" || r.kind === "slosBy");
      if (usesSlos && !assessed) {
        warnings.push({
          path: [...path, "if"],
          message:
            "no assess-app-versions task runs before this one, so its SLO conditions have no SLOs to check",
        });
      }
    }
    if (task.task !== TASK_NAMES.assess || !isMapping(raw)) return;
    // Built-in metrics come from load tasks and from proxymetrics (the proxy's counters).
    const earlierLoads = builtInSources.filter((l) => l.index < index);
    const written = writtenSloMetrics(isMapping(raw.with) ? raw.with : {}, [...path, "with"]);
    task.with.SLOs.forEach((slo, sloIndex) => {
      if (!slo.metric.startsWith("built-in/")) return;
      const at = written[sloIndex]?.path ?? [...path, "with", "SLOs"];
      if (earlierLoads.length === 0) {
        warnings.push({
          path: at,
          message: `no gen-load-and-collect-metrics or proxymetrics task runs before this one, so ${slo.metric} will have no value`,
        });
        return;
      }
      const p = percentileOfMetric(slo.metric);
      if (p !== undefined && !earlierLoads.some((l) => l.task.with.percentiles.includes(p))) {
        const first = earlierLoads[0];
        issues.push({
          path: at,
          message: `${slo.metric} is not collected: add ${p} to the percentiles of task ${formatPath([...base, first?.index ?? 0])}`,
        });
      }
    });
  });
  return { issues, warnings };
}

// --- positions and files ----------------------------------------------------------------------

function withFile(issue: SpecIssue, filename: string | undefined): SpecIssue {
  return filename === undefined ? issue : { ...issue, file: filename };
}

function locate(issues: RawIssue[], source: YamlSource, filename: string | undefined): SpecIssue[] {
  const located = issues.map((issue) => {
    const position = source.locate(issue.path);
    return withFile(
      { path: formatPath(issue.path), message: issue.message, ...(position ?? {}) },
      filename,
    );
  });
  return located
    .map((issue, order) => ({ issue, order }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
        (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
        a.order - b.order,
    )
    .map((entry) => entry.issue);
}

/** Reads a file of at most 10 MiB as UTF-8, refusing larger ones before reading them. */
export async function readSpecFile(
  file: string,
  what: "experiment" | "result",
  shown: string = file,
): Promise<{ ok: true; text: string } | { ok: false; issue: SpecIssue }> {
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) {
      throw new SpecError("ITER8_FILE_ACCESS", `cannot read ${what} ${shown}: it is a directory`);
    }
    size = info.size;
  } catch (error) {
    if (error instanceof SpecError) throw error;
    throw fileError(shown, what, error);
  }
  const tooLarge = explainTooLarge(size);
  if (tooLarge) return { ok: false, issue: { path: "", message: tooLarge, file: shown } };
  try {
    return { ok: true, text: await readFile(file, "utf8") };
  } catch (error) {
    throw fileError(shown, what, error);
  }
}

function fileError(file: string, what: string, error: unknown): SpecError {
  const code = (error as { code?: unknown }).code;
  const reason =
    code === "ENOENT"
      ? "no such file"
      : code === "EACCES"
        ? "permission denied"
        : error instanceof Error
          ? error.message
          : String(error);
  return new SpecError(
    "ITER8_FILE_ACCESS",
    `cannot read ${what} ${file}: ${reason}`,
    [],
    undefined,
    {
      cause: error,
    },
  );
}

/**
 * Reads and validates an experiment file, returning the result as data (issues name the file as
 * `options.filename`, default `file`). Throws a `SpecError` (`ITER8_FILE_ACCESS`) only when it cannot be read.
 */
export async function validateExperimentFile(
  file: string,
  options: ParseOptions = {},
): Promise<ParseResult<Experiment>> {
  const filename = options.filename ?? file;
  const read = await readSpecFile(file, "experiment", filename);
  if (!read.ok) return { ok: false, issues: [read.issue], warnings: [] };
  return parseExperiment(read.text, { filename });
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
