import type { z } from "zod";
import { isMapping } from "./describe-value.js";
import { builtInNameOfV011Metric } from "./metric-names.js";
import type { PathSegment } from "./path.js";
import { closestMatch } from "./suggest.js";
import { knownKeysAt, PARSE_PARAMS } from "./zod-issues.js";
import type { RawIssue } from "./zod-issues.js";

/** A task as written, rewritten into the form iter8 reads, with what was mapped or refused. */
export interface MappedTask {
  raw: Record<string, unknown>;
  warnings: RawIssue[];
  issues: RawIssue[];
}

/** Iter8 task names iter8 reads as one of its own, and the releases that used them. */
const RENAMED_TASKS: Record<string, { to: string; releases: string }> = {
  "gen-load-and-collect-metrics-http": { to: "http", releases: "v0.8.29–v0.10" },
  "collect-metrics-database": { to: "custommetrics", releases: "v0.10" },
};

/** Iter8 task names iter8 cannot run yet, and why. */
const REFUSED_TASKS: Record<string, string> = {
  ready:
    'the Iter8 task "ready" (wait for a Kubernetes object) is not supported yet; remove it or wait in a run: task',
  notify:
    'the Iter8 task "notify" (send an HTTP notification) is not supported yet; remove it or use a run: task with curl',
};

const BUILT_IN_HTTP = /^built-in\/http-(.+)$/;
const BUILT_IN_GRPC = /^built-in\/grpc-(.+)$/;

/** The value of `key` in `map`, matched as Go's JSON decoding matches struct fields (any case). */
function getFolded(map: Record<string, unknown>, key: string): [string, unknown] | undefined {
  if (key in map) return [key, map[key]];
  const found = Object.keys(map).find((k) => k.toLowerCase() === key.toLowerCase());
  return found === undefined ? undefined : [found, map[found]];
}

/**
 * Rewrites one task of an Iter8 v0.8–v0.14 experiment into the form iter8 reads (task names,
 * metric names, inputs Iter8 accepted together), with a warning saying what was mapped; tasks
 * iter8 cannot run yet come back as issues. `raw` is not modified.
 */
export function mapIter8Task(raw: Record<string, unknown>, path: PathSegment[]): MappedTask {
  const out = structuredClone(raw);
  const warnings: RawIssue[] = [];
  const issues: RawIssue[] = [];
  const name = out.task;
  if (typeof name === "string") {
    const refused = REFUSED_TASKS[name];
    if (refused)
      return { raw: out, warnings, issues: [{ path: [...path, "task"], message: refused }] };
    const renamed = RENAMED_TASKS[name];
    if (renamed) {
      out.task = renamed.to;
      warnings.push({
        path: [...path, "task"],
        message: `the Iter8 ${renamed.releases} task "${name}" is read as "${renamed.to}"`,
      });
    }
  }
  const inputs = isMapping(out.with) ? out.with : undefined;
  if (!inputs) return { raw: out, warnings, issues };
  const withPath = [...path, "with"];
  const warn = (at: PathSegment[], message: string) => warnings.push({ path: at, message });

  if (name === "collect-metrics-database") mapDatabaseInputs(inputs, withPath, warn);
  if (out.task === "abnmetrics") mapAbnInputs(inputs, withPath, warn);
  if (out.task === "http" || out.task === "gen-load-and-collect-metrics") {
    const refused = mapLoadInputs(inputs, withPath, warn);
    if (refused) return { raw: out, warnings, issues: [refused] };
    const str = getFolded(inputs, "payloadStr");
    const url = getFolded(inputs, "payloadURL");
    if (str && url) {
      delete inputs[str[0]];
      warn([...withPath, str[0]], "payloadStr is ignored because payloadURL is set (as Iter8 did)");
    }
  }
  if (out.task === "grpc" || out.task === "gen-load-and-collect-metrics-grpc") {
    mapGrpcInputs(inputs, withPath, warn);
  }
  if (out.task === "assess" || out.task === "assess-app-versions") {
    mapRewards(inputs, withPath, warn);
    mapSloMetrics(inputs, withPath, warn);
  }
  return { raw: out, warnings, issues };
}

type Warn = (at: PathSegment[], message: string) => void;

// Load inputs of single Iter8 releases: v0.8.29's rps, v0.13+'s warmup flag, allowInitialErrors
// and endpoints. Returns an issue for what iter8 cannot do yet.
function mapLoadInputs(
  inputs: Record<string, unknown>,
  at: PathSegment[],
  warn: Warn,
): RawIssue | undefined {
  const rps = getFolded(inputs, "rps");
  if (rps && getFolded(inputs, "qps") === undefined) {
    delete inputs[rps[0]];
    inputs.qps = rps[1];
    warn([...at, rps[0]], "rps (Iter8 v0.8.29) is read as qps");
  }
  const endpoints = getFolded(inputs, "endpoints");
  if (endpoints) {
    return {
      path: [...at, endpoints[0]],
      message:
        "endpoints (Iter8 v0.13+, several endpoints in one load task) is not supported yet; write one load task per endpoint",
    };
  }
  const warmup = getFolded(inputs, "warmup");
  if (warmup && typeof warmup[1] === "boolean") {
    if (warmup[1]) {
      return {
        path: [...at, warmup[0]],
        message:
          'warmup: true (Iter8 v0.13+: run the load but discard its metrics) is not supported yet; use warmup: <duration>, e.g. "5s"',
      };
    }
    delete inputs[warmup[0]];
    warn([...at, warmup[0]], "warmup: false (Iter8 v0.13+) is the default; ignored");
  }
  const initial = getFolded(inputs, "allowInitialErrors");
  if (initial && typeof initial[1] === "boolean") {
    delete inputs[initial[0]];
    warn(
      [...at, initial[0]],
      "allowInitialErrors (Iter8 v0.13+) is ignored: iter8 counts errors and does not abort the load on them",
    );
  }
  return undefined;
}

// Iter8 v0.8.29–v0.10 named the URL of the JSON call data JSONDataURL.
function mapGrpcInputs(inputs: Record<string, unknown>, at: PathSegment[], warn: Warn): void {
  const jsonData = getFolded(inputs, "JSONDataURL");
  if (jsonData && getFolded(inputs, "dataURL") === undefined) {
    delete inputs[jsonData[0]];
    inputs.dataURL = jsonData[1];
    warn([...at, jsonData[0]], `${jsonData[0]} (Iter8 v0.8.29–v0.10) is read as dataURL`);
  }
}

function mapDatabaseInputs(inputs: Record<string, unknown>, at: PathSegment[], warn: Warn): void {
  const providers = getFolded(inputs, "providers");
  if (providers && Array.isArray(providers[1])) {
    const templates: Record<string, unknown> = {};
    for (const p of providers[1]) {
      if (typeof p === "string") templates[p] = `${p}.metrics.yaml`;
    }
    delete inputs[providers[0]];
    inputs.templates = templates;
    const names = Object.keys(templates);
    warn(
      [...at, providers[0]],
      `providers [${names.join(", ")}] read as templates {${names.map((n) => `${n}: ${n}.metrics.yaml`).join(", ")}} (files beside the experiment, as Iter8 v0.10 looked them up)`,
    );
  }
  const versionInfo = getFolded(inputs, "versionInfo");
  if (versionInfo) {
    delete inputs[versionInfo[0]];
    inputs.versionValues = versionInfo[1];
    warn(
      [...at, versionInfo[0]],
      "versionInfo read as versionValues (template values per version)",
    );
  }
}

function mapAbnInputs(inputs: Record<string, unknown>, at: PathSegment[], warn: Warn): void {
  const endpoint = getFolded(inputs, "endpoint");
  if (endpoint && typeof endpoint[1] === "string" && !("url" in inputs)) {
    const url = /^https?:\/\//u.test(endpoint[1]) ? endpoint[1] : `http://${endpoint[1]}`;
    delete inputs[endpoint[0]];
    inputs.url = url;
    warn(
      [...at, endpoint[0]],
      `endpoint "${endpoint[1]}" read as url "${url}" (Iter8 v0.11 spoke gRPC to its abn service; iter8's abn service speaks HTTP)`,
    );
  }
  const application = getFolded(inputs, "application");
  if (application && !("app" in inputs)) {
    delete inputs[application[0]];
    inputs.app = application[1];
    warn([...at, application[0]], "application read as app");
  }
}

function mapRewards(inputs: Record<string, unknown>, at: PathSegment[], warn: Warn): void {
  const rewards = getFolded(inputs, "rewards");
  if (!rewards || !isMapping(rewards[1])) return;
  const written = rewards[1];
  const max = getFolded(written, "max");
  const min = getFolded(written, "min");
  const known = new Set([max?.[0], min?.[0]]);
  if (Object.keys(written).some((k) => !known.has(k))) return; // let the schema name the bad key
  const asList = (value: unknown, direction: "high" | "low") =>
    Array.isArray(value)
      ? (value as unknown[]).map((metric) => ({ metric, preferredDirection: direction }))
      : [{ metric: value, preferredDirection: direction }];
  delete inputs[rewards[0]];
  inputs.rewards = [...(max ? asList(max[1], "high") : []), ...(min ? asList(min[1], "low") : [])];
  warn(
    [...at, rewards[0]],
    "rewards {max: [...], min: [...]} (Iter8 v0.13+) read as [{metric, preferredDirection: high|low}]",
  );
}

function mapSloMetrics(inputs: Record<string, unknown>, at: PathSegment[], warn: Warn): void {
  const slos = getFolded(inputs, "SLOs");
  if (!slos) return;
  const lists: Array<[unknown, PathSegment[]]> = [];
  if (Array.isArray(slos[1])) lists.push([slos[1], [...at, slos[0]]]);
  else if (isMapping(slos[1])) {
    for (const side of ["upper", "lower"]) {
      const found = getFolded(slos[1], side);
      if (found) lists.push([found[1], [...at, slos[0], found[0]]]);
    }
  }
  for (const [list, listPath] of lists) {
    if (!Array.isArray(list)) continue;
    list.forEach((entry, index) => {
      if (!isMapping(entry) || typeof entry.metric !== "string") return;
      const mapped = mapMetricName(entry.metric);
      if (!mapped) return;
      warn(
        [...listPath, index, "metric"],
        `"${entry.metric}" ${mapped.why}; read as "${mapped.to}"`,
      );
      entry.metric = mapped.to;
    });
  }
}

/** The name iter8 reads for an Iter8 v0.8.29–v0.8.34 `built-in/http-*` or `built-in/grpc-*` metric. */
export function mapMetricName(name: string): { to: string; why: string } | undefined {
  const http = BUILT_IN_HTTP.exec(name);
  if (http?.[1]) {
    const to = builtInNameOfV011Metric(`http/${http[1]}`);
    if (to) return { to, why: "is an Iter8 v0.8.29–v0.8.34 metric name" };
  }
  const grpc = BUILT_IN_GRPC.exec(name);
  if (grpc?.[1]) return { to: `grpc/${grpc[1]}`, why: "is an Iter8 v0.8.29–v0.8.34 metric name" };
  return undefined;
}

/**
 * Matches the keys of `raw` to `schema` as Go's JSON decoding did: a key that differs from a known
 * key only in case (`Upper`) is read as that key, with a warning. With `lenient`, a key that is
 * still unknown is dropped with a warning (Iter8 ignored it) instead of refused. Bounded rounds.
 */
export function reconcileKeys(
  schema: z.ZodType,
  raw: Record<string, unknown>,
  path: PathSegment[],
  lenient: boolean,
): {
  raw: Record<string, unknown>;
  warnings: RawIssue[];
  /** A path (from the document root) inside the task, with renamed keys as they were written. */
  asWritten: (at: PathSegment[]) => PathSegment[];
} {
  const warnings: RawIssue[] = [];
  // Keys renamed so far (by their new path), so later warnings point at the keys as written.
  const renamed = new Map<string, string>();
  const asWritten = (at: PathSegment[]): PathSegment[] =>
    at.map((segment, i) => renamed.get(JSON.stringify(at.slice(0, i + 1))) ?? segment);
  for (let round = 0; round < 8; round++) {
    const result = schema.safeParse(raw, PARSE_PARAMS);
    if (result.success) break;
    let changed = false;
    for (const issue of result.error.issues) {
      if (issue.code !== "unrecognized_keys") continue;
      const at = issue.path.filter((p): p is PathSegment => typeof p !== "symbol");
      const parent = valueAt(raw, at);
      if (!isMapping(parent)) continue;
      const known = knownKeysAt(schema, at);
      for (const key of issue.keys) {
        const folded = known.find((k) => k.toLowerCase() === key.toLowerCase());
        if (folded && !(folded in parent)) {
          parent[folded] = parent[key];
          delete parent[key];
          renamed.set(JSON.stringify([...at, folded]), key);
          warnings.push({
            path: [...path, ...asWritten(at), key],
            message: `"${key}" read as "${folded}" (Iter8 matched keys in any case)`,
          });
          changed = true;
        } else if (lenient) {
          const match = likelyKey(key, known);
          delete parent[key];
          warnings.push({
            path: [...path, ...asWritten(at), key],
            message: `unknown key "${key}" ignored (--lenient), as Iter8 ignored it${match ? `; did you mean "${match}"?` : ""}`,
          });
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return {
    raw,
    warnings,
    asWritten: (at) => [...at.slice(0, path.length), ...asWritten(at.slice(path.length))],
  };
}

/**
 * The known key `key` was likely meant to be: the closest as a whole, else (for a compound key
 * such as `connect-timeeout`) the closest to its last word.
 */
export function likelyKey(key: string, known: readonly string[]): string | undefined {
  const whole = closestMatch(key, known);
  if (whole) return whole;
  const words = key.split(/[-_]/u).filter((w) => w.length > 0);
  const last = words[words.length - 1];
  return words.length > 1 && last ? closestMatch(last, known) : undefined;
}

function valueAt(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const segment of path) {
    if (Array.isArray(current) && typeof segment === "number") current = current[segment];
    else if (isMapping(current) && typeof segment === "string") current = current[segment];
    else return undefined;
  }
  return current;
}
