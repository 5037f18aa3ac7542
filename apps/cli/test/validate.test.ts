import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/main.js";

const specFixtures = join(
  import.meta.dirname,
  "..",
  "..",
  "..",
  "packages",
  "spec",
  "test",
  "fixtures",
);
const hubLoadTest = join(import.meta.dirname, "..", "hub", "load-test", "experiment.yaml");

async function run(argv: string[], cwd: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (text: string) => out.push(...text.replace(/\n$/, "").split("\n")),
    err: (text: string) => err.push(...text.replace(/\n$/, "").split("\n")),
    progress: () => undefined,
  };
  const code = await main(argv, { io, cwd });
  return { code, out, err };
}

describe("iter8 validate", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iter8-validate-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function inDir(name: string, text: string): Promise<string> {
    const target = join(dir, name);
    await mkdir(target, { recursive: true });
    await writeFile(join(target, "experiment.yaml"), text);
    return target;
  }

  it("accepts the hub's load-test experiment", async () => {
    const cwd = await inDir("hub", await readFile(hubLoadTest, "utf8"));
    expect(await run(["validate"], cwd)).toEqual({
      code: 0,
      out: ["experiment.yaml is valid (2 tasks)"],
      err: [],
    });
  });

  it.each([
    ["load-test.yaml", 2],
    ["conditional-rollout.yaml", 5],
    ["two-version-post.yaml", 2],
    ["v011.yaml", 2],
  ])("accepts the valid fixture %s", async (name, tasks) => {
    const result = await run(["validate", "-f", join(specFixtures, "valid", name)], dir);
    expect(result.code).toBe(0);
    expect(result.out).toEqual([`${join(specFixtures, "valid", name)} is valid (${tasks} tasks)`]);
  });

  it("prints one file:line:col: [path] message line per problem and exits 2", async () => {
    const cwd = await inDir(
      "two-problems",
      [
        "- task: gen-load-and-collect-metrics",
        "  with:",
        "    versionInfo:",
        "    - url: http://127.0.0.1:8080/get",
        "- task: assess-app-versions",
        "  with:",
        "    SLOs:",
        "    - metric: built-in/error-rate",
        "      upperLimt: 0",
        "    - metric: built-in/p95.0",
        "      upperLimit: fast",
        "",
      ].join("\n"),
    );
    expect(await run(["validate"], cwd)).toEqual({
      code: 2,
      out: [],
      err: [
        'experiment.yaml:9:7: [[1].with.SLOs[0].upperLimt] unknown key "upperLimt"; did you mean "upperLimit"? (Iter8 silently ignored it; --lenient ignores it with a warning)',
        'experiment.yaml:11:7: [[1].with.SLOs[1].upperLimit] expected a number, got the text "fast"',
        "experiment.yaml is invalid: 2 problems",
      ],
    });
  });

  it("shows warnings and still exits 0", async () => {
    const cwd = await inDir(
      "warnings",
      "- task: gen-load-and-collect-metrics\n  with:\n    numQueries: 10\n    versionInfo:\n    - url: http://127.0.0.1:8080/get\n",
    );
    expect(await run(["validate"], cwd)).toEqual({
      code: 0,
      out: ["experiment.yaml is valid (1 task)"],
      err: [
        "warning: experiment.yaml:3:5: [[0].with.numQueries] numQueries is the old name of numRequests; read as numRequests",
      ],
    });
  });

  it("refuses a key Iter8 silently ignored, and --lenient accepts it with a warning", async () => {
    const cwd = await inDir(
      "iter8-typo",
      "- task: gen-load-and-collect-metrics\n  with:\n    numRequests: 5\n    connect-timeeout: 5s\n    versionInfo:\n    - url: http://127.0.0.1:8080/get\n",
    );
    expect(await run(["validate"], cwd)).toEqual({
      code: 2,
      out: [],
      err: [
        'experiment.yaml:4:5: [[0].with.connect-timeeout] unknown key "connect-timeeout"; did you mean "timeout"? (Iter8 silently ignored it; --lenient ignores it with a warning)',
        "experiment.yaml is invalid: 1 problem",
      ],
    });
    expect(await run(["validate", "--lenient"], cwd)).toEqual({
      code: 0,
      out: ["experiment.yaml is valid (1 task)"],
      err: [
        'warning: experiment.yaml:4:5: [[0].with.connect-timeeout] unknown key "connect-timeeout" ignored (--lenient), as Iter8 ignored it; did you mean "timeout"?',
      ],
    });
  });

  it("iter8 validate accepts an Iter8 gRPC experiment and names a ghz option it does not implement", async () => {
    const ok = await inDir(
      "iter8-grpc",
      "spec:\n- task: grpc\n  with:\n    host: 127.0.0.1:50051\n    call: pkg.Service.Method\n",
    );
    expect((await run(["validate"], ok)).code).toBe(0);
    const refused = await inDir(
      "iter8-grpc-lb",
      "spec:\n- task: grpc\n  with:\n    host: 127.0.0.1:50051\n    call: pkg.Service.Method\n    lb-strategy: round_robin\n",
    );
    const result = await run(["validate"], refused);
    expect(result.code).toBe(2);
    expect(result.err.join("\n")).toContain(
      "[spec[0].with.lb-strategy] the ghz option lb-strategy (the client's load-balancing strategy) is not implemented by iter8's grpc task; remove it",
    );
  });

  it("reads experiment.yaml from --dir and names it relative to the working directory", async () => {
    await inDir(join("nested", "exp"), "- run: echo hi\n  if: SLOs() or\n");
    const result = await run(["validate", "--dir", join("nested", "exp")], dir);
    expect(result.code).toBe(2);
    expect(result.err[0]).toBe(
      `${join("nested", "exp", "experiment.yaml")}:2:3: [[0].if] invalid condition "SLOs() or": the condition ends too early; expected SLOs(), SLOsBy(i), not or ( (column 10)`,
    );
  });

  it("exits 2 with one clear line and a hint when the file is missing", async () => {
    const empty = join(dir, "empty-dir");
    await mkdir(empty);
    expect(await run(["validate"], empty)).toEqual({
      code: 2,
      out: [],
      err: [
        "Error: cannot read experiment experiment.yaml: no such file",
        "Hint: iter8 hub -e load-test fetches an example experiment",
      ],
    });
  });

  it("refuses a 10 MiB file and an alias bomb with a clear message", async () => {
    const big = await inDir("big", "- run: echo hello world\n".repeat(440_000));
    expect(await run(["validate"], big)).toEqual({
      code: 2,
      out: [],
      err: [
        "experiment.yaml: refused: the file is 10.1 MiB; iter8 reads files smaller than 10 MiB",
        "experiment.yaml is invalid: 1 problem",
      ],
    });
    const levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++)
      levels.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(",")}]`,
      );
    const bomb = await inDir("bomb", `${levels.join("\n")}\n`);
    expect((await run(["validate"], bomb)).err[0]).toBe(
      "experiment.yaml:1:1: refused: YAML aliases expand this document by more than 100000 nodes",
    );
  });

  it.each([
    [
      "an if: with 10k nested parentheses",
      `- run: echo hi\n  if: "${"(".repeat(10_000)}SLOs()${")".repeat(10_000)}"\n`,
      "the condition nests deeper than 64 levels; simplify it",
    ],
    [
      "connections: 1e6",
      "- task: http\n  with:\n    url: http://127.0.0.1:8080/\n    connections: 1e6\n",
      "connections 1000000 is too many: at most 10000 per version",
    ],
    [
      "duration: 600h",
      "- task: http\n  with:\n    url: http://127.0.0.1:8080/\n    duration: 600h\n",
      'duration "600h" is too long: at most 168h (7 days)',
    ],
    [
      "a header value with NUL",
      '- task: http\n  with:\n    url: http://127.0.0.1:8080/\n    headers:\n      X-A: "a\\0b"\n',
      "found U+0000 (NUL) at character 2",
    ],
  ])("refuses %s as invalid input: exit 2, one problem line", async (_what, text, message) => {
    const cwd = await inDir(`bounds-${_what.replace(/\W+/g, "-")}`, text);
    const result = await run(["validate"], cwd);
    expect(result.code).toBe(2);
    expect(result.err).toHaveLength(2);
    expect(result.err[0]).toContain(message);
    expect(result.err[0]?.length).toBeLessThan(400);
    expect(result.err[1]).toBe("experiment.yaml is invalid: 1 problem");
  });

  describe("on every invalid fixture of @iter8/spec", async () => {
    const files = (await readdir(join(specFixtures, "invalid"))).filter((f) => f.endsWith(".yaml"));
    it.each(files)("%s: exit 2, exactly one problem line", async (file) => {
      const path = join(specFixtures, "invalid", file);
      const result = await run(["validate", "-f", path], dir);
      expect(result.code).toBe(2);
      expect(result.out).toEqual([]);
      const problems = result.err.filter((line) => !line.startsWith("warning: "));
      expect(problems).toHaveLength(2);
      expect(problems[0]).toMatch(new RegExp(`^${escape(path)}(:\\d+:\\d+)?: \\S`));
      expect(problems[1]).toBe(`${path} is invalid: 1 problem`);
    });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
