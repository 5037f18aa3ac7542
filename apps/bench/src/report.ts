// Renders results as the console table and as Markdown (pasted into README.md).
import { GAP_MS } from "./host-noise.js";
import { pacedRateNote } from "./proxy-rate.js";
import type { GeneratorName } from "./generators.js";
import type { BenchResults, CoResult, RateCase } from "./results.js";
import { ratio } from "./stats.js";
import { workersSection } from "./workers.js";

/** A titled table. */
export interface Section {
  /** Heading. */
  title: string;
  /** Column headers. */
  headers: string[];
  /** Rows of cells. */
  rows: string[][];
}

function num(value: number | undefined, digits = 0): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function pct(value: number | undefined, digits = 1): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  return `${value >= 0 ? "+" : ""}${(value * 100).toFixed(digits)}%`;
}

function times(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}x` : "n/a";
}

/** Builds the sections shown for a result set. */
export function buildSections(results: BenchResults): Section[] {
  const sections: Section[] = [];
  const runs = results.config.runs;
  if (results.throughput.length > 0) {
    sections.push({
      title: `Max throughput against nginx (req/s, median of ${runs} x ${results.config.durationS} s)`,
      headers: [
        "connections",
        "iter8 (runner)",
        "iter8 run (CLI)",
        "autocannon",
        "wrk",
        "runner/autocannon",
        "CLI/autocannon",
        "iter8/wrk",
        "CPU µs/req runner / CLI / ac / wrk",
      ],
      rows: results.throughput.map((c) => {
        const g = c.generators;
        return [
          String(c.connections),
          num(g.iter8?.rate),
          num(g["iter8-cli"]?.rate),
          num(g.autocannon?.rate),
          num(g.wrk?.rate),
          times(c.ratios.iter8VsAutocannon),
          times(c.ratios.iter8CliVsAutocannon ?? Number.NaN),
          times(c.ratios.iter8VsWrk),
          [g.iter8, g["iter8-cli"], g.autocannon, g.wrk]
            .map((s) => num(s?.cpuUsPerRequest, 1))
            .join(" / "),
        ];
      }),
    });
    sections.push({
      title: "Peak RSS of each generator (MiB, GNU time %M)",
      headers: [
        "connections",
        "iter8 (runner)",
        "iter8 run (CLI)",
        "autocannon",
        "wrk",
        "runner/autocannon",
        "CLI/autocannon",
      ],
      rows: results.throughput.map((c) => {
        const g = c.generators;
        return [
          String(c.connections),
          num(g.iter8?.peakRssMb, 1),
          num(g["iter8-cli"]?.peakRssMb, 1),
          num(g.autocannon?.peakRssMb, 1),
          num(g.wrk?.peakRssMb, 1),
          times(ratio(g.iter8?.peakRssMb, g.autocannon?.peakRssMb)),
          times(ratio(g["iter8-cli"]?.peakRssMb, g.autocannon?.peakRssMb)),
        ];
      }),
    });
    sections.push({
      title: "#20 targets for `iter8 run` (same runs)",
      headers: [
        "connections",
        "req/s vs autocannon (>= 1.3x)",
        "peak RSS vs autocannon (<= 1x)",
        "CPU/req vs wrk (<= 1.5x)",
      ],
      rows: results.throughput.map((c) => {
        const g = c.generators;
        return [
          String(c.connections),
          times(ratio(g["iter8-cli"]?.rate, g.autocannon?.rate)),
          times(ratio(g["iter8-cli"]?.peakRssMb, g.autocannon?.peakRssMb)),
          times(ratio(g["iter8-cli"]?.cpuUsPerRequest, g.wrk?.cpuUsPerRequest)),
        ];
      }),
    });
  }
  if (results.rate.length > 0) {
    sections.push(
      rateSection(
        results.rate,
        `Fixed rate against the Node target, ${results.rate[0]?.connections ?? "?"} connections (median of ${runs} x ${results.config.durationS} s; server-side from ${results.config.warmupMs / 1000} s after the first arrival, the warm-up left out)`,
      ),
    );
  }
  if (results.rss) {
    const r = results.rss;
    sections.push({
      title: `iter8 RSS stability (unpaced, ${r.connections} connections, nginx; median of ${runs})`,
      headers: [`RSS at ${r.earlyS} s (MiB)`, `RSS at ${r.durationS} s (MiB)`, "growth (MiB)"],
      rows: [[num(r.earlyMb, 1), num(r.lateMb, 1), num(r.growthMb, 1)]],
    });
  }
  if (results.co) {
    const co = results.co;
    sections.push(
      coSection(
        co,
        `Coordinated omission: stall ${co.stall.stallMs} ms of every ${co.stall.periodMs} ms, paced at ${co.rate}/s, ${co.connections} connections (ms, median of ${runs})`,
      ),
    );
  }
  if (results.proxy) {
    const p = results.proxy;
    sections.push({
      title: `Traffic proxy vs nginx reverse proxy, same Node upstream (medians of ${p.rounds} rounds; the ratio and "added" are paired within each round; peak: wrk, ${p.connections} connections; paced: iter8 at ${num(p.pacedRate)}/s${pacedRateNote(p.pacedRateChoice)}, ${p.pacing} pacing, ${p.pacedConnections} connections)`,
      headers: [
        "path",
        "peak req/s",
        "proxy CPU µs/req",
        "paced p50 ms",
        "paced p99 ms",
        "added p50 ms",
      ],
      rows: [
        [
          "direct to upstream",
          "-",
          "-",
          num(p.paced.direct.p50Ms, 3),
          num(p.paced.direct.p99Ms, 3),
          "-",
        ],
        [
          "nginx (proxy_pass)",
          num(p.peak.nginx.rate),
          num(p.proxyCpuUsPerRequest.nginx, 1),
          num(p.paced.nginx.p50Ms, 3),
          num(p.paced.nginx.p99Ms, 3),
          num(p.addedMedianMs.nginx, 3),
        ],
        [
          `iter8 traffic proxy (${times(p.throughputRatio)} nginx)`,
          num(p.peak.iter8.rate),
          `${num(p.proxyCpuUsPerRequest.iter8, 1)} (${times(p.cpuRatio)} nginx)`,
          num(p.paced.iter8.p50Ms, 3),
          num(p.paced.iter8.p99Ms, 3),
          num(p.addedMedianMs.iter8, 3),
        ],
      ],
    });
    const n = p.nginxUpstream;
    sections.push({
      title: `Traffic proxy vs nginx reverse proxy, same nginx upstream (return 200 "ok"; medians of ${p.rounds} rounds, the ratios paired within each round; wrk, ${p.connections} connections)`,
      headers: ["proxy", "peak req/s", "proxy CPU µs/req"],
      rows: [
        ["nginx (proxy_pass)", num(n.peak.nginx.rate), num(n.proxyCpuUsPerRequest.nginx, 1)],
        [
          `iter8 traffic proxy (${times(n.throughputRatio)} nginx)`,
          num(n.peak.iter8.rate),
          `${num(n.proxyCpuUsPerRequest.iter8, 1)} (${times(n.cpuRatio)} nginx)`,
        ],
      ],
    });
  }
  if (results.grpc) sections.push(...grpcSections(results));
  if (results.workers) sections.push(workersSection(results.workers, runs));
  const noise = results.machine.hostNoise;
  if (noise) {
    sections.push({
      title: `What the host took from each core (a spin probe before and after the scenarios; gaps over ${GAP_MS} ms between clock reads)`,
      headers: ["core", "lost before", "max gap before", "lost after", "max gap after"],
      rows: noise.start.map((before) => {
        const after = noise.end.find((n) => n.core === before.core);
        return [
          String(before.core),
          pct(before.lostShare, 1).replace("+", ""),
          `${num(before.maxGapMs, 1)} ms`,
          pct(after?.lostShare ?? Number.NaN, 1).replace("+", ""),
          `${num(after?.maxGapMs ?? Number.NaN, 1)} ms`,
        ];
      }),
    });
  }
  if (results.targets.length > 0) {
    sections.push({
      title: "Targets",
      headers: ["check", "target", "measured", "result"],
      rows: results.targets.map((t) => [
        t.name,
        t.target,
        t.value,
        t.pass === null ? "not measured" : t.pass ? "met" : "MISSED",
      ]),
    });
  }
  return sections;
}

function rateSection(cases: readonly RateCase[], title: string): Section {
  const rows: string[][] = [];
  for (const c of cases) {
    for (const name of ["iter8", "autocannon"] as GeneratorName[]) {
      const s = c.generators[name];
      if (s === undefined) continue;
      rows.push([
        num(c.targetRate),
        name,
        `${num(s.rate)} (${pct(s.rateError, 2)})`,
        `${num(s.serverRate)} (${pct(s.serverRateError, 2)})`,
        pct(s.worstWindowDeviation),
        s.dispatchLagP50Ms === undefined
          ? "-"
          : `${num(s.dispatchLagP50Ms, 3)} / ${num(s.dispatchLagP99Ms, 3)}`,
        `${num(s.p50Ms, 2)} / ${num(s.p99Ms, 2)}`,
        num(s.cpuUsPerRequest, 1),
      ]);
    }
  }
  return {
    title,
    headers: [
      "target/s",
      "generator",
      "achieved (own)",
      "achieved (server)",
      "worst 100 ms window",
      "dispatch lag p50/p99 ms",
      "latency p50/p99 ms",
      "CPU µs/req",
    ],
    rows,
  };
}

function coSection(co: CoResult, title: string): Section {
  const rows: string[][] = [
    ["analytic", ...Object.values(co.analyticMs).map((v) => num(v, 0)), "-"],
  ];
  for (const [name, g] of Object.entries(co.generators)) {
    rows.push([
      name,
      ...Object.keys(co.analyticMs).map(
        (k) => `${num(g.percentilesMs[k], 1)}${g.within[k] ? "" : " ✗"}`,
      ),
      g.okRuns > 0 ? String(Object.values(g.within).every(Boolean)) : "n/a",
    ]);
  }
  return { title, headers: ["", ...Object.keys(co.analyticMs), "all within 10%"], rows };
}

function grpcSections(results: BenchResults): Section[] {
  const grpc = results.grpc;
  if (grpc === undefined) return [];
  const runs = results.config.runs;
  const sections: Section[] = [];
  if (grpc.throughput.length > 0) {
    sections.push({
      title: `gRPC unary max throughput against nginx over h2c (calls/s, median of ${runs} x ${results.config.durationS} s)`,
      headers: [
        "connections x streams",
        "iter8",
        "grpc-js",
        "h2load",
        "iter8/grpc-js",
        "iter8/h2load",
        "CPU µs/call iter8 / grpc-js / h2load",
      ],
      rows: grpc.throughput.map((c) => {
        const g = c.generators;
        return [
          `${c.connections} x ${c.concurrency / c.connections}`,
          num(g.iter8?.rate),
          num(g["grpc-js"]?.rate),
          num(g.h2load?.rate),
          times(c.ratios.iter8VsGrpcJs),
          times(c.ratios.iter8VsH2load),
          [g.iter8, g["grpc-js"], g.h2load].map((s) => num(s?.cpuUsPerRequest, 1)).join(" / "),
        ];
      }),
    });
    sections.push({
      title:
        "gRPC: peak RSS of each generator (MiB, GNU time %M) and nginx's CPU use during its runs (share of its core)",
      headers: [
        "connections x streams",
        "RSS iter8",
        "RSS grpc-js",
        "RSS h2load",
        "nginx busy with iter8 / grpc-js / h2load",
      ],
      rows: grpc.throughput.map((c) => {
        const g = c.generators;
        return [
          `${c.connections} x ${c.concurrency / c.connections}`,
          num(g.iter8?.peakRssMb, 1),
          num(g["grpc-js"]?.peakRssMb, 1),
          num(g.h2load?.peakRssMb, 1),
          (["iter8", "grpc-js", "h2load"] as const)
            .map((n) => pct(c.targetBusy[n], 0).replace("+", ""))
            .join(" / "),
        ];
      }),
    });
  }
  if (grpc.rate.length > 0) {
    const c = grpc.rate[0];
    sections.push(
      rateSection(
        grpc.rate,
        `gRPC unary at a fixed rate against the Node gRPC target, ${c?.connections ?? "?"} connection(s), ${c?.concurrency ?? "?"} in flight at most (median of ${runs} x ${results.config.durationS} s; server-side from ${results.config.warmupMs / 1000} s after the first arrival)`,
      ),
    );
  }
  if (grpc.co) {
    const co = grpc.co;
    sections.push(
      coSection(
        co,
        `gRPC coordinated omission: stall ${co.stall.stallMs} ms of every ${co.stall.periodMs} ms, paced at ${co.rate}/s, ${co.connections} connection(s), ${co.concurrency ?? "?"} in flight at most (ms, median of ${runs})`,
      ),
    );
  }
  return sections;
}

function pad(cell: string, width: number): string {
  return cell + " ".repeat(Math.max(0, width - [...cell].length));
}

/** Renders sections as aligned plain-text tables. */
export function renderText(sections: readonly Section[]): string {
  const out: string[] = [];
  for (const s of sections) {
    const widths = s.headers.map((h, i) =>
      Math.max([...h].length, ...s.rows.map((r) => [...(r[i] ?? "")].length)),
    );
    out.push(s.title);
    out.push("  " + s.headers.map((h, i) => pad(h, widths[i] ?? 0)).join("  "));
    out.push("  " + widths.map((w) => "-".repeat(w)).join("  "));
    for (const row of s.rows) out.push("  " + row.map((c, i) => pad(c, widths[i] ?? 0)).join("  "));
    out.push("");
  }
  return out.join("\n");
}

/** Renders sections as Markdown tables. */
export function renderMarkdown(sections: readonly Section[]): string {
  const out: string[] = [];
  for (const s of sections) {
    out.push(`**${s.title}**`, "");
    out.push(`| ${s.headers.join(" | ")} |`);
    out.push(`|${s.headers.map(() => "---").join("|")}|`);
    for (const row of s.rows) out.push(`| ${row.join(" | ")} |`);
    out.push("");
  }
  return out.join("\n");
}
