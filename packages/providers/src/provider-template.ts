import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { bodySnippet, callBackend } from "./backend-call.js";
import { PROVIDER_ERROR_CODES, ProviderError } from "./errors.js";
import { sanitizeBackendText } from "./redact.js";
import { renderTemplate } from "./go-template/index.js";
import type { TemplateValues } from "./go-template/index.js";
import { parseProviderSpec } from "./provider-spec.js";
import type { ProviderSpec } from "./provider-spec.js";

/** Options of `readProviderTemplate`. */
export interface ReadTemplateOptions {
  /** Base directory of relative paths (the experiment's directory). */
  baseDir: string;
  signal?: AbortSignal;
  /** Timeout of a template download, in milliseconds (default 10 s). */
  timeoutMs?: number;
}

/** Reads a provider template from a file (relative to `baseDir`) or an http(s) URL. */
export async function readProviderTemplate(
  ref: string,
  options: ReadTemplateOptions,
): Promise<string> {
  if (/^https?:\/\//i.test(ref)) {
    const answer = await callBackend(
      { url: ref, method: "GET" },
      { timeoutMs: options.timeoutMs ?? 10_000, retries: 2, signal: options.signal },
    );
    if (answer.status >= 400) {
      // The URL may carry credentials (user info, a token parameter): sanitised like the body.
      throw new ProviderError(
        PROVIDER_ERROR_CODES.template,
        `cannot download template ${sanitizeBackendText(ref)}: HTTP ${answer.status}: ${bodySnippet(answer.body)}`,
      );
    }
    return answer.body;
  }
  const file = isAbsolute(ref) ? ref : resolve(options.baseDir, ref);
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code ?? "unreadable";
    throw new ProviderError(
      PROVIDER_ERROR_CODES.template,
      `cannot read template ${ref} (${file}): ${code === "ENOENT" ? "no such file" : code}`,
    );
  }
}

/**
 * Renders a provider template with `values` and reads the result as a `ProviderSpec`. Errors
 * name the provider: an unset variable, bad template syntax, or an invalid spec.
 */
export function renderProviderSpec(
  provider: string,
  template: string,
  values: TemplateValues,
): ProviderSpec {
  let text: string;
  try {
    text = renderTemplate(template, values);
  } catch (error) {
    if (error instanceof ProviderError) {
      throw new ProviderError(error.code, `template of provider ${provider}: ${error.message}`);
    }
    throw error;
  }
  return parseProviderSpec(text, provider);
}
