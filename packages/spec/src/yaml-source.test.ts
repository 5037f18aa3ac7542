import { describe, expect, it } from "vitest";
import { readYamlSource } from "./yaml-source.js";
import type { PathSegment } from "./path.js";

function locate(text: string, path: PathSegment[]) {
  const read = readYamlSource(text);
  if (!read.ok) throw new Error(read.issue.message);
  return read.source.locate(path);
}

describe("readYamlSource positions", () => {
  const text = [
    "# header comment", // 1
    "- task: gen-load-and-collect-metrics", // 2
    "  with:", // 3
    "    percentiles: [50, 95,", // 4
    "      99.9]", // 5
    "    headers: {X-A: one, 'X-B': two}", // 6
    "    versionInfo:", // 7
    "    -", // 8
    "    - url: http://127.0.0.1:8080/get", // 9
    "      # a comment between keys", // 10
    "      headers:", // 11
    "        X-C: three", // 12
    "- run: |", // 13
    "    echo hi", // 14
    "  if: SLOs()", // 15
    "- &shared {task: assess-app-versions, with: {SLOs: [{metric: m/x, upperLimit: 1}]}}", // 16
  ].join("\n");

  it.each<[PathSegment[], number, number]>([
    [[], 2, 1],
    [[0], 2, 3],
    [[0, "task"], 2, 3],
    [[0, "with"], 3, 3],
    [[0, "with", "percentiles"], 4, 5],
    [[0, "with", "percentiles", 1], 4, 23],
    [[0, "with", "percentiles", 2], 5, 7],
    [[0, "with", "headers", "X-A"], 6, 15],
    [[0, "with", "headers", "X-B"], 6, 25],
    [[0, "with", "versionInfo", 1], 9, 7],
    [[0, "with", "versionInfo", 1, "headers", "X-C"], 12, 9],
    [[1, "if"], 15, 3],
    [[2, "with", "SLOs", 0, "upperLimit"], 16, 67],
  ])("finds %j at %d:%d", (path, line, column) => {
    expect(locate(text, path)).toEqual({ line, column });
  });

  it("falls back to the deepest part of the path that exists", () => {
    expect(locate(text, [0, "with", "missing", "deeper"])).toEqual({ line: 3, column: 3 });
    expect(locate(text, [7, "task"])).toEqual({ line: 2, column: 1 });
  });

  it("gives no position for a bare '-' entry but keeps the later indexes right", () => {
    expect(locate(text, [0, "with", "versionInfo", 0])).toEqual({ line: 7, column: 5 });
    expect(locate(text, [0, "with", "versionInfo", 1, "url"])).toEqual({ line: 9, column: 7 });
  });

  it("counts columns after a byte-order mark from the first visible character", () => {
    expect(locate("\uFEFF- run: x\n  if: SLOs()\n", [0, "if"])).toEqual({ line: 2, column: 3 });
  });
});

describe("readYamlSource refusals", () => {
  it("reports YAML syntax errors with line and column", () => {
    const read = readYamlSource("- run: a\n  if: [SLOs()\n");
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.issue.message).toMatch(/^invalid YAML: /);
    expect(read.issue.line).toBeGreaterThan(0);
  });

  it("names a duplicate key with its path, in flow style too", () => {
    const read = readYamlSource("- task: x\n  with: {qps: 1, qps: 2}\n");
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.issue).toMatchObject({
      path: "[0].with.qps",
      message: 'duplicate key "qps"; a key may appear only once in a mapping',
      line: 2,
    });
  });

  it("accepts aliases that expand modestly", () => {
    const read = readYamlSource("- &h {a: 1}\n- *h\n- *h\n");
    expect(read.ok).toBe(true);
  });

  it("refuses an alias that refers to its own container", () => {
    const read = readYamlSource("- &a [*a]\n");
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.issue.message).toBe(
      "refused: a YAML alias refers to the node that contains it (a cycle)",
    );
  });
});
