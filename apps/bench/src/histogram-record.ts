// The CPU cost of recording one latency: iter8's LatencyHistogram.record (its own HdrHistogram)
// against the same method as it was on hdr-histogram-js 3.0.1. The load generator calls it once per
// request. See README.md ("Histogram recording").
//
//   node dist/histogram-record.js [--rounds R] [--records N]
//     Same process, variants alternating (the order rotates each round), R rounds of N records
//     each after one warm-up round; prints the median CPU time (user + sys) per record of each
//     and the median of the per-round ratios.
//   node dist/histogram-record.js --only "<variant>" --records N
//     Records N values with one variant and exits: run it under
//     `valgrind --tool=callgrind` for two values of N; the difference of the instruction counts
//     divided by the difference of N is the instructions per record, whatever the machine's load.
import { parseArgs } from "node:util";
import { RECORDING_VARIANTS, latencySamples, recordMany } from "./histogram-variants.js";
import type { RecordingVariantName } from "./histogram-variants.js";
import { median } from "./stats.js";

const USAGE =
  'usage: node dist/histogram-record.js [--rounds R] [--records N] | --only "<variant>" --records N';

function fail(message: string): never {
  process.stderr.write(`histogram-record: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    fail(`--${name} wants an integer >= 0, got "${text}"`);
  return value;
}

let options: { rounds: string; records: string; only?: string };
try {
  options = parseArgs({
    options: {
      rounds: { type: "string", default: "15" },
      records: { type: "string", default: "2000000" },
      only: { type: "string" },
    },
    strict: true,
  }).values;
} catch (error) {
  fail((error as Error).message);
}
const rounds = positiveInteger("rounds", options.rounds);
const records = positiveInteger("records", options.records);
const names = Object.keys(RECORDING_VARIANTS) as RecordingVariantName[];
const samples = latencySamples();

if (options.only !== undefined) {
  const name = names.find((n) => n === options.only);
  if (name === undefined) fail(`no variant "${options.only}"; one of: ${names.join(", ")}`);
  const h = recordMany(name, samples, records);
  process.stdout.write(`${name}: ${records} records, p99 ${h.percentile(99)} µs\n`);
} else {
  const nsPerRecord = new Map<RecordingVariantName, number[]>(names.map((n) => [n, []]));
  for (let round = -1; round < rounds; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + Math.max(round, 0)) % names.length]!;
      const before = process.cpuUsage();
      const h = recordMany(name, samples, records);
      const used = process.cpuUsage(before);
      if (!(h.percentile(50) > 0)) fail(`${name} recorded nothing`);
      if (round >= 0) nsPerRecord.get(name)!.push(((used.user + used.system) * 1000) / records);
    }
  }
  const [ours, before] = names.map((n) => nsPerRecord.get(n)!) as [number[], number[]];
  process.stdout.write(
    `CPU time (user + sys) per record, median of ${rounds} rounds of ${records} records, Node ${process.version}\n`,
  );
  for (const name of names) {
    process.stdout.write(`  ${name.padEnd(52)} ${median(nsPerRecord.get(name)!).toFixed(2)} ns\n`);
  }
  const ratios = ours.map((x, i) => x / before[i]!);
  process.stdout.write(
    `  ratio own / before (median of per-round ratios): ${median(ratios).toFixed(3)}\n`,
  );
}
