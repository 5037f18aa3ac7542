import type { ProviderSpec } from "./provider-spec.js";

/** Longest error text derived from a backend's answer, in characters (longer ones are cut). */
export const MAX_BACKEND_TEXT_CHARS = 500;

/** What a cut text ends with. */
export const TRUNCATED_MARK = "… (truncated)";

/** Header and parameter names whose values are credentials (compared in lower case). */
const CREDENTIAL_NAME =
  /^(?:authorization|proxy-authorization|cookie|x-api-key|x-auth-token|x-access-token|api[-_]?key|apikey|api[-_]?token|access[-_]?token|auth[-_]?token|refresh[-_]?token|id[-_]?token|token|secret|client[-_]?secret|password|passwd|pwd|key|sig|signature|session|sessionid|x-amz-security-token|x-goog-api-key|private[-_]?token)$/i;

// Generic credential shapes, redacted even when the secret is not known (e.g. a backend that
// echoes a header the spec did not set). Each keeps its name and replaces the value.
const CREDENTIAL_KEYS =
  "authorization|proxy-authorization|cookie|set-cookie|x-api-key|x-auth-token|x-access-token|api[-_]?key|apikey|api[-_]?token|access[-_]?token|auth[-_]?token|refresh[-_]?token|id[-_]?token|token|client[-_]?secret|secret|password|passwd|pwd|session(?:[-_]?id)?|private[-_]?token|x-amz-security-token|x-goog-api-key";
const CREDENTIAL_PAIR = new RegExp(
  // name, separator (`: `, `=`, JSON `":"` or `":["`), optional auth scheme, value (which stops
  // at "…", so a sanitised text's truncation mark survives a second pass)
  `(?<![\\w-])(${CREDENTIAL_KEYS})(["']?\\s*[:=]\\s*\\[?\\s*["']?)(?:(bearer|basic|token|digest|negotiate|apikey)\\s+)?([^\\s"'&,;\\]}<>…]+)`,
  "gi",
);
const AUTH_SCHEME_VALUE = /\b(Bearer|Basic|Token|Digest|Negotiate)(\s+)([\w.~+/=-]{8,})/gi;
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]+@/gi;
// Matching control characters is the point of these two patterns.
const ANSI_ESCAPE =
  // eslint-disable-next-line no-control-regex
  /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidi overrides and isolates.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g;

/** Longest text sanitised whole; the rest of a (up to 16 MiB) body is dropped first. */
const MAX_SCANNED_CHARS = 64 * 1024;

function htmlEscape(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

/** The forms a secret takes when a backend echoes it: as is, URL-, form-, JSON- or HTML-encoded. */
function secretForms(secret: string): string[] {
  const forms = new Set<string>([
    secret,
    encodeURIComponent(secret),
    new URLSearchParams({ s: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    htmlEscape(secret),
  ]);
  return [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
}

/** Replaces every known secret, in each of its echoed forms, with `***`. */
export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    for (const form of secretForms(secret)) out = out.split(form).join("***");
  }
  return out;
}

/** Replaces credentials in generic shapes (`Authorization: …`, `api_key=…`, `user:pass@`). */
export function redactCredentialPatterns(text: string): string {
  return text
    .replace(URL_USERINFO, "$1***@")
    .replace(CREDENTIAL_PAIR, (_all, name: string, sep: string, scheme?: string) =>
      scheme ? `${name}${sep}${scheme} ***` : `${name}${sep}***`,
    )
    .replace(AUTH_SCHEME_VALUE, (all, scheme: string, space: string, value: string) =>
      // A token has a digit or a symbol; "Basic authentication" is prose, not a credential.
      /[\d+/=._~-]/.test(value) ? `${scheme}${space}***` : all,
    );
}

/**
 * Makes a text that came from (or names) a metrics backend safe to store, print and log: control
 * characters (CR, LF, ANSI escapes, ...) become spaces and runs of whitespace one space, so a
 * backend cannot forge log lines; every secret in `secrets` (in its raw, URL-, JSON- and
 * HTML-encoded forms) and every credential in a generic shape becomes `***`; and the result is cut
 * at `maxChars` (default 500) with "… (truncated)". Redaction runs before the cut, so no part of
 * a secret survives it.
 */
export function sanitizeBackendText(
  text: string,
  secrets: readonly string[] = [],
  maxChars: number = MAX_BACKEND_TEXT_CHARS,
): string {
  const scanned = text.length > MAX_SCANNED_CHARS ? text.slice(0, MAX_SCANNED_CHARS) : text;
  const oneLine = scanned.replace(ANSI_ESCAPE, "").replace(CONTROL, " ").replace(/\s+/g, " ");
  const safe = redactCredentialPatterns(redactSecrets(oneLine, secrets)).trim();
  if (safe.length <= maxChars && scanned.length === text.length) return safe;
  const cut = safe.slice(0, Math.max(0, maxChars - TRUNCATED_MARK.length)).trimEnd();
  return `${cut}${TRUNCATED_MARK}`;
}

function basicCredentials(value: string): string[] {
  const match = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(value);
  if (!match?.[1]) return [];
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon >= 0 ? [match[1], decoded, decoded.slice(colon + 1)] : [match[1]];
}

/** The secrets of a credential value: the value itself, its token after a scheme, basic's parts. */
function credentialSecrets(value: string): string[] {
  const out = [value.trim()];
  const scheme = /^\s*(?:bearer|token|apikey|digest|negotiate)\s+(.+?)\s*$/i.exec(value);
  if (scheme?.[1]) out.push(scheme[1]);
  out.push(...basicCredentials(value));
  return out;
}

/**
 * Every secret a rendered provider spec knows besides its `auth` ones (`authSecrets`): values of
 * credential headers (Authorization, X-API-Key, Cookie, ...) and credential query parameters
 * (`api_key`, `token`, ...) whether written or templated, and the URL's user info and credential
 * parameters. These are kept out of every message derived from the backend's answers.
 */
export function providerSecrets(spec: ProviderSpec, authSecrets: readonly string[] = []): string[] {
  const found = new Set<string>(authSecrets);
  for (const [name, value] of Object.entries(spec.headers)) {
    if (CREDENTIAL_NAME.test(name)) for (const s of credentialSecrets(value)) found.add(s);
  }
  const queries = spec.metrics.flatMap((m) =>
    m.type === "mean" || m.type === "proportion" ? Object.values(m.queries) : [m],
  );
  for (const query of queries) {
    for (const param of query.params) {
      if (CREDENTIAL_NAME.test(param.name))
        for (const s of credentialSecrets(param.value)) found.add(s);
    }
  }
  try {
    const url = new URL(spec.url);
    if (url.username) found.add(decodeURIComponent(url.username));
    if (url.password) found.add(decodeURIComponent(url.password));
    for (const [name, value] of url.searchParams) {
      if (CREDENTIAL_NAME.test(name)) found.add(value);
    }
  } catch {
    // parseProviderSpec checked the URL; nothing to add from one that does not parse.
  }
  return [...found].filter((s) => s.length > 0);
}
