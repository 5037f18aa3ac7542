import { createReadStream } from "node:fs";
import { open as openFile, rename, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import Database from "better-sqlite3";
import { ABN_ERROR_CODES, AbnError } from "./errors.js";
import { addToSummary, emptySummaries } from "./store.js";
import type {
  AbnMetricSummary,
  AbnMigration,
  AbnStore,
  AbnStoreOptions,
  AbnVersionSummary,
} from "./store.js";

const SQLITE_HEADER = "SQLite format 3\0";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS users (
  app TEXT NOT NULL, version INTEGER NOT NULL, user TEXT NOT NULL,
  PRIMARY KEY (app, version, user)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS version_users (
  app TEXT NOT NULL, version INTEGER NOT NULL, users INTEGER NOT NULL,
  PRIMARY KEY (app, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_metrics (
  app TEXT NOT NULL, version INTEGER NOT NULL, user TEXT NOT NULL, metric TEXT NOT NULL,
  count INTEGER NOT NULL, sum REAL NOT NULL, sum_squares REAL NOT NULL,
  PRIMARY KEY (app, version, user, metric)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS version_metrics (
  app TEXT NOT NULL, version INTEGER NOT NULL, metric TEXT NOT NULL,
  count INTEGER NOT NULL, sum REAL NOT NULL, sum_squares REAL NOT NULL,
  PRIMARY KEY (app, version, metric)) WITHOUT ROWID;
`;

/** The arguments of one post: app, user, version, metric, value. */
type Post = [app: string, user: string, version: number, metric: string, value: number];

interface SummaryRow {
  count: number;
  sum: number;
  sum_squares: number;
}

/**
 * Opens (creating if needed) the SQLite store at `file`: WAL journal with `synchronous = FULL`, so
 * each `recordMetric` resolves only once the transaction holding it is committed and fsync'ed
 * (posts arriving together share a transaction, each in a savepoint of its own). Rows per
 * user and metric, and per version and metric, are updated in place: the file grows with users ×
 * metrics, not with posts. A JSON Lines file of an earlier `iter8 abn` at `file` (or at
 * `options.migrateFrom`) is imported once, in one transaction, and renamed to `<file>.migrated`.
 */
export async function openSqliteAbnStore(
  file: string,
  options: AbnStoreOptions = {},
): Promise<AbnStore> {
  const pending = `${file}.migrating`;
  if (await isJsonLines(file)) {
    if (await exists(pending)) {
      throw new AbnError(
        ABN_ERROR_CODES.storage,
        `${file} is a JSON Lines data file and ${pending} (one being migrated) exists too; move one aside`,
      );
    }
    await renameOrThrow(file, pending);
  }
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    if (options.maxBytes !== undefined) {
      const pageSize = Number(db.pragma("page_size", { simple: true }));
      db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxBytes / pageSize))}`);
    }
    db.exec(SCHEMA);
  } catch (error) {
    throw storageError(file, "open", error);
  }
  const store = new SqliteStore(file, db);
  try {
    const sources: Array<[string, string]> = [[pending, `${file}.migrated`]];
    if (options.migrateFrom) sources.push([options.migrateFrom, `${options.migrateFrom}.migrated`]);
    for (const [source, target] of sources) {
      const migration = await store.migrate(source, target);
      if (migration) store.migration = migration;
    }
  } catch (error) {
    db.close();
    throw error;
  }
  return store;
}

class SqliteStore implements AbnStore {
  readonly description: string;
  migration: AbnMigration | undefined;
  readonly #file: string;
  readonly #db: Database.Database;
  readonly #record: (
    app: string,
    user: string,
    version: number,
    metric: string,
    value: number,
  ) => void;
  readonly #addUser: (app: string, user: string, version: number) => void;
  /** One post in a savepoint of its own (a nested better-sqlite3 transaction). */
  readonly #recordOne: (...post: Post) => void;
  #pending: Array<{ post: Post; resolve: () => void; reject: (error: unknown) => void }> = [];

  constructor(file: string, db: Database.Database) {
    this.#file = file;
    this.#db = db;
    this.description = `sqlite ${file}`;
    const insertUser = db.prepare<[string, number, string]>(
      "INSERT OR IGNORE INTO users (app, version, user) VALUES (?, ?, ?)",
    );
    const countUser = db.prepare<[string, number]>(
      `INSERT INTO version_users (app, version, users) VALUES (?, ?, 1)
       ON CONFLICT (app, version) DO UPDATE SET users = users + 1`,
    );
    const getUserMetric = db.prepare<[string, number, string, string], SummaryRow>(
      `SELECT count, sum, sum_squares FROM user_metrics
       WHERE app = ? AND version = ? AND user = ? AND metric = ?`,
    );
    const putUserMetric = db.prepare<[string, number, string, string, number, number, number]>(
      `INSERT INTO user_metrics (app, version, user, metric, count, sum, sum_squares)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (app, version, user, metric) DO UPDATE
       SET count = excluded.count, sum = excluded.sum, sum_squares = excluded.sum_squares`,
    );
    const getVersionMetric = db.prepare<[string, number, string], SummaryRow>(
      "SELECT count, sum, sum_squares FROM version_metrics WHERE app = ? AND version = ? AND metric = ?",
    );
    const putVersionMetric = db.prepare<[string, number, string, number, number, number]>(
      `INSERT INTO version_metrics (app, version, metric, count, sum, sum_squares)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (app, version, metric) DO UPDATE
       SET count = excluded.count, sum = excluded.sum, sum_squares = excluded.sum_squares`,
    );
    this.#addUser = (app, user, version) => {
      if (insertUser.run(app, version, user).changes > 0) countUser.run(app, version);
    };
    // Not wrapped in a transaction here: callers run it inside one (a post, or a migration).
    this.#record = (app, user, version, metric, value) => {
      const what = `metric "${metric}" of version ${version} of app "${app}"`;
      const own = addToSummary(
        fromRow(getUserMetric.get(app, version, user, metric)),
        value,
        `${what} for user "${user}"`,
      );
      const all = addToSummary(fromRow(getVersionMetric.get(app, version, metric)), value, what);
      this.#addUser(app, user, version);
      putUserMetric.run(app, version, user, metric, own.count, own.sum, own.sumSquares);
      putVersionMetric.run(app, version, metric, all.count, all.sum, all.sumSquares);
    };
    this.#recordOne = db.transaction((...post: Post) => this.#record(...post));
  }

  recordMetric(
    app: string,
    user: string,
    version: number,
    metric: string,
    value: number,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.#db.open) {
        reject(new AbnError(ABN_ERROR_CODES.storage, `${this.#file} is closed`));
        return;
      }
      this.#pending.push({ post: [app, user, version, metric, value], resolve, reject });
      // Group commit: the posts that arrive in the same turn of the event loop share a commit.
      if (this.#pending.length === 1) setImmediate(() => this.#flush());
    });
  }

  /**
   * Commits the pending posts in one IMMEDIATE transaction (fsync'ed by synchronous = FULL), each
   * post in a savepoint of its own: a post refused as invalid is rolled back alone; any other error
   * (disk full, I/O) rolls back the whole transaction and every post of it fails, so nothing of a
   * failed batch is kept and every acknowledged post is committed.
   */
  #flush(): void {
    const batch = this.#pending.splice(0);
    const refused = new Map<number, AbnError>();
    try {
      this.#db
        .transaction(() => {
          batch.forEach(({ post }, i) => {
            try {
              this.#recordOne(...post);
            } catch (error) {
              if (!(error instanceof AbnError)) throw error;
              refused.set(i, error);
            }
          });
        })
        .immediate();
    } catch (error) {
      const failure = error instanceof AbnError ? error : storageError(this.#file, "write", error);
      for (const entry of batch) entry.reject(failure);
      return;
    }
    batch.forEach((entry, i) => {
      const error = refused.get(i);
      if (error) entry.reject(error);
      else entry.resolve();
    });
  }

  summarise(app: string, numVersions: number): Promise<AbnVersionSummary[]> {
    const summaries = emptySummaries(numVersions);
    try {
      const users = this.#db
        .prepare<[string], { version: number; users: number }>(
          "SELECT version, users FROM version_users WHERE app = ?",
        )
        .all(app);
      for (const row of users) {
        const summary = summaries[row.version];
        if (summary) summary.users = row.users;
      }
      const metrics = this.#db
        .prepare<[string], SummaryRow & { version: number; metric: string }>(
          "SELECT version, metric, count, sum, sum_squares FROM version_metrics WHERE app = ?",
        )
        .all(app);
      for (const row of metrics) {
        const summary = summaries[row.version];
        if (summary) summary.metrics[row.metric] = fromRow(row) as AbnMetricSummary;
      }
    } catch (error) {
      return Promise.reject(storageError(this.#file, "read", error));
    }
    return Promise.resolve(summaries);
  }

  close(): Promise<void> {
    if (this.#pending.length > 0) this.#flush();
    if (this.#db.open) this.#db.close();
    return Promise.resolve();
  }

  /**
   * Imports the JSON Lines file `source` (if it exists) in one transaction, reading it line by line,
   * then renames it to `target`. The import is recorded in the same transaction, so a crash between
   * the commit and the rename does not import it twice.
   */
  async migrate(source: string, target: string): Promise<AbnMigration | undefined> {
    if (!(await exists(source))) return undefined;
    const key = `migrated:${resolve(source)}`;
    const done = this.#db
      .prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?")
      .get(key);
    if (done) {
      await renameOrThrow(source, target);
      return undefined;
    }
    let records = 0;
    let skipped = 0;
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const lines = createInterface({
        input: createReadStream(source, { encoding: "utf8" }),
        crlfDelay: Infinity,
      });
      for await (const line of lines) {
        if (line.trim() === "") continue;
        const record = parseLegacyRecord(line);
        if (!record) {
          skipped++;
          continue;
        }
        try {
          if (record.kind === "metric") {
            this.#record(record.app, record.user, record.version, record.metric, record.value);
          } else {
            this.#addUser(record.app, record.user, record.version);
          }
          records++;
        } catch (error) {
          if (!(error instanceof AbnError)) throw error;
          skipped++;
        }
      }
      this.#db
        .prepare("INSERT INTO meta (key, value) VALUES (?, ?)")
        .run(key, JSON.stringify({ records, skipped, at: new Date().toISOString() }));
      this.#db.exec("COMMIT");
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
      if (error instanceof AbnError) throw error;
      throw new AbnError(
        ABN_ERROR_CODES.storage,
        `cannot migrate ${source} into ${this.#file}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    await renameOrThrow(source, target);
    return { file: target, records, skipped };
  }
}

type LegacyRecord =
  | { kind: "user"; app: string; user: string; version: number }
  | { kind: "metric"; app: string; user: string; version: number; metric: string; value: number };

function parseLegacyRecord(line: string): LegacyRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined; // a torn line
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const r = parsed as Record<string, unknown>;
  if (typeof r.app !== "string" || typeof r.user !== "string") return undefined;
  if (typeof r.version !== "number" || !Number.isInteger(r.version) || r.version < 0) {
    return undefined;
  }
  if (r.kind === "user") return { kind: "user", app: r.app, user: r.user, version: r.version };
  if (r.kind !== "metric" || typeof r.metric !== "string") return undefined;
  if (typeof r.value !== "number" || !Number.isFinite(r.value)) return undefined;
  return {
    kind: "metric",
    app: r.app,
    user: r.user,
    version: r.version,
    metric: r.metric,
    value: r.value,
  };
}

function fromRow(row: SummaryRow | undefined): AbnMetricSummary | undefined {
  return row && { count: row.count, sum: row.sum, sumSquares: row.sum_squares };
}

/**
 * True when `file` is a JSON Lines data file (starts with `{`); false when it is missing, empty or
 * a SQLite database; throws for anything else, which is never renamed or overwritten.
 */
async function isJsonLines(file: string): Promise<boolean> {
  let handle;
  try {
    handle = await openFile(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw storageError(file, "open", error);
  }
  try {
    const buffer = Buffer.alloc(SQLITE_HEADER.length);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.toString("latin1", 0, bytesRead);
    if (bytesRead === 0 || head === SQLITE_HEADER) return false;
    if (head.trimStart().startsWith("{")) return true;
    throw new AbnError(
      ABN_ERROR_CODES.storage,
      `${file} is neither a SQLite database nor a JSON Lines data file of iter8 abn`,
    );
  } finally {
    await handle.close();
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw storageError(file, "read", error);
  }
}

async function renameOrThrow(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    throw new AbnError(
      ABN_ERROR_CODES.storage,
      `cannot rename ${from} to ${to}: ${messageOf(error)}`,
      { cause: error },
    );
  }
}

function storageError(file: string, action: string, error: unknown): AbnError {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "SQLITE_FULL") {
    return new AbnError(
      ABN_ERROR_CODES.storageFull,
      `cannot ${action} ${file}: the store is full (disk full or its size limit); nothing of this write was kept`,
      { cause: error },
    );
  }
  return new AbnError(ABN_ERROR_CODES.storage, `cannot ${action} ${file}: ${messageOf(error)}`, {
    cause: error,
  });
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ");
}
