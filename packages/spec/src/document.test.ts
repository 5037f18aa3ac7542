import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  applyRules,
  checkSchema,
  parseDocument,
  readDocument,
  validateDocumentFile,
} from "./document.js";
import type { DocumentCheck, DocumentKind } from "./document.js";
import { SpecError } from "./errors.js";
import { MAX_DOCUMENT_BYTES } from "./yaml-source.js";

const text = ["first: 1", "second:", "  inner: 2", "third: 3"].join("\n");

describe("parseDocument", () => {
  it("locates issues and warnings, sorts them by position and names the file", () => {
    const check = (): DocumentCheck<never> => ({
      issues: [
        { path: ["third"], message: "c" },
        { path: ["second", "inner"], message: "b" },
        { path: ["first"], message: "a" },
      ],
      warnings: [
        { path: ["third"], message: "w2" },
        { path: ["first"], message: "w1" },
      ],
    });
    expect(parseDocument(text, check, { filename: "doc.yaml" })).toEqual({
      ok: false,
      issues: [
        { path: "first", message: "a", line: 1, column: 1, file: "doc.yaml" },
        { path: "second.inner", message: "b", line: 3, column: 3, file: "doc.yaml" },
        { path: "third", message: "c", line: 4, column: 1, file: "doc.yaml" },
      ],
      warnings: [
        { path: "first", message: "w1", line: 1, column: 1, file: "doc.yaml" },
        { path: "third", message: "w2", line: 4, column: 1, file: "doc.yaml" },
      ],
    });
  });

  it("keeps the order of issues at the same position", () => {
    const check = (): DocumentCheck<never> => ({
      issues: [
        { path: ["first"], message: "one" },
        { path: ["first"], message: "two" },
      ],
      warnings: [],
    });
    const result = parseDocument(text, check);
    expect(result.ok ? [] : result.issues.map((i) => i.message)).toEqual(["one", "two"]);
  });

  it("gives an issue about the whole document no line", () => {
    const check = (): DocumentCheck<never> => ({
      issues: [{ path: [], message: "not this kind of document", whole: true }],
      warnings: [],
    });
    expect(parseDocument(text, check, { filename: "doc.yaml" })).toEqual({
      ok: false,
      issues: [{ path: "", message: "not this kind of document", file: "doc.yaml" }],
      warnings: [],
    });
  });

  it("returns the checked value with located warnings", () => {
    const check = (value: unknown): DocumentCheck<unknown> => ({
      value,
      issues: [],
      warnings: [{ path: ["second"], message: "w" }],
    });
    expect(parseDocument(text, check)).toEqual({
      ok: true,
      value: { first: 1, second: { inner: 2 }, third: 3 },
      warnings: [{ path: "second", message: "w", line: 2, column: 1 }],
    });
  });

  it("reports bad YAML with the file name and never runs the checks", () => {
    let checked = false;
    const check = (): DocumentCheck<never> => {
      checked = true;
      return { issues: [], warnings: [] };
    };
    const result = parseDocument("a: 1\na: 2\n", check, { filename: "doc.yaml" });
    expect(checked).toBe(false);
    expect(result).toMatchObject({
      ok: false,
      issues: [{ path: "a", file: "doc.yaml", line: 2 }],
    });
  });
});

describe("checkSchema", () => {
  it("returns the schema's output, or issues phrased at paths under the given one", () => {
    const schema = z.strictObject({ n: z.int().transform((n) => n * 2) });
    expect(checkSchema(schema, { n: 2 })).toEqual({ ok: true, data: { n: 4 } });
    const bad = checkSchema(schema, { n: "x" }, [3, "with"]);
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.issues.map((i) => i.path)).toEqual([[3, "with", "n"]]);
  });
});

describe("applyRules", () => {
  it("runs every rule in order and splits findings into issues and warnings", () => {
    const result = applyRules(
      [
        (n: number) => [{ severity: "warning", path: ["a"], message: `w${n}` }],
        () => [],
        (n: number) => [
          { severity: "issue", path: ["b"], message: `i${n}` },
          { severity: "warning", path: ["c"], message: "w2" },
        ],
      ],
      1,
    );
    expect(result).toEqual({
      issues: [{ path: ["b"], message: "i1" }],
      warnings: [
        { path: ["a"], message: "w1" },
        { path: ["c"], message: "w2" },
      ],
    });
  });
});

describe("readDocument", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iter8-document-"));
    await mkdir(join(dir, "folder"));
    await writeFile(join(dir, "big.yaml"), Buffer.alloc(MAX_DOCUMENT_BYTES, 0x20));
    await writeFile(join(dir, "ok.yaml"), "a: 1\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const kinds: DocumentKind[] = ["experiment", "result", "routing", "rollout"];

  it.each(kinds)("reads a %s file as text", async (kind) => {
    expect(await readDocument(join(dir, "ok.yaml"), kind)).toEqual({ ok: true, text: "a: 1\n" });
  });

  it.each(kinds)("refuses a %s file of 10 MiB as an issue naming the shown name", async (kind) => {
    expect(await readDocument(join(dir, "big.yaml"), kind, "shown.yaml")).toEqual({
      ok: false,
      issue: {
        path: "",
        message: "refused: the file is 10.0 MiB; iter8 reads files smaller than 10 MiB",
        file: "shown.yaml",
      },
    });
  });

  it.each(kinds)(
    "throws ITER8_FILE_ACCESS for a %s path that is a folder or missing",
    async (kind) => {
      const folder = join(dir, "folder");
      const missing = join(dir, "missing.yaml");
      const errors = await Promise.all(
        [folder, missing].map((file) => readDocument(file, kind).catch((e: unknown) => e)),
      );
      expect(errors[0]).toBeInstanceOf(SpecError);
      expect(errors).toMatchObject([
        { code: "ITER8_FILE_ACCESS", message: `cannot read ${kind} ${folder}: it is a directory` },
        { code: "ITER8_FILE_ACCESS", message: `cannot read ${kind} ${missing}: no such file` },
      ]);
    },
  );

  it("validateDocumentFile parses what it read, naming the file as shown", async () => {
    const parse = (source: string, options: { filename?: string }) =>
      parseDocument(
        source,
        (): DocumentCheck<never> => ({ issues: [{ path: ["a"], message: "m" }], warnings: [] }),
        options,
      );
    expect(await validateDocumentFile(join(dir, "ok.yaml"), "routing", parse, "ok")).toEqual({
      ok: false,
      issues: [{ path: "a", message: "m", line: 1, column: 1, file: "ok" }],
      warnings: [],
    });
    expect(await validateDocumentFile(join(dir, "big.yaml"), "routing", parse)).toMatchObject({
      ok: false,
      issues: [
        {
          file: join(dir, "big.yaml"),
          message: "refused: the file is 10.0 MiB; iter8 reads files smaller than 10 MiB",
        },
      ],
    });
  });
});
