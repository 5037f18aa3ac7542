import { open, readFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { ABN_ERROR_CODES, AbnError } from "./errors.js";

/** Sufficient statistics of one metric for one version: count, sum and sum of squares of values. */
export interface AbnMetricSummary {
  count: number;
  sum: number;
  sumSquares: number;
}

/** What the service knows about one version of an app. */
export interface AbnVersionSummary {
  /** Distinct users of the version who posted metrics (or were recorded with `recordUser`). */
  users: number;
  /** Metric name → summary of the values posted for the version's users. */
  metrics: Record<string, AbnMetricSummary>;
}

/** One line of the data file (JSON Lines): a user first seen, or a metric value. */
type AbnRecord =
  | { kind: "user"; app: string; user: string; version: number }
  | { kind: "metric"; app: string; user: string; version: number; metric: string; value: number };

interface AppState {
  users: Array<Set<string>>;
  metrics: Array<Map<string, AbnMetricSummary>>;
}

/**
 * The A/B/n service's memory: per app and version, the users seen and the metric summaries. Every
 * change is appended to a JSON Lines file and fsync'ed before the call resolves, so a restart (which
 * replays the file) loses nothing that was acknowledged. A torn last line, from a crash mid-write,
 * is ignored on replay.
 */
export class AbnStore {
  readonly #file: string;
  readonly #apps = new Map<string, AppState>();
  #handle: FileHandle | undefined;
  #queue: Promise<void> = Promise.resolve();
  #pending: Array<{ record: AbnRecord; resolve: () => void; reject: (error: unknown) => void }> =
    [];

  private constructor(file: string) {
    this.#file = file;
  }

  /** Opens (creating if needed) the data file and replays it. */
  static async open(file: string): Promise<AbnStore> {
    const store = new AbnStore(file);
    let text = "";
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
        throw new AbnError(ABN_ERROR_CODES.storage, `cannot read ${file}: ${String(error)}`, {
          cause: error,
        });
      }
    }
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      let record: AbnRecord;
      try {
        record = JSON.parse(line) as AbnRecord;
      } catch {
        continue; // a torn last line
      }
      store.#apply(record);
    }
    try {
      store.#handle = await open(file, "a");
      // End a torn last line, so the next record starts on a line of its own.
      if (text !== "" && !text.endsWith("\n")) await store.#handle.appendFile("\n");
    } catch (error) {
      throw new AbnError(ABN_ERROR_CODES.storage, `cannot open ${file}: ${String(error)}`, {
        cause: error,
      });
    }
    return store;
  }

  /** Records that `user` of `app` is assigned `version` (no-op when already known). */
  async recordUser(app: string, user: string, version: number): Promise<void> {
    if (this.#state(app).users[version]?.has(user)) return;
    await this.#append({ kind: "user", app, user, version });
  }

  /** Adds `value` to the summary of `metric` for `version` of `app` (the user counts as seen). */
  recordMetric(
    app: string,
    user: string,
    version: number,
    metric: string,
    value: number,
  ): Promise<void> {
    return this.#append({ kind: "metric", app, user, version, metric, value });
  }

  /** Per-version summaries of `app`, `numVersions` long (empty versions included). */
  summarise(app: string, numVersions: number): AbnVersionSummary[] {
    const state = this.#apps.get(app);
    return Array.from({ length: numVersions }, (_, v) => ({
      users: state?.users[v]?.size ?? 0,
      metrics: Object.fromEntries(
        [...(state?.metrics[v]?.entries() ?? [])].map(([name, s]) => [name, { ...s }]),
      ),
    }));
  }

  /** Waits for pending writes and closes the file. */
  async close(): Promise<void> {
    await this.#queue;
    await this.#handle?.close();
    this.#handle = undefined;
  }

  #append(record: AbnRecord): Promise<void> {
    // Group commit: records arriving while a write is in flight go out together in the next
    // write + fsync. State changes only once a record is durable, and callers resolve then.
    return new Promise((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      if (this.#pending.length === 1) this.#queue = this.#queue.then(() => this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    const handle = this.#handle;
    const fresh = batch.filter(
      ({ record }) =>
        record.kind !== "user" || !this.#state(record.app).users[record.version]?.has(record.user),
    );
    try {
      if (!handle) throw new AbnError(ABN_ERROR_CODES.storage, `${this.#file} is closed`);
      if (fresh.length > 0) {
        await handle.appendFile(fresh.map(({ record }) => `${JSON.stringify(record)}\n`).join(""));
        await handle.sync();
      }
    } catch (error) {
      const failure =
        error instanceof AbnError
          ? error
          : new AbnError(ABN_ERROR_CODES.storage, `cannot write ${this.#file}: ${String(error)}`, {
              cause: error,
            });
      for (const entry of batch) entry.reject(failure);
      return;
    }
    for (const { record } of fresh) this.#apply(record);
    for (const entry of batch) entry.resolve();
  }

  #state(app: string): AppState {
    let state = this.#apps.get(app);
    if (!state) {
      state = { users: [], metrics: [] };
      this.#apps.set(app, state);
    }
    return state;
  }

  #apply(record: AbnRecord): void {
    const state = this.#state(record.app);
    const v = record.version;
    if (!Number.isInteger(v) || v < 0) return;
    const users = (state.users[v] ??= new Set());
    users.add(record.user);
    if (record.kind !== "metric" || !Number.isFinite(record.value)) return;
    const metrics = (state.metrics[v] ??= new Map());
    const summary = metrics.get(record.metric) ?? { count: 0, sum: 0, sumSquares: 0 };
    summary.count += 1;
    summary.sum += record.value;
    summary.sumSquares += record.value * record.value;
    metrics.set(record.metric, summary);
  }
}
