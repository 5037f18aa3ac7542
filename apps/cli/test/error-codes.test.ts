import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENGINE_ERROR_CODES, ENGINE_ERROR_KINDS } from "@iter8/engine";
import { LOADGEN_ERROR_CODES, LOADGEN_ERROR_KINDS } from "@iter8/loadgen";
import { PROVIDER_ERROR_CODES, PROVIDER_ERROR_KINDS } from "@iter8/providers";
import { REPORT_ERROR_CODES, REPORT_ERROR_KINDS } from "@iter8/report";
import { SLO_ERROR_CODES, SLO_ERROR_KINDS } from "@iter8/slo";
import { ERROR_KINDS, SPEC_ERROR_CODES, SPEC_ERROR_KINDS } from "@iter8/spec";
import {
  ABN_ERROR_CODES,
  ABN_ERROR_KINDS,
  ASSIGNMENT_ERROR_CODES,
  ASSIGNMENT_ERROR_KINDS,
  TRAFFIC_ERROR_CODES,
  TRAFFIC_ERROR_KINDS,
} from "@iter8/traffic";
import { DEMO_APP_ERROR_CODES, DEMO_APP_ERROR_KINDS } from "@iter8/demo-app";
import { GRPC_ERROR_CODES, GRPC_ERROR_KINDS } from "@iter8/grpc";
import { CLI_ERROR_CODES, CLI_ERROR_KINDS } from "../src/errors.js";

// Every error class's code list and its table of kinds, as each package exports them.
const CLASSES: Array<[string, Record<string, string>, Readonly<Record<string, string>>]> = [
  ["SpecError", SPEC_ERROR_CODES, SPEC_ERROR_KINDS],
  ["ProviderError", PROVIDER_ERROR_CODES, PROVIDER_ERROR_KINDS],
  ["LoadgenError", LOADGEN_ERROR_CODES, LOADGEN_ERROR_KINDS],
  ["GrpcError", GRPC_ERROR_CODES, GRPC_ERROR_KINDS],
  ["SloError", SLO_ERROR_CODES, SLO_ERROR_KINDS],
  ["ReportError", REPORT_ERROR_CODES, REPORT_ERROR_KINDS],
  ["TrafficError", TRAFFIC_ERROR_CODES, TRAFFIC_ERROR_KINDS],
  ["AbnError", ABN_ERROR_CODES, ABN_ERROR_KINDS],
  ["AssignmentError", ASSIGNMENT_ERROR_CODES, ASSIGNMENT_ERROR_KINDS],
  ["EngineError", ENGINE_ERROR_CODES, ENGINE_ERROR_KINDS],
  ["UsageError", CLI_ERROR_CODES, CLI_ERROR_KINDS],
  ["DemoAppListenError, DemoAppOptionError", DEMO_APP_ERROR_CODES, DEMO_APP_ERROR_KINDS],
];

const KINDS: string[] = Object.values(ERROR_KINDS);
// Names of the ITER8_ form that are not error codes: environment variables iter8 reads.
const ENVIRONMENT_VARIABLES = new Set(["ITER8_PROXY_TOKEN"]);
const CLASSIFIED = new Map(CLASSES.flatMap(([, , kinds]) => Object.entries(kinds)));

const ROOT = join(import.meta.dirname, "..", "..", "..");
// The sources whose errors reach embedders or the CLI: every package, and the CLI itself.
// (apps/bench is a private harness whose errors never reach either.)
const SOURCE_DIRS = [
  ...readdirSync(join(ROOT, "packages")).map((name) => join(ROOT, "packages", name, "src")),
  join(ROOT, "apps", "cli", "src"),
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
    .map((e) => join(e.parentPath, e.name));
}

describe("error codes and their kinds", () => {
  it.each(CLASSES)("%s classifies each of its codes, and nothing else", (_name, codes, kinds) => {
    expect(Object.keys(kinds).sort()).toEqual(Object.values(codes).sort());
    for (const kind of Object.values(kinds)) expect(KINDS).toContain(kind);
  });

  it("names every code ITER8_<AREA>_<WHAT>, each code in one class only", () => {
    const all = CLASSES.flatMap(([, codes]) => Object.values(codes));
    for (const code of all) expect(code).toMatch(/^ITER8_[A-Z0-9]+(_[A-Z0-9]+)+$/);
    expect(new Set(all).size).toBe(all.length);
  });

  it("classifies every ITER8_ code named anywhere in the packages' and the CLI's sources", () => {
    const files = SOURCE_DIRS.flatMap(sourceFiles);
    const unclassified: string[] = [];
    const seen = new Set<string>();
    for (const file of files) {
      for (const [code] of readFileSync(file, "utf8").matchAll(/ITER8_[A-Z0-9_]+/g)) {
        seen.add(code);
        if (ENVIRONMENT_VARIABLES.has(code)) continue;
        if (!CLASSIFIED.has(code)) unclassified.push(`${file.slice(ROOT.length + 1)}: ${code}`);
      }
    }
    expect(unclassified).toEqual([]);
    // The scan read the real sources (not an empty folder): codes of several packages turned up.
    expect(files.length).toBeGreaterThan(50);
    for (const code of ["ITER8_SPEC_INVALID", "ITER8_TRAFFIC_RENDER", "ITER8_CLI_USAGE"]) {
      expect(seen).toContain(code);
    }
  });
});
