/** The demo app could not bind one of its ports (in use, not permitted, bad host). */
export class DemoAppListenError extends Error {
  readonly code = "ITER8_DEMO_APP_LISTEN";
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "DemoAppListenError";
  }
}
