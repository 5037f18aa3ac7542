import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
