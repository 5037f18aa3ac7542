import { Iter8Error } from "@iter8/spec";

/** Stable codes of the errors raised while rendering templates and querying metric backends. */
export const PROVIDER_ERROR_CODES = {
  /** A provider template could not be parsed or rendered (e.g. a variable is not set). */
  template: "ITER8_TEMPLATE",
  /** A `jqExpression` could not be parsed or evaluated. */
  jq: "ITER8_JQ",
  /** A rendered provider spec is not valid (missing url, bad method, ...). */
  providerSpec: "ITER8_PROVIDER_SPEC",
  /** A secret (token, password, API key) could not be read from its environment variable or file. */
  secret: "ITER8_SECRET",
  /** A backend call failed: timeout, connection error, HTTP error status or an unreadable answer. */
  backend: "ITER8_BACKEND",
} as const;

/** One of `PROVIDER_ERROR_CODES`. */
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[keyof typeof PROVIDER_ERROR_CODES];

/** An error of a metric provider, template or extraction, with a stable `code`. */
export class ProviderError extends Iter8Error<ProviderErrorCode> {
  override readonly name = "ProviderError";
}
