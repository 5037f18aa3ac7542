import type { IncomingHttpHeaders } from "node:http";
import { parseRoutingOrThrow } from "@iter8/spec";
import type { Routing } from "@iter8/spec";
import { Pool } from "undici";
import { startLoopbackServer } from "./http-servers.js";

/** A real HTTP server on 127.0.0.1 that answers with its name and remembers what it received. */
export interface Upstream {
  name: string;
  url: string;
  received: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

/** Options of a test upstream. */
export interface UpstreamOptions {
  /** Wait this long before answering. */
  delayMs?: number;
  /** Answer 500 to this fraction of requests (deterministically: every n-th). */
  errorEvery?: number;
  /** Keep received requests (default true). */
  keep?: boolean;
  /** Answer nothing until this settles (then wait `delayMs`); `close()` drops what is held. */
  hold?: Promise<void>;
}

/** Starts an upstream named `name` on an ephemeral port. */
export async function startUpstream(
  name: string,
  options: UpstreamOptions = {},
): Promise<Upstream> {
  const received: Upstream["received"] = [];
  let count = 0;
  const listening = await startLoopbackServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (options.keep !== false) {
        received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      }
      count++;
      const status = options.errorEvery && count % options.errorEvery === 0 ? 500 : 200;
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(status, { "content-type": "text/plain", "x-served-by": name });
        res.end(req.method === "POST" ? `${name}:${body}` : name);
      };
      const later = () => {
        if (options.delayMs) setTimeout(answer, options.delayMs);
        else answer();
      };
      if (options.hold) void options.hold.then(later);
      else later();
    });
  });
  return { name, url: listening.url, received, close: () => listening.close() };
}

/** A routing for `versions` (name → url) from a YAML text of routes. */
export function routingFor(versions: Upstream[], routesYaml: string, extra = ""): Routing {
  const list = versions.map((v) => `  - name: ${v.name}\n    url: ${v.url}`).join("\n");
  return parseRoutingOrThrow(`versions:\n${list}\n${extra}routes:\n${routesYaml}`);
}

/** One response as the test client saw it. */
export interface Answer {
  status: number;
  version: string | undefined;
  body: string;
  headers: Record<string, string | string[] | undefined>;
  ms: number;
}

/**
 * Sends `count` requests through `url` with `concurrency` in flight on a keep-alive pool, and
 * returns every answer (transport failures as status 0). Bounded in count.
 */
export async function sendMany(
  url: string,
  count: number,
  request: (i: number) => {
    path?: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
  },
  concurrency = 32,
): Promise<Answer[]> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const answers: Answer[] = new Array<Answer>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const r = request(i);
      const start = performance.now();
      try {
        const response = await pool.request({
          path: r.path ?? "/",
          method: r.method ?? "GET",
          headers: r.headers ?? {},
          body: r.body ?? null,
        });
        const body = await response.body.text();
        const version = response.headers["x-iter8-version"];
        answers[i] = {
          status: response.statusCode,
          version: Array.isArray(version) ? version[0] : version,
          body,
          headers: response.headers,
          ms: performance.now() - start,
        };
      } catch {
        answers[i] = {
          status: 0,
          version: undefined,
          body: "",
          headers: {},
          ms: performance.now() - start,
        };
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return answers;
}

/** Share (0..100) of answers served by `version`. */
export function percentOf(answers: Answer[], version: string): number {
  return (100 * answers.filter((a) => a.version === version).length) / answers.length;
}

/** Headers of an admin API call: the proxy's token, and a JSON content type for a body. */
export function adminHeaders(proxy: { adminToken: string }, json = false): Record<string, string> {
  const auth = { authorization: `Bearer ${proxy.adminToken}` };
  return json ? { ...auth, "content-type": "application/json" } : auth;
}

/** Polls `check` every 20 ms until it is true or `limitMs` passes; returns its last value. */
export async function waitFor(check: () => boolean, limitMs = 5000): Promise<boolean> {
  const until = Date.now() + limitMs;
  while (!check() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return check();
}
