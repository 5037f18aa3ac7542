import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { SpecError } from "./errors.js";

/** Test seam: runs after the temporary file is written and synced, before the rename. */
export interface AtomicWriteHooks {
  beforeRename?: (tempFile: string) => Promise<void> | void;
}

/**
 * Replaces `file` with `text` atomically: writes a temporary file in the same directory, fsyncs
 * it, then renames it over `file`. Readers see the old content or the new, never a part; on any
 * failure the temporary file is removed and the old content stays. Throws `ITER8_FILE_ACCESS`.
 */
export async function writeFileAtomic(
  file: string,
  text: string,
  hooks: AtomicWriteHooks = {},
): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  let created = false;
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
    if (created) await rm(temp, { force: true });
    const reason = error instanceof Error ? error.message : String(error);
    throw new SpecError("ITER8_FILE_ACCESS", `cannot write ${file}: ${reason}`, [], undefined, {
      cause: error,
    });
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
