import { describe, expect, it } from "vitest";
import { ProviderError } from "../errors.js";
import { compileTemplate, renderTemplate } from "./index.js";

describe("renderTemplate", () => {
  it.each([
    ["plain text", "url: x", {}, "url: x"],
    ["a variable", "{{ .name }}", { name: "v1" }, "v1"],
    ["a nested field", "{{ .labels.app }}", { labels: { app: "demo" } }, "demo"],
    ["numbers as Go prints them", "{{ .n }}s", { n: 12.5 }, "12.5s"],
    [
      "default when missing (pipe form)",
      '{{ .url | default "http://p:9090" }}',
      {},
      "http://p:9090",
    ],
    ["default when set", '{{ .url | default "d" }}', { url: "u" }, "u"],
    ["default when empty", '{{ default "d" .url }}', { url: "" }, "d"],
    ["if true", "{{ if .r }}r={{ .r }}{{ end }}", { r: "src" }, "r=src"],
    ["if on a missing variable is false", "{{ if .r }}yes{{ else }}no{{ end }}", {}, "no"],
    ["else if", "{{ if .a }}a{{ else if .b }}b{{ else }}c{{ end }}", { b: 1 }, "b"],
    ["range over a list", "{{ range .ps }}[{{ . }}]{{ end }}", { ps: [50, 95] }, "[50][95]"],
    [
      "range with index and value",
      "{{ range $i, $p := .ps }}{{ $i }}:{{ $p }} {{ end }}",
      { ps: ["a", "b"] },
      "0:a 1:b ",
    ],
    [
      "range over a map in key order",
      "{{ range $k, $v := .m }}{{ $k }}={{ $v }},{{ end }}",
      { m: { b: 2, a: 1 } },
      "a=1,b=2,",
    ],
    ["range else", "{{ range .ps }}x{{ else }}none{{ end }}", { ps: [] }, "none"],
    ["$ inside range", "{{ range .ps }}{{ $.name }}{{ end }}", { ps: [1, 2], name: "n" }, "nn"],
    ["trim markers", "a  {{- .x -}}  \n b", { x: "X" }, "aXb"],
    ["comments", "a{{/* note */}}b", {}, "ab"],
    [
      "define and template",
      '{{- define "l" }}app="{{ .app }}"{{ end }}{ {{- template "l" . -}} }',
      { app: "d" },
      '{app="d"}',
    ],
    ["with", "{{ with .m }}{{ .k }}{{ end }}", { m: { k: "v" } }, "v"],
    ["printf and quote", '{{ printf "%s-%d" .a .b | quote }}', { a: "x", b: 3 }, '"x-3"'],
    ["divf for quantiles", "{{ divf 99.9 100 }}", {}, "0.999"],
    ["variables", "{{ $x := .a }}{{ $x }}{{ $x }}", { a: "z" }, "zz"],
    ["string with braces", '{{ "}}" }}', {}, "}}"],
    ["eq and and", '{{ if and (eq .a "x") .b }}ok{{ end }}', { a: "x", b: true }, "ok"],
  ])("%s", (_name, source, values, expected) => {
    expect(renderTemplate(source, values)).toBe(expected);
  });

  it("names an unset variable that is printed", () => {
    expect(() => renderTemplate("a\nq={{ .destinationWorkload }}", {})).toThrow(
      /line 2: template variable \.destinationWorkload is not set/,
    );
  });

  it("names an unset nested variable", () => {
    expect(() => renderTemplate("{{ .labels.app }}", { labels: {} })).toThrow(
      /\.labels\.app is not set/,
    );
  });

  it("names an unset variable passed to a function", () => {
    expect(() => renderTemplate("{{ quote .x }}", {})).toThrow(/\.x is not set/);
  });

  it.each([
    ["an unclosed action", "{{ .x"],
    ["a missing end", "{{ if .x }}a"],
    ["an unknown function", "{{ frobnicate .x }}"],
    ["an unknown template", '{{ template "nope" . }}'],
  ])("rejects %s with ITER8_PROVIDER_TEMPLATE", (_name, source) => {
    try {
      renderTemplate(source, { x: 1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).code).toBe("ITER8_PROVIDER_TEMPLATE");
    }
  });
});

describe("compileTemplate", () => {
  it("renders one parse many times with different values and extra functions", () => {
    let calls = 0;
    const template = compileTemplate("n={{ .n }} r={{ next 2 }}", {
      functions: { next: ([step]) => (calls += Number(step)) },
    });
    expect(template.hasActions).toBe(true);
    expect(template.render({ n: 1 })).toBe("n=1 r=2");
    expect(template.render({ n: 2 })).toBe("n=2 r=4");
  });

  it("says plain text has no actions", () => {
    expect(compileTemplate("just text").hasActions).toBe(false);
  });

  it("throws a template error for bad syntax when compiling", () => {
    expect(() => compileTemplate("{{ if .x }}")).toThrow(ProviderError);
  });
});
