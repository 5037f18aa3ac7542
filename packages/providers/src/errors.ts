import { Iter8Error } from "@iter8/spec/light";
import type { ErrorKindTable } from "@iter8/spec/light";

/** Stable codes of the errors raised while rendering templates and querying metric backends. */
export const PROVIDER_ERROR_CODES = {
  /** A provider template could not be parsed or rendered (e.g. a variable is not set). */
  template: "ITER8_PROVIDER_TEMPLATE",
  /** A `jqExpression` could not be parsed or evaluated. */
  jq: "ITER8_PROVIDER_JQ",
  /** A rendered provider spec is not valid (missing url, bad method, ...). */
  providerSpec: "ITER8_PROVIDER_SPEC",
  /** A secret (token, password, API key) could not be read from its environment variable or file. */
  secret: "ITER8_PROVIDER_SECRET",
  /** A backend call failed: timeout, connection error, HTTP error status or an unreadable answer. */
  backend: "ITER8_PROVIDER_BACKEND",
} as const;

/** One of `PROVIDER_ERROR_CODES`. */
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[keyof typeof PROVIDER_ERROR_CODES];

/**
 * The kind of every {@link ProviderErrorCode}: a template, jq expression or provider spec the user
 * wrote is invalid input; an unreadable secret or a backend that did not answer is a failure.
 */
export const PROVIDER_ERROR_KINDS: ErrorKindTable<ProviderErrorCode> = {
  ITER8_PROVIDER_TEMPLATE: "invalid-input",
  ITER8_PROVIDER_JQ: "invalid-input",
  ITER8_PROVIDER_SPEC: "invalid-input",
  ITER8_PROVIDER_SECRET: "failure",
  ITER8_PROVIDER_BACKEND: "failure",
};

/** An error of a metric provider, template or extraction, with a stable `code`. */
export class ProviderError extends Iter8Error<ProviderErrorCode> {
  override readonly name = "ProviderError";
  protected override get kinds(): ErrorKindTable<ProviderErrorCode> {
    return PROVIDER_ERROR_KINDS;
  }
}
