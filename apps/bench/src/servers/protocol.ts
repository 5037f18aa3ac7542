// IPC messages between the harness and a target server child process.

/** What a target server does with each request. */
export type TargetMode = "ok" | "stall";

/**
 * What a target server speaks: HTTP/1.1 answering `ok`, or gRPC over h2c answering
 * helloworld.Greeter/SayHello with a canned `HelloReply`.
 */
export type TargetProtocol = "http" | "grpc";

/** Messages the harness sends. */
export type TargetCommand =
  /** Clears the arrival record. In stall mode, stalls begin `graceMs` after the next arrival. */
  { type: "reset"; graceMs: number } | { type: "arrivals" };

/** Messages a target server sends. */
export type TargetEvent =
  | { type: "listening"; port: number }
  | { type: "reset-done" }
  | { type: "arrivals"; msCounts: number[] };
