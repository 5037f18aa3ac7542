#!/usr/bin/env node
// CPU time per request of an https load, the lean HTTP/1.1 client against undici: nginx serves a
// 2-byte answer over TLS (a certificate made with openssl for the run), and each round runs
// `runLoad` (unpaced, keep-alive) in a fresh process per client, alternating lean/undici, so both
// see the same machine load. CPU is the load process's user + sys time (`process.cpuUsage`) from
// just before `runLoad` to just after, divided by the requests; medians are printed.
//
//   pnpm build && node scripts/tls-cpu.mjs [--rounds N] [--requests N] [--connections N]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const loadgen = join(root, "packages", "loadgen", "dist", "index.js");
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    requests: { type: "string", default: "20000" },
    connections: { type: "string", default: "10" },
  },
});
const rounds = Number(values.rounds);
const requests = Number(values.requests);
const connections = Number(values.connections);
for (const [name, value] of Object.entries({ rounds, requests, connections })) {
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`tls-cpu: --${name} wants a positive integer\n`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), "iter8-tls-cpu-"));
const openssl = (args) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
openssl(
  ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"].concat([
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
    "-days",
    "1",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
  ]),
);

const port = await new Promise((done) => {
  const probe = createServer().listen(0, "127.0.0.1", () => {
    const { port: free } = probe.address();
    probe.close(() => done(free));
  });
});
writeFileSync(
  join(dir, "nginx.conf"),
  `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  fastcgi_temp_path ${dir};
  uwsgi_temp_path ${dir};
  scgi_temp_path ${dir};
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${dir}/cert.pem;
    ssl_certificate_key ${dir}/key.pem;
    location / { return 200 "ok"; }
  }
}
`,
);
const nginx = spawn("nginx", ["-p", dir, "-c", join(dir, "nginx.conf")], { stdio: "inherit" });
await new Promise((done) => setTimeout(done, 500));

const child = `
import { readFileSync } from "node:fs";
const { runLoad } = await import(process.argv[1]);
const [url, client, n, c, ca] = process.argv.slice(2);
const options = { url, qps: 0, connections: Number(c), warmupMs: 0, timeoutMs: 60000,
  httpClient: client, tls: { ca: readFileSync(ca, "utf8") } };
await runLoad({ ...options, numRequests: 2000 });
const before = process.cpuUsage();
const result = await runLoad({ ...options, numRequests: Number(n) });
const cpu = process.cpuUsage(before);
if (result.statusCodes[200] !== Number(n)) throw new Error(JSON.stringify(result.statusCodes));
process.stdout.write(JSON.stringify({ us: (cpu.user + cpu.system) / Number(n), rate: result.achievedRate }));
`;
const url = `https://127.0.0.1:${port}/`;
const samples = { lean: [], undici: [] };
try {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["lean", "undici"] : ["undici", "lean"];
    for (const client of order) {
      const out = execFileSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          child,
          loadgen,
          url,
          client,
          String(requests),
          String(connections),
          join(dir, "cert.pem"),
        ],
        { encoding: "utf8" },
      );
      const { us, rate } = JSON.parse(out);
      samples[client].push(us);
      process.stdout.write(
        `round ${round + 1} ${client.padEnd(6)} ${us.toFixed(2)} µs CPU/request, ${Math.round(rate)} req/s\n`,
      );
    }
  }
} finally {
  nginx.kill();
  rmSync(dir, { recursive: true, force: true });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const lean = median(samples.lean);
const undici = median(samples.undici);
process.stdout.write(
  `median: lean ${lean.toFixed(2)} µs, undici ${undici.toFixed(2)} µs, lean/undici ${(lean / undici).toFixed(2)}\n`,
);
