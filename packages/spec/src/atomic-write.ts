import { randomBytes } from "node:crypto";
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SpecError } from "./errors.js";

/** Test seam: runs after the temporary file is written and synced, before the rename. */
export interface AtomicWriteHooks {
  beforeRename?: (tempFile: string) => Promise<void> | void;
}

/**
 * Replaces `file` with `text` atomically: writes a temporary file in the same directory, fsyncs
 * it, then renames it over `file`. Readers see the old content or the new, never a part; on any
 * failure the temporary file is removed and the old content stays. After a successful write, the
 * temporary files that interrupted writes left beside `file` are removed. Throws `ITER8_FILE_ACCESS`.
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  hooks: AtomicWriteHooks = {},
): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const startedAt = Date.now();
  let created = false;
  inFlight.add(temp);
  try {
    const handle = await open(temp, "wx", 0o644);
    created = true;
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await hooks.beforeRename?.(temp);
    await rename(temp, file);
    created = false;
    await syncDirectory(dir);
  } catch (error) {
    inFlight.delete(temp);
    if (created) await rm(temp, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new SpecError("ITER8_FILE_ACCESS", `cannot write ${file}: ${reason}`, [], undefined, {
      cause: error,
    });
  }
  inFlight.delete(temp);
  await removeLeftoverTemps(dir, basename(file), startedAt);
}

/** Temporary files of writes still running in this process: never leftovers. */
const inFlight = new Set<string>();

/** True when process `pid` exists (a write of another live process may still be running). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes what interrupted writes (kill -9, power cut) left beside `name`: only files of our own
 * pattern `.<name>.<pid>.<12 hex>.tmp`, last modified before the current write started, and not
 * being written now (by this process, or by another process that is still alive). Best effort: a
 * file that cannot be removed stays, and the write that just succeeded still counts.
 */
async function removeLeftoverTemps(dir: string, name: string, startedAt: number): Promise<void> {
  const prefix = `.${name}.`;
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const match = /^(\d+)\.[0-9a-f]{12}\.tmp$/.exec(entry.slice(prefix.length));
    if (!match) continue;
    const path = join(dir, entry);
    const pid = Number(match[1]);
    if (inFlight.has(path) || (pid !== process.pid && isAlive(pid))) continue;
    try {
      const stats = await stat(path);
      if (!stats.isFile() || stats.mtimeMs >= startedAt) continue;
      await rm(path, { force: true });
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

// Persist the rename itself; not every platform lets a directory be opened, so best effort.
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data is written; only the durability of the rename across a power cut is weaker.
  }
}
