import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of the errors the demo app raises. */
export const DEMO_APP_ERROR_CODES = {
  /** One of its ports could not be bound. */
  listen: "ITER8_DEMO_APP_LISTEN",
} as const;

/** One of {@link DEMO_APP_ERROR_CODES}. */
export type DemoAppErrorCode = (typeof DEMO_APP_ERROR_CODES)[keyof typeof DEMO_APP_ERROR_CODES];

/** The kind of every {@link DemoAppErrorCode}. */
export const DEMO_APP_ERROR_KINDS: ErrorKindTable<DemoAppErrorCode> = {
  ITER8_DEMO_APP_LISTEN: "failure",
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
