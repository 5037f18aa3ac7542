import type { Experiment, LoadInputs, Task } from "@iter8/spec";
import { EngineError, ENGINE_ERROR_CODES } from "../errors.js";

/**
 * Integer shares of `total` proportional to `weights` that add up to exactly `total`: share k is
 * `floor(total·Wₖ₊₁/W) − floor(total·Wₖ/W)` with `Wₖ` the sum of the first k weights, so the
 * shares telescope to `total` and differ from the exact proportions by less than one. Equal
 * weights give k6's even split (10 over 4: 2, 3, 2, 3).
 */
export function splitShares(total: number, weights: readonly number[]): number[] {
  if (!(Number.isInteger(total) && total >= 0)) {
    throw new RangeError(`total must be an integer >= 0, got ${total}`);
  }
  if (weights.length === 0 || weights.some((w) => !(Number.isFinite(w) && w >= 0))) {
    throw new RangeError("weights must be finite numbers >= 0, at least one");
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) throw new RangeError("weights must not all be 0");
  const even = weights.every((w) => w === weights[0]);
  const n = weights.length;
  let cumulative = 0;
  let before = 0;
  return weights.map((w, k) => {
    cumulative += w;
    const upTo =
      k === n - 1
        ? total
        : even
          ? Math.floor((total * (k + 1)) / n)
          : Math.min(total, Math.floor((total * cumulative) / sum));
    const share = upTo - before;
    before = upTo;
    return share;
  });
}

/** Shares of a rate: the integer part split evenly, a fraction added to the smallest share. */
function splitRate(qps: number, count: number): number[] {
  const whole = Math.floor(qps);
  const shares = splitShares(whole, new Array<number>(count).fill(1));
  const fraction = qps - whole;
  if (fraction > 0) {
    const smallest = shares.indexOf(Math.min(...shares));
    shares[smallest] = (shares[smallest] ?? 0) + fraction;
  }
  return shares;
}

/** Refuses shares that leave a shard with nothing of `what`. */
function requireEveryShare(shares: readonly number[], what: string, total: number, where: string) {
  const empty = shares.findIndex((s) => !(s > 0));
  if (empty < 0) return;
  const most = shares.filter((s) => s >= 1).length;
  throw new EngineError(
    ENGINE_ERROR_CODES.shardSplit,
    `${where}: ${what} ${total} over ${shares.length} shards leaves shard ${empty} with none`,
    `use at most ${Math.max(1, most)} shards, or raise ${what}`,
  );
}

/**
 * `gen-load-and-collect-metrics`: `connections` and `qps` split evenly (a fractional rate's
 * fraction to one shard), `numRequests` in proportion to each shard's rate (or, unpaced, its
 * connections) so the shards finish together; `duration` and the rest unchanged.
 */
function splitHttpLoad(
  inputs: LoadInputs,
  shard: number,
  count: number,
  where: string,
): LoadInputs {
  const connections = splitShares(inputs.connections, new Array<number>(count).fill(1));
  requireEveryShare(connections, "connections", inputs.connections, where);
  const out: LoadInputs = { ...inputs, connections: connections[shard] as number };
  let weights = connections;
  if (inputs.qps > 0) {
    const qps = splitRate(inputs.qps, count);
    requireEveryShare(qps, "qps", inputs.qps, where);
    out.qps = qps[shard] as number;
    weights = qps;
  }
  if (inputs.numRequests !== undefined) {
    const requests = splitShares(inputs.numRequests, weights);
    requireEveryShare(requests, "numRequests", inputs.numRequests, where);
    out.numRequests = requests[shard];
  }
  return out;
}

/**
 * How each kind of load task is split: shard `shard` of `count`'s inputs. A new load task kind
 * (gRPC: `total`, `rps`, `concurrency`, `connections`) adds one entry.
 */
const SPLITTERS: Partial<
  Record<Task["task"], (inputs: never, shard: number, count: number, where: string) => unknown>
> = {
  "gen-load-and-collect-metrics": splitHttpLoad,
};

/** True when `task` sends load, so every shard runs its share of it. */
export function isShardedTask(task: Task): boolean {
  return isShardedTaskName(task.task);
}

/** True when tasks named `name` send load (see `isShardedTask`). */
export function isShardedTaskName(name: string): boolean {
  return (SPLITTERS as Record<string, unknown>)[name] !== undefined;
}

/**
 * Checks that an experiment can run sharded: it has a load task; its load tasks are consecutive
 * (shards load back to back from one common start, so a task between two loads would run at a
 * different time than written); and no load task has an `if:` (only shard 0 has the results a
 * condition reads). Throws `EngineError` `ITER8_SHARD_SPLIT` saying what to change.
 */
export function checkShardable(experiment: Experiment): void {
  const loads = experiment.tasks.flatMap((task, index) => (isShardedTask(task) ? [index] : []));
  const first = loads[0];
  const last = loads.at(-1);
  if (first === undefined || last === undefined) {
    throw new EngineError(
      ENGINE_ERROR_CODES.shardSplit,
      "the experiment has no load task to split over shards",
      "run it with `iter8 run` instead",
    );
  }
  for (let index = first; index <= last; index++) {
    const task = experiment.tasks[index] as Task;
    if (!isShardedTask(task)) {
      throw new EngineError(
        ENGINE_ERROR_CODES.shardSplit,
        `task [${index}] (${task.task}) sits between load tasks; in a sharded run the load tasks run back to back`,
        "move it before the first or after the last load task",
      );
    }
    if (task.if) {
      throw new EngineError(
        ENGINE_ERROR_CODES.shardSplit,
        `task [${index}] (${task.task}) has an if: condition, which a sharded run cannot evaluate on every shard`,
        "remove the if: from the load task",
      );
    }
  }
}

/** Checks `shard` of `count`: integers, 0 <= shard < count. */
export function checkShardIndex(shard: number, count: number): void {
  if (!(Number.isInteger(count) && count >= 1) || !(Number.isInteger(shard) && shard >= 0)) {
    throw new EngineError(
      ENGINE_ERROR_CODES.shardSplit,
      `shard ${shard} of ${count}: expected integers, 0 <= shard < count`,
    );
  }
  if (shard >= count) {
    throw new EngineError(
      ENGINE_ERROR_CODES.shardSplit,
      `shard ${shard} of ${count}: shards are numbered 0 to ${count - 1}`,
    );
  }
}

/**
 * Shard `shard` of `count` of an experiment: every load task's inputs replaced by the shard's
 * share, so the shards' `qps`, `numRequests` and `connections` add up exactly to the experiment's
 * and `duration` is the same for all; other tasks unchanged. Pure. Throws `EngineError`
 * `ITER8_SHARD_SPLIT` when a shard would get no connections, no rate or no requests, or the
 * experiment cannot run sharded (see `checkShardable`).
 */
export function splitExperiment(experiment: Experiment, shard: number, count: number): Experiment {
  checkShardIndex(shard, count);
  checkShardable(experiment);
  const tasks = experiment.tasks.map((task, index): Task => {
    const splitter = SPLITTERS[task.task];
    if (!splitter) return task;
    const where = `task [${index}] (${task.task})`;
    const inputs = (splitter as (i: unknown, s: number, c: number, w: string) => unknown)(
      task.with,
      shard,
      count,
      where,
    );
    return { ...task, with: inputs } as Task;
  });
  return { ...experiment, tasks };
}
