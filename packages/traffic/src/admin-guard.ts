import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { TrafficError } from "./errors.js";

/** What an admin token must look like: visible ASCII (a header value), at least 16 characters. */
const TOKEN_SHAPE = /^[\x21-\x7e]{16,}$/;

/** A fresh admin token: 32 random bytes, base64url (43 characters). */
export function generateAdminToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * Checks a token given by the user (`--admin-token-file`, `ITER8_PROXY_TOKEN`, or the option);
 * throws `TrafficError` `ITER8_TRAFFIC_ADMIN_TOKEN` naming `source` when it is too short or has
 * spaces or control characters.
 */
export function checkAdminToken(token: string, source: string): string {
  if (!TOKEN_SHAPE.test(token)) {
    throw new TrafficError(
      "ITER8_TRAFFIC_ADMIN_TOKEN",
      `${source}: expected an admin token of at least 16 visible ASCII characters (no spaces), got ${token.length} characters`,
      "e.g. openssl rand -base64 32 > token",
    );
  }
  return token;
}

/** Why an admin request was refused: the status to answer and a one-line reason. */
export interface AdminRefusal {
  status: 401 | 403 | 415 | 421;
  error: string;
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

// Media types a browser cannot send cross-site without a CORS preflight (which the admin API
// never grants): JSON, and YAML for routings written by hand.
const BODY_TYPES = new Set([
  "application/json",
  "application/yaml",
  "application/x-yaml",
  "text/yaml",
]);

function requestHasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

/**
 * The admin API's gate. A request passes when its `Host` names the admin address (a loopback name
 * or the bound address, with the port: DNS rebinding sends the attacker's name), it carries no
 * sign of a browser's cross-site request (an `Origin` other than the admin address, or
 * `Sec-Fetch-Site: cross-site|same-site`), a POST/PUT body is JSON or YAML (a form post's
 * `text/plain` is refused), and `Authorization: Bearer <token>` holds the token (compared in
 * constant time).
 */
export class AdminGuard {
  private readonly tokenDigest: Buffer;
  private hosts = new Set<string>();

  constructor(token: string) {
    this.tokenDigest = digest(token);
  }

  /** Sets the addresses the admin API answers to, once its port is known. */
  listenOn(port: number, names: readonly string[]): void {
    const hosts = new Set<string>();
    for (const name of ["127.0.0.1", "localhost", "[::1]", ...names]) {
      hosts.add(`${name.toLowerCase()}:${port}`);
    }
    this.hosts = hosts;
  }

  /** `undefined` when the request may proceed, else why not. */
  check(req: IncomingMessage): AdminRefusal | undefined {
    const host = req.headers.host?.toLowerCase();
    if (host === undefined || !this.hosts.has(host)) {
      return {
        status: 421,
        error: `the admin API answers only to Host ${[...this.hosts].join(", ")}, not ${host ?? "(none)"}`,
      };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.hosts.has(originHost(origin))) {
      return { status: 403, error: `cross-site request from Origin ${origin} refused` };
    }
    const site = req.headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site") {
      return { status: 403, error: `cross-site request (Sec-Fetch-Site: ${site}) refused` };
    }
    if (!this.tokenMatches(req.headers.authorization)) {
      return {
        status: 401,
        error:
          "the admin API needs the proxy's token: send Authorization: Bearer <token> (printed at start, or --admin-token-file / ITER8_PROXY_TOKEN)",
      };
    }
    if (req.method === "POST" || req.method === "PUT") {
      const type = req.headers["content-type"];
      const media = type?.split(";")[0]?.trim().toLowerCase();
      const allowed =
        media === undefined
          ? !requestHasBody(req)
          : BODY_TYPES.has(media) || (media.startsWith("application/") && media.endsWith("+json"));
      if (!allowed) {
        return {
          status: 415,
          error: `${req.method} bodies must be application/json (or YAML), not ${type ?? "untyped"}`,
        };
      }
    }
    return undefined;
  }

  private tokenMatches(authorization: string | undefined): boolean {
    if (authorization === undefined || authorization.length < 7) return false;
    if (authorization.slice(0, 7).toLowerCase() !== "bearer ") return false;
    return timingSafeEqual(digest(authorization.slice(7).trim()), this.tokenDigest);
  }
}

/** `http://127.0.0.1:9901` → `127.0.0.1:9901`; anything else (`null`, https, no port) never matches. */
function originHost(origin: string): string {
  const prefix = "http://";
  return origin.toLowerCase().startsWith(prefix) ? origin.slice(prefix.length).toLowerCase() : "";
}
