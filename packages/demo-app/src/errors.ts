import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of the errors the demo app raises. */
export const DEMO_APP_ERROR_CODES = {
  /** One of its ports could not be bound. */
  listen: "ITER8_DEMO_APP_LISTEN",
  /** A flag or an option is not valid (a version name, a duration, a rate, a port, a seed). */
  optionInvalid: "ITER8_DEMO_APP_OPTION_INVALID",
} as const;

/** One of {@link DEMO_APP_ERROR_CODES}. */
export type DemoAppErrorCode = (typeof DEMO_APP_ERROR_CODES)[keyof typeof DEMO_APP_ERROR_CODES];

/** The kind of every {@link DemoAppErrorCode}. */
export const DEMO_APP_ERROR_KINDS: ErrorKindTable<DemoAppErrorCode> = {
  ITER8_DEMO_APP_LISTEN: "failure",
  ITER8_DEMO_APP_OPTION_INVALID: "invalid-input",
};

/** The demo app could not bind one of its ports (in use, not permitted, bad host). */
export class DemoAppListenError extends Iter8Error<DemoAppErrorCode> {
  override readonly name = "DemoAppListenError";
  constructor(message: string, hint?: string) {
    super(DEMO_APP_ERROR_CODES.listen, message, hint);
  }
  protected override get kinds(): ErrorKindTable<DemoAppErrorCode> {
    return DEMO_APP_ERROR_KINDS;
  }
}

/**
 * A flag of `iter8 demo-app` or an option of `startDemoApp` is not valid; the message names the
 * flag or option and the value.
 */
export class DemoAppOptionError extends Iter8Error<DemoAppErrorCode> {
  override readonly name = "DemoAppOptionError";
  constructor(message: string, hint?: string) {
    super(DEMO_APP_ERROR_CODES.optionInvalid, message, hint);
  }
  protected override get kinds(): ErrorKindTable<DemoAppErrorCode> {
    return DEMO_APP_ERROR_KINDS;
  }
}
