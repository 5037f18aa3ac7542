import { describe, expect, it } from "vitest";
import { parseExperiment } from "../src/index.js";

/** proxymetrics (with `versions` when given), assess with SLOs and a reward, then `if: <condition>`. */
function experiment(versions: string | undefined, condition: string): string {
  return [
    "- task: proxymetrics",
    "  with:",
    "    admin: http://127.0.0.1:9901",
    ...(versions === undefined ? [] : [`    versions: ${versions}`]),
    "- task: assess-app-versions",
    "  with:",
    "    SLOs: [{metric: built-in/error-rate, upperLimit: 0.01}]",
    "    rewards: [{metric: built-in/mean-latency, preferredDirection: low}]",
    "- run: echo promote",
    `  if: ${condition}`,
  ].join("\n");
}

function messages(yaml: string): string[] {
  const parsed = parseExperiment(yaml);
  return parsed.ok ? [] : parsed.issues.map((i) => `${i.path}: ${i.message}`);
}

describe("version indexes of conditions when proxymetrics names the versions", () => {
  it.each(["SLOsBy(0)", "SLOsBy(2)", "Winner(1)", "Winner(2)", "SLOsBy(0) and not SLOsBy(2)"])(
    "accepts %s with three versions",
    (condition) => {
      expect(messages(experiment("[v1, v2, v3]", condition))).toEqual([]);
    },
  );

  it.each([
    [
      "SLOsBy(3)",
      "SLOsBy(3) refers to version 3, but the experiment has 3 versions (indexes 0 to 2)",
    ],
    [
      "Winner(3)",
      "Winner(3) refers to version 3, but the experiment has 3 versions (indexes 0 to 2)",
    ],
  ])("rejects %s with three versions, in one line", (condition, message) => {
    expect(messages(experiment("[v1, v2, v3]", condition))).toEqual([`[2].if: ${message}`]);
  });

  it("rejects SLOsBy(1) with one version", () => {
    expect(messages(experiment("[v1]", "SLOsBy(1)"))).toEqual([
      "[2].if: SLOsBy(1) refers to version 1, but the experiment has 1 version (index 0)",
    ]);
  });

  it("does not reject an index when the versions come from the proxy's routing at run time", () => {
    expect(messages(experiment(undefined, "SLOsBy(5)"))).toEqual([]);
  });
});
