// IPC messages between the harness and a target server child process.

/** What a target server does with each request. */
export type TargetMode = "ok" | "stall";

/** Messages the harness sends. */
export type TargetCommand = { type: "reset" } | { type: "arrivals" };

/** Messages a target server sends. */
export type TargetEvent =
  | { type: "listening"; port: number }
  | { type: "reset-done" }
  | { type: "arrivals"; msCounts: number[] };
