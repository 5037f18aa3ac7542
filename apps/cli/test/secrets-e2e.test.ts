// A metrics backend that echoes the request head in its error answers must not get any
// credential into what iter8 writes or prints: result.yaml, `iter8 run` and `iter8 assert` output,
// the text/markdown/json/html reports, and the rollout log and its decisions file. Every auth
// kind a provider spec knows × every error shape × every output, against a real backend on
// 127.0.0.1, through main() as a user runs it.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { IncomingMessage, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadResult, parseRoutingOrThrow } from "@iter8/spec";
import { startTrafficProxy } from "@iter8/traffic";
import { startDemoApp } from "@iter8/demo-app";
import type { DemoApp } from "@iter8/demo-app";
import { main } from "../src/main.js";
import type { CliIO } from "../src/io.js";

// Secrets with characters that URL, form, JSON and HTML encodings change, so an echo in any of
// those forms is caught too.
const TOKEN = "tok/9f3K+q2xZ7wLm=vR4";
const USER = "iter8-reader";
const PASSWORD = 'pw:7Gx&Zq<2>"mK9';
const API_KEY = "key+9Qz/Lm3Xw7Rt&ab";
const PARAM_KEY = "qk+4Hs/Tn8Vd2Lp=Jy";
const HEADER_TOKEN = "hdr/6Wb+Yc1Mf5Ks=Nq";
const FORGED = "1999-01-01T00:00:00.000Z promote  100%  FORGED by the backend";

/** An auth kind: how the template authenticates, and the secrets that must never show. */
interface AuthKind {
  name: string;
  /** Template lines after `url:` (auth: or headers:). */
  head: string;
  /** Extra query parameter lines of every metric. */
  param: string;
  env: Record<string, string>;
  values: Record<string, string>;
  /** Secrets, checked in every encoded form and by every 8-character piece. */
  secrets: string[];
  /** Checked only whole, in every encoded form (they contain a non-secret user name). */
  whole: string[];
}

const basic = Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
const KINDS: AuthKind[] = [
  {
    name: "bearer token (auth.type bearer)",
    head: "auth:\n  type: bearer\n  token: {env: SECRET_TOKEN}\n",
    param: "",
    env: { SECRET_TOKEN: TOKEN },
    values: {},
    secrets: [TOKEN],
    whole: [],
  },
  {
    name: "basic user:password (auth.type basic)",
    head: `auth:\n  type: basic\n  username: ${USER}\n  password: {env: SECRET_PASSWORD}\n`,
    param: "",
    env: { SECRET_PASSWORD: PASSWORD },
    values: {},
    secrets: [PASSWORD, basic],
    whole: [`${USER}:${PASSWORD}`],
  },
  {
    name: "API-key header (auth.type apiKey)",
    head: "auth:\n  type: apiKey\n  header: X-Api-Key\n  key: {env: SECRET_KEY}\n",
    param: "",
    env: { SECRET_KEY: API_KEY },
    values: {},
    secrets: [API_KEY],
    whole: [],
  },
  {
    name: "API-key query parameter (templated)",
    head: "",
    param: '  - name: api_key\n    value: "{{ .apiKey }}"\n',
    env: {},
    values: { apiKey: PARAM_KEY },
    secrets: [PARAM_KEY],
    whole: [],
  },
  {
    name: "Authorization header (templated)",
    head: 'headers:\n  Authorization: "Bearer {{ .token }}"\n',
    param: "",
    env: {},
    values: { token: HEADER_TOKEN },
    secrets: [HEADER_TOKEN],
    whole: [],
  },
];

const htmlEscape = (s: string) =>
  s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");

/** The request's headers, credentials first, so that they fall inside the 200-char snippet. */
function headers(req: IncomingMessage): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    pairs.push([req.rawHeaders[i] ?? "", req.rawHeaders[i + 1] ?? ""]);
  }
  const credential = (name: string) => (/auth|key/i.test(name) ? 0 : 1);
  return pairs.sort((a, b) => credential(a[0]) - credential(b[0]));
}

/** The request head as a backend would echo it: request line and every header. */
function requestHead(req: IncomingMessage): string {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (const [name, value] of headers(req)) lines.push(`${name}: ${value}`);
  return lines.join("\r\n");
}

/** Headers as Go's http.Header marshals them. */
function headerMap(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of headers(req)) (out[name] ??= []).push(value);
  return out;
}

/** Each way a backend may answer an error, with the request head in it. */
const SHAPES = {
  "prometheus-json": (req) => ({
    status: 400,
    type: "application/json",
    body: JSON.stringify({
      status: "error",
      errorType: "bad_data",
      error: `invalid request: ${requestHead(req)}`,
    }),
  }),
  "json-headers": (req) => ({
    status: 401,
    type: "application/json",
    body: JSON.stringify({
      message: "unauthorized",
      request: { method: req.method, url: req.url, headers: headerMap(req) },
    }),
  }),
  "plain-text": (req) => ({ status: 403, type: "text/plain", body: requestHead(req) }),
  html: (req) => ({
    status: 500,
    type: "text/html",
    body: `<html><body><h1>Internal Server Error</h1><pre>${htmlEscape(requestHead(req))}</pre></body></html>`,
  }),
  // The first secret straddles the end of the 200-character snippet; it appears again after 2 MB.
  huge: (req) => {
    const head = requestHead(req);
    const credential = /(?:authorization: (?:Bearer|Basic) |x-api-key: |api_key=)/i.exec(head);
    const start = credential ? credential.index + credential[0].length : 0;
    const pad = "e".repeat(Math.max(0, 196 - start));
    return {
      status: 400,
      type: "text/plain",
      body: `${pad}${head}${"z".repeat(2_000_000)}${head}`,
    };
  },
  "control-chars": (req) => ({
    status: 400,
    type: "text/plain",
    body: `bad request\r\n${FORGED}\n\u001b[31m${requestHead(req).replaceAll("\r\n", "\n\u001b[2K")}\u001b[0m\u2028`,
  }),
  "5xx-json": (req) => ({
    status: 503,
    type: "application/json",
    body: JSON.stringify({
      status: "error",
      errorType: "unavailable",
      error: `overloaded\n${requestHead(req)}`,
    }),
  }),
  "malformed-json": (req) => ({
    status: 400,
    type: "application/json",
    body: `{"status":"error","errorType":"bad_data","error":"${requestHead(req).replaceAll("\r\n", "\\r\\n")}`,
  }),
} satisfies Record<
  string,
  (req: IncomingMessage) => { status: number; type: string; body: string }
>;
type Shape = keyof typeof SHAPES;
const SHAPE_NAMES = Object.keys(SHAPES) as Shape[];

/** Every form of every secret found in `text` (empty when nothing leaks). */
function leaks(text: string, kind: AuthKind): string[] {
  const found: string[] = [];
  const forms = (s: string) => [
    s,
    encodeURIComponent(s),
    new URLSearchParams({ s }).toString().slice(2),
    JSON.stringify(s).slice(1, -1),
    htmlEscape(s),
  ];
  for (const secret of [...kind.secrets, ...kind.whole]) {
    for (const form of forms(secret)) if (text.includes(form)) found.push(form);
  }
  for (const secret of kind.secrets) {
    for (let i = 0; i + 8 <= secret.length; i++) {
      const piece = secret.slice(i, i + 8);
      if (text.includes(piece)) found.push(piece);
    }
  }
  return found;
}

let server: Server;
let backendUrl: string;
/** The bodies the backend sent, per shape, to show that each one did carry the secret. */
const sent = new Map<Shape, string>();
let app: DemoApp;
let work: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const query = new URL(req.url ?? "/", "http://127.0.0.1").searchParams.get("query") ?? "";
    const shape = SHAPES[query as Shape] as
      | ((r: IncomingMessage) => {
          status: number;
          type: string;
          body: string;
        })
      | undefined;
    if (!shape) {
      res.writeHead(404).end();
      return;
    }
    const answer = shape(req);
    sent.set(query as Shape, answer.body);
    res.writeHead(answer.status, { "content-type": answer.type });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  backendUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app = await startDemoApp({ port: 0, versions: [{ name: "v1" }, { name: "v2" }], seed: 3 });
  work = await mkdtemp(join(tmpdir(), "iter8-secrets-"));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await app.close();
  await rm(work, { recursive: true, force: true });
});

function template(kind: AuthKind): string {
  const metrics = SHAPE_NAMES.map(
    (shape) => `- name: ${shape}
  type: gauge
  params:
  - name: query
    value: ${shape}
${kind.param}  jqExpression: .data.result[0].value[1] | tonumber
`,
  ).join("");
  return `url: {{ .url }}/api/v1/query
method: GET
${kind.head}timeout: 10s
retries: 0
metrics:
${metrics}`;
}

const SLOS = SHAPE_NAMES.map((s) => `  - {metric: backend/${s}, upperLimit: 1}`).join("\n");

async function iter8(args: string[], cwd: string, env: Record<string, string>) {
  let out = "";
  let err = "";
  const io: CliIO = {
    out: (text) => (out += text.endsWith("\n") ? text : `${text}\n`),
    err: (text) => (err += `${text}\n`),
    progress: () => {},
  };
  const code = await main(args, { cwd, io, env: { ...env, NO_COLOR: "1", ITER8HUB: "" } });
  return { code, out, err };
}

describe("a backend's error answers never leak a credential", () => {
  it.each(KINDS.map((k, i) => [k.name, i] as const))(
    "%s: result.yaml, run, assert, every report and the rollout log",
    async (_name, index) => {
      const kind = KINDS[index] as AuthKind;
      const dir = await mkdtemp(join(work, "kind-"));
      await writeFile(join(dir, "backend.tpl"), template(kind));
      const values = JSON.stringify({ url: backendUrl, ...kind.values });
      await writeFile(
        join(dir, "experiment.yaml"),
        `- task: custommetrics
  with:
    templates: {backend: backend.tpl}
    values: ${values}
- task: assess-app-versions
  with:
    SLOs:
${SLOS.replaceAll("  - ", "      - ")}
`,
      );
      sent.clear();

      const outputs: Record<string, string> = {};
      const run = await iter8(["run"], dir, kind.env);
      outputs["iter8 run"] = run.out + run.err;
      expect(run.code, run.err).toBe(0);
      outputs["result.yaml"] = await readFile(join(dir, "result.yaml"), "utf8");

      // Each shape reached the backend and its answer did carry the secret: the test can fail.
      expect([...sent.keys()].sort()).toEqual([...SHAPE_NAMES].sort());
      for (const [shape, body] of sent) expect(leaks(body, kind), shape).not.toEqual([]);

      const result = await loadResult(join(dir, "result.yaml"));
      const problems = result.insights?.metricProblems?.[0] ?? {};
      for (const shape of SHAPE_NAMES) {
        const reason = problems[`backend/${shape}`]?.reason ?? "";
        expect(reason, shape).toMatch(/^(Prometheus error|HTTP \d{3})/);
        // One line, no control characters, bounded length, and redaction visible where the
        // echo starts early enough to survive the cut.
        // eslint-disable-next-line no-control-regex
        expect(reason, shape).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        expect(reason.length, shape).toBeLessThanOrEqual(500);
        if (shape !== "huge") expect(reason, shape).toContain("***");
      }
      expect(problems["backend/huge"]?.reason).toMatch(/… \(truncated\)$/);

      const assert = await iter8(["assert", "-c", "slos"], dir, kind.env);
      expect(assert.code).toBe(1);
      outputs["iter8 assert"] = assert.out + assert.err;
      expect(outputs["iter8 assert"]).toContain("backend/prometheus-json");
      for (const format of ["text", "markdown", "json", "html"] as const) {
        const report = await iter8(["report", "-o", format], dir, kind.env);
        expect(report.code, report.err).toBe(0);
        outputs[`${format} report`] = report.out + report.err;
      }

      // The rollout loop queries the same backend at its check and logs why the check failed.
      const proxy = await startTrafficProxy({
        routing: parseRoutingOrThrow(
          `versions:
  - {name: v1, url: "${app.urls[0]}"}
  - {name: v2, url: "${app.urls[1]}"}
routes:
  - name: default
    split: [{version: v1, weight: 100}]
`,
        ),
        port: 0,
        adminPort: 0,
      });
      try {
        await writeFile(
          join(dir, "rollout.yaml"),
          `admin: ${proxy.adminUrl}
baseline: v1
candidate: v2
steps: [50, 100]
interval: 100ms
failureLimit: 1
minRequests: 0
custommetrics:
  templates: {backend: backend.tpl}
  values: ${values}
SLOs:
${SLOS}
result: rollout-result.yaml
`,
        );
        const rollout = await iter8(["traffic", "rollout", "-f", "rollout.yaml"], dir, {
          ...kind.env,
          ITER8_PROXY_TOKEN: proxy.adminToken,
        });
        expect(rollout.code, rollout.err).toBe(1);
        outputs["rollout log"] = rollout.out + rollout.err;
        outputs["rollout result"] = await readFile(join(dir, "rollout-result.yaml"), "utf8");
        expect(rollout.out).toMatch(/ rollback .*backend\/prometheus-json/);
        // Every log line is iter8's own: a backend cannot start a line.
        for (const line of rollout.out.trimEnd().split("\n")) {
          expect(line).toMatch(/^(\d{4}-\d\d-\d\dT\S+ (start|advance|hold|rollback) |rollout )/);
        }
      } finally {
        await proxy.close();
      }

      for (const [output, text] of Object.entries(outputs)) {
        expect(leaks(text, kind), output).toEqual([]);
        expect(text, output).not.toContain("\u001b");
        expect(text, output).not.toMatch(/^1999-01-01/m);
      }
    },
    60_000,
  );
});
