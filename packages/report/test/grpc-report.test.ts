import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ExperimentResult } from "@iter8/spec";
import { renderReport } from "../src/render-report.js";
import type { ReportJson } from "../src/json-report.js";
import { buildReportModel } from "../src/report-model.js";

// Two gRPC versions: v0 unary with 2 Unavailable of 100 calls, v1 server streaming (4 replies a call).
const result = JSON.parse(
  readFileSync(fileURLToPath(new URL("fixtures/grpc-result.json", import.meta.url)), "utf8"),
) as ExperimentResult;

/** The text of the row of the responses table headed `label`, tags stripped. */
function responsesRow(page: string, label: string): string[] {
  const row = new RegExp(`<tr><th scope="row"[^>]*>${label}</th>(.*?)</tr>`).exec(page)?.[1];
  return [...(row ?? "").matchAll(/<td class="num">(.*?)<\/td>/g)].map((m) =>
    (m[1] ?? "").replace(/<[^>]+>/g, ""),
  );
}

describe("reports of a gRPC load", () => {
  it("text: judges the SLOs on grpc metrics and lists the gRPC metrics per version", () => {
    const text = renderReport(undefined, result, { format: "text" });
    expect(text).toMatch(/grpc\/error-rate <= 0\s*\|false\s*\|true/);
    expect(text).toMatch(/grpc\/latency\/p95\.0 <= 100\s*\|true\s*\|true/);
    expect(text).toMatch(/grpc\/status\/Unavailable\s*\|2\s*\|/);
    expect(text).toMatch(/grpc\/stream\/messages-received\s*\|unavailable\s*\|400/);
  });

  it("markdown: the same SLO verdicts", () => {
    const md = renderReport(undefined, result, { format: "markdown" });
    expect(md).toContain("grpc/error-rate");
    expect(md).toContain("grpc/latency/p95.0");
  });

  it("HTML: responses by gRPC status name, not as HTTP codes, with the stream figures", () => {
    const page = renderReport(undefined, result, { format: "html" });
    expect(page).not.toContain("HTTP 0");
    expect(page).not.toContain("HTTP 14");
    expect(responsesRow(page, "gRPC OK")).toEqual(["98 (98.0%)", "100 (100.0%)"]);
    expect(responsesRow(page, "gRPC Unavailable")).toEqual(["2 (2.0%)", "0 (0.0%)"]);
    expect(responsesRow(page, "stream messages sent / received")).toEqual([
      "unavailable",
      "100 / 400",
    ]);
    expect(responsesRow(page, "first message p50 / p99 / max \\(ms\\)")).toEqual([
      "unavailable",
      "1.25 / 3.50 / 4.75",
    ]);
  });

  it("JSON: carries the call kind, status names and stream figures per version", () => {
    const json = JSON.parse(renderReport(undefined, result, { format: "json" })) as ReportJson;
    expect(json.loads[0]?.grpc).toEqual({
      kind: "unary",
      statusNames: { OK: 98, Unavailable: 2 },
    });
    expect(json.loads[1]?.grpc?.streams).toMatchObject({
      messagesReceived: 400,
      receivedRate: 200,
    });
  });

  it("marks lower gRPC latency and error rate as better, and leaves counts unranked", () => {
    const model = buildReportModel(result, undefined);
    const row = (name: string) => model.metrics.find((m) => m.name === name);
    expect(row("grpc/latency/p95.0")).toMatchObject({ better: "lower", best: [0] });
    expect(row("grpc/error-rate")).toMatchObject({ better: "lower", best: [1] });
    expect(row("grpc/request-count")?.better).toBeUndefined();
    expect(row("grpc/status/OK")?.better).toBeUndefined();
    expect(row("grpc/stream/received-rate")?.better).toBe("higher");
  });

  it("draws the percentile curve through the grpc/latency/pX metrics", () => {
    const model = buildReportModel(result, undefined);
    expect(model.loads[0]?.percentiles).toContainEqual({ percentile: 95, latencyMs: 2.25 });
    expect(model.loads[1]?.percentiles).toContainEqual({ percentile: 0, latencyMs: 1.6 });
  });
});
