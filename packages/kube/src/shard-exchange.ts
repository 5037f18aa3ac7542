// The shard exchange contract, as @iter8/engine will export it (packages/engine/src/shard/exchange.ts).
// Kept here only until the engine's lands; then this file goes and the engine's types are imported.

/** What one shard published, as read back. */
export interface ShardReport {
  shard: number;
  /** Epoch ms at which the shard said it was ready (absent: not yet). */
  readyAt?: number;
  /** The shard's encoded measurements (text, at most 1 MiB), once it finished its load. */
  measurement?: string;
  /** Why the shard failed, if it did. */
  failure?: string;
}

/** Where the N shards of one experiment meet: a directory locally, Secrets in Kubernetes. */
export interface ShardExchange {
  markReady(shard: number, at: number): Promise<void>;
  /** Writes the common start time (epoch ms) unless one is written; resolves the one that holds. */
  proposeStart(at: number): Promise<number>;
  /** The common start time, once written. */
  startTime(): Promise<number | undefined>;
  publishMeasurement(shard: number, measurement: string): Promise<void>;
  publishFailure(shard: number, reason: string): Promise<void>;
  /** What every shard has published so far (one entry per shard that wrote anything). */
  reports(): Promise<ShardReport[]>;
  /** Shard 0 writes the final result (result.yaml text). */
  writeResult(resultYaml: string): Promise<void>;
}
