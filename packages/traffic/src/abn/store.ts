import { ABN_ERROR_CODES, AbnError } from "./errors.js";

/** Sufficient statistics of one metric for one version: count, sum and sum of squares of values. */
export interface AbnMetricSummary {
  count: number;
  sum: number;
  sumSquares: number;
}

/** What the service knows about one version of an app. */
export interface AbnVersionSummary {
  /** Distinct users of the version who posted metrics. */
  users: number;
  /** Metric name → summary of the values posted for the version's users (no prototype). */
  metrics: Record<string, AbnMetricSummary>;
}

/** What migrating a JSON Lines data file of an earlier `iter8 abn` imported. */
export interface AbnMigration {
  /** The file imported, as renamed after the import (`<file>.migrated`). */
  file: string;
  /** Records imported. */
  records: number;
  /** Records skipped: torn or malformed lines, and values that would make a sum non-finite. */
  skipped: number;
}

/**
 * The A/B/n service's memory: per app and version, the users seen and the metric summaries. Both
 * backends (a SQLite file, a Redis server) make every `recordMetric` one atomic, durable update:
 * once it resolves the value survives a crash of the process; when it rejects nothing of it is kept.
 */
export interface AbnStore {
  /** What the store is, for people: `sqlite /path/abn-data.db` or `redis redis://host:6379/0`. */
  readonly description: string;
  /** Set when opening imported a JSON Lines data file of an earlier `iter8 abn` (SQLite only). */
  readonly migration?: AbnMigration | undefined;
  /**
   * Adds `value` to `metric` of `user` (assigned `version`) of `app`, and counts the user as seen.
   * Rejects with code `ITER8_ABN_INVALID` when a sum or sum of squares would become non-finite,
   * `ITER8_ABN_STORAGE_FULL` when the store is full, `ITER8_ABN_STORAGE` when it cannot write.
   */
  recordMetric(
    app: string,
    user: string,
    version: number,
    metric: string,
    value: number,
  ): Promise<void>;
  /** Per-version summaries of `app`, `numVersions` long (empty versions included). */
  summarise(app: string, numVersions: number): Promise<AbnVersionSummary[]>;
  /** Closes the store (pending writes first). */
  close(): Promise<void>;
}

/** Options of {@link openAbnStore}. */
export interface AbnStoreOptions {
  /**
   * SQLite only: a JSON Lines data file of an earlier `iter8 abn` to import once (then renamed to
   * `<file>.migrated`). A JSON Lines file found at the store's own path is migrated the same way.
   */
  migrateFrom?: string;
  /** SQLite only: the most bytes the database may take; writes beyond answer "full". */
  maxBytes?: number;
  /** Redis only: prefix of every key; default `iter8:abn:`. */
  keyPrefix?: string;
}

/** Opens the store at `location`: a `redis://` or `rediss://` URL, else a SQLite file path. */
export async function openAbnStore(
  location: string,
  options: AbnStoreOptions = {},
): Promise<AbnStore> {
  if (/^rediss?:\/\//i.test(location)) {
    const { openRedisAbnStore } = await importBackend(
      () => import("./redis-store.js"),
      "ioredis",
      "redis",
    );
    return openRedisAbnStore(location, options);
  }
  const { openSqliteAbnStore } = await importBackend(
    () => import("./sqlite-store.js"),
    "better-sqlite3",
    "sqlite",
  );
  return openSqliteAbnStore(location, options);
}

/**
 * Loads a store's module. Its driver (`better-sqlite3`, `ioredis`) is an optional peer dependency,
 * installed only by those who use that store, so a missing one is a one-line instruction.
 */
async function importBackend<T>(load: () => Promise<T>, driver: string, store: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const message = error instanceof Error ? error.message : "";
    if (
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
      message.includes(`'${driver}'`)
    ) {
      throw new AbnError(
        ABN_ERROR_CODES.storage,
        `install ${driver} to use the ${store} store (npm install ${driver}): it is an optional peer dependency of @iter8/traffic`,
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * The summary after adding `value`; throws `ITER8_ABN_INVALID` naming `what` when the sum or the
 * sum of squares would not be finite (e.g. 1.7e308, whose square overflows), so one bad post
 * cannot break every later assessment.
 */
export function addToSummary(
  summary: AbnMetricSummary | undefined,
  value: number,
  what: string,
): AbnMetricSummary {
  const before = summary ?? { count: 0, sum: 0, sumSquares: 0 };
  const next = {
    count: before.count + 1,
    sum: before.sum + value,
    sumSquares: before.sumSquares + value * value,
  };
  if (!Number.isFinite(value) || !Number.isFinite(next.sum) || !Number.isFinite(next.sumSquares)) {
    throw new AbnError(
      ABN_ERROR_CODES.invalid,
      `${what}: adding ${value} would make its sum or sum of squares non-finite; ` +
        `values must keep both finite (|value| well below 1.3e154)`,
    );
  }
  return next;
}

/** An empty summary of `numVersions` versions, with prototype-free metric maps. */
export function emptySummaries(numVersions: number): AbnVersionSummary[] {
  return Array.from({ length: numVersions }, () => ({
    users: 0,
    metrics: Object.create(null) as Record<string, AbnMetricSummary>,
  }));
}
