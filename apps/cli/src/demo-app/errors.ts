import { Iter8Error } from "@iter8/spec";

/** The demo app could not bind one of its ports (in use, not permitted, bad host). */
export class DemoAppListenError extends Iter8Error<"ITER8_DEMO_APP_LISTEN"> {
  override readonly name = "DemoAppListenError";
  constructor(message: string, hint?: string) {
    super("ITER8_DEMO_APP_LISTEN", message, hint);
  }
}
