import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeFileAtomic } from "./atomic-write.js";
import { SpecError } from "./errors.js";

describe("writeFileAtomic", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "iter8-atomic-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("replaces the file and leaves no temporary file behind", async () => {
    const file = join(dir, "result.yaml");
    await writeFile(file, "old: true\n");
    await writeFileAtomic(file, "new: true\n");
    expect(await readFile(file, "utf8")).toBe("new: true\n");
    expect(await readdir(dir)).toEqual(["result.yaml"]);
  });

  it("removes the temporary files interrupted writes left beside the target, and nothing else", async () => {
    const file = join(dir, "result.yaml");
    // 99999999 is above any pid_max: the process that left these is gone.
    const leftovers = [
      ".result.yaml.99999999.0123456789ab.tmp",
      ".result.yaml.99999999.ba9876543210.tmp",
      // Our own pid (a container restarts with the same pid), from no write running now.
      `.result.yaml.${process.pid}.00000000cafe.tmp`,
    ];
    const kept = [
      // A write of a live process (our parent) may still be running.
      `.result.yaml.${process.ppid}.0123456789ab.tmp`,
      // Not our pattern, or another target's.
      ".result.yaml.tmp",
      "result.yaml.tmp",
      ".result.yaml.99999999.xyz.tmp",
      ".other.yaml.99999999.0123456789ab.tmp",
      "notes.txt",
    ];
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const name of [...leftovers, ...kept]) {
      await writeFile(join(dir, name), "partial: tr");
      await utimes(join(dir, name), anHourAgo, anHourAgo);
    }
    await writeFileAtomic(file, "new: true\n");
    expect(await readFile(file, "utf8")).toBe("new: true\n");
    expect((await readdir(dir)).sort()).toEqual([...kept, "result.yaml"].sort());
  });

  it("leaves the temporary files of concurrent writes in this process alone", async () => {
    const file = join(dir, "result.yaml");
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileAtomic(file, `write: ${i}\n`)));
    expect(await readFile(file, "utf8")).toMatch(/^write: \d+\n$/);
    expect(await readdir(dir)).toEqual(["result.yaml"]);
  });

  it("leaves the old file whole when the write fails before the rename", async () => {
    const file = join(dir, "result.yaml");
    await writeFile(file, "old: true\n");
    let tempSeen = "";
    const write = writeFileAtomic(file, "new: true\n".repeat(10_000), {
      beforeRename: async (temp) => {
        // The new content sits complete in a temporary file beside the target...
        tempSeen = await readFile(temp, "utf8");
        // ...when the process "crashes".
        throw new Error("simulated crash");
      },
    });
    await expect(write).rejects.toThrow(SpecError);
    await expect(write).rejects.toMatchObject({ code: "ITER8_FILE_ACCESS" });
    expect(tempSeen.length).toBe("new: true\n".length * 10_000);
    expect(await readFile(file, "utf8")).toBe("old: true\n");
    expect(await readdir(dir)).toEqual(["result.yaml"]);
  });

  it("reports a directory that does not exist as ITER8_FILE_ACCESS", async () => {
    const file = join(dir, "missing", "result.yaml");
    await expect(writeFileAtomic(file, "x")).rejects.toMatchObject({
      code: "ITER8_FILE_ACCESS",
      message: expect.stringContaining(`cannot write ${file}`) as unknown,
    });
  });
});
