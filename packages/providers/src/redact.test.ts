import { describe, expect, it } from "vitest";
import { parseProviderSpec } from "./provider-spec.js";
import {
  MAX_BACKEND_TEXT_CHARS,
  providerSecrets,
  redactCredentialPatterns,
  redactSecrets,
  sanitizeBackendText,
} from "./redact.js";

const SECRET = 'tok/9f3K+q2xZ"7w<Lm>&=vR4';

describe("redactSecrets", () => {
  it.each([
    ["as is", SECRET],
    ["URL-encoded", encodeURIComponent(SECRET)],
    ["form-encoded", new URLSearchParams({ s: SECRET }).toString().slice(2)],
    ["JSON-escaped", JSON.stringify(SECRET).slice(1, -1)],
    ["HTML-escaped", "tok/9f3K+q2xZ&quot;7w&lt;Lm&gt;&amp;=vR4"],
  ])("replaces a secret echoed %s", (_form, echoed) => {
    expect(redactSecrets(`before ${echoed} after`, [SECRET])).toBe("before *** after");
  });
});

describe("redactCredentialPatterns", () => {
  it.each([
    ["Authorization: Bearer abc.def-123", "Authorization: Bearer ***"],
    ['{"Authorization":["Basic dXNlcjpwYXNz"]}', '{"Authorization":["Basic ***"]}'],
    ["x-api-key: 0123456789abcdef", "x-api-key: ***"],
    ["GET /q?query=up&api_key=k1y2&x=1", "GET /q?query=up&api_key=***&x=1"],
    ['{"password": "hunter2"}', '{"password": "***"}'],
    ["http://admin:pa55@prom:9090/api", "http://***@prom:9090/api"],
    ["a bare Bearer eyJhbGciOi.J9x token", "a bare Bearer *** token"],
    ["Cookie: session=abc123; theme=dark", "Cookie: ***; theme=dark"],
  ])("redacts %j", (text, expected) => {
    expect(redactCredentialPatterns(text)).toBe(expected);
  });

  it.each([
    'parse error at char 4: unexpected "}"',
    "Basic authentication is required",
    "query=sum(rate(http_requests_total[5m]))",
  ])("leaves prose alone: %j", (text) => {
    expect(redactCredentialPatterns(text)).toBe(text);
  });
});

describe("sanitizeBackendText", () => {
  it("turns CR, LF, ANSI escapes and other controls into single spaces", () => {
    const text =
      "bad request\r\n2026-01-01T00:00:00.000Z promote  100%  forged\n\u001b[31mred\u001b[0m\u0000\u2028end\u0085";
    expect(sanitizeBackendText(text)).toBe(
      "bad request 2026-01-01T00:00:00.000Z promote 100% forged red end",
    );
  });

  it("cuts a long text and says so", () => {
    const out = sanitizeBackendText("x".repeat(10_000));
    expect(out).toHaveLength(MAX_BACKEND_TEXT_CHARS);
    expect(out.endsWith("… (truncated)")).toBe(true);
    expect(sanitizeBackendText("y".repeat(50), [], 20)).toBe(`${"y".repeat(7)}… (truncated)`);
  });

  it("redacts before cutting, so no part of a secret straddling the cut survives", () => {
    const text = `${"a".repeat(195)}${SECRET}${"b".repeat(100)}`;
    const out = sanitizeBackendText(text, [SECRET], 200);
    expect(out).toBe(`${"a".repeat(187)}… (truncated)`);
    expect(out).not.toContain(SECRET.slice(0, 4));
  });

  it("is idempotent: a second pass keeps a truncation mark that follows a credential name", () => {
    const once = sanitizeBackendText(`${"p".repeat(172)} authorization: Bearer ${SECRET}`, [], 200);
    expect(once).toBe(`${"p".repeat(172)} authorization:… (truncated)`);
    expect(sanitizeBackendText(once)).toBe(once);
  });

  it("redacts a secret that a backend split with control characters", () => {
    const split = `${SECRET.slice(0, 6)}\u001b[0m${SECRET.slice(6)}`;
    expect(sanitizeBackendText(`echo ${split}`, [SECRET])).toBe("echo ***");
  });

  it("marks a body beyond what is scanned as truncated", () => {
    expect(sanitizeBackendText(`ok${" ".repeat(70_000)}tail`)).toBe("ok… (truncated)");
  });
});

describe("providerSecrets", () => {
  it("finds credential headers, credential query parameters and URL user info", () => {
    const spec = parseProviderSpec(
      `url: "http://reader:url-pass@127.0.0.1:9/api?token=url-token&query=up"
headers:
  Authorization: Basic ${Buffer.from("bob:basic-pass").toString("base64")}
  X-Api-Key: header-key
  Accept: application/json
metrics:
- name: a
  type: gauge
  params: [{name: api_key, value: param-key}, {name: query, value: up}]
  jqExpression: .
- name: b
  type: mean
  queries:
    count: {params: [{name: access_token, value: count-token}], jqExpression: .}
    sum: {jqExpression: .}
    sumSquares: {jqExpression: .}
`,
      "p",
    );
    const secrets = providerSecrets(spec, ["auth-secret"]);
    expect(secrets).toEqual(
      expect.arrayContaining([
        "auth-secret",
        "bob:basic-pass",
        "basic-pass",
        "header-key",
        "param-key",
        "count-token",
        "url-pass",
        "url-token",
      ]),
    );
    expect(secrets).not.toContain("application/json");
    expect(secrets).not.toContain("up");
  });

  it("keeps a templated credential in the URL out of the spec's error", () => {
    expect(() =>
      parseProviderSpec(
        'url: "ftp://reader:url-pass-7x@127.0.0.1/q?token=url-token-9y"\nmetrics: [{name: m, type: gauge, jqExpression: .}]',
        "p",
      ),
    ).toThrow(
      /^provider p: url: url must be an absolute http\(s\) URL, got "ftp:\/\/\*\*\*@127\.0\.0\.1\/q\?token=\*\*\*"$/,
    );
  });

  it("finds the token of a templated bearer header", () => {
    const spec = parseProviderSpec(
      "url: http://127.0.0.1:9/q\nheaders: {authorization: Bearer templated-token}\nmetrics: [{name: m, type: gauge, jqExpression: .}]",
      "p",
    );
    expect(providerSecrets(spec)).toEqual(["Bearer templated-token", "templated-token"]);
  });
});
