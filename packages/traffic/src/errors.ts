import { Iter8Error } from "@iter8/spec";
import type { ErrorKindTable } from "@iter8/spec";

/** Stable codes of the errors `@iter8/traffic` throws. */
export const TRAFFIC_ERROR_CODES = {
  /** The proxy could not listen on its port or admin port. */
  listen: "ITER8_TRAFFIC_LISTEN",
  /** The proxy's admin API refused a request or could not be reached. */
  admin: "ITER8_TRAFFIC_ADMIN",
  /** An admin token given to the proxy is unusable (too short, spaces or control characters). */
  adminToken: "ITER8_TRAFFIC_ADMIN_TOKEN",
  /** A rollout cannot run against the proxy's routing (unknown route or versions). */
  rollout: "ITER8_TRAFFIC_ROLLOUT",
  /** A rollout's `custommetrics` template cannot be read or rendered with its values. */
  rolloutInvalid: "ITER8_TRAFFIC_ROLLOUT_INVALID",
  /** A routing cannot be rendered for the target. */
  render: "ITER8_TRAFFIC_RENDER",
} as const;

/** One of {@link TRAFFIC_ERROR_CODES}. */
export type TrafficErrorCode = (typeof TRAFFIC_ERROR_CODES)[keyof typeof TRAFFIC_ERROR_CODES];

/**
 * The kind of every {@link TrafficErrorCode}: a routing that cannot be rendered or a rollout's
 * invalid provider template is invalid input; a port, an admin API or a proxy's routing that does
 * not cooperate is a failure.
 */
export const TRAFFIC_ERROR_KINDS: ErrorKindTable<TrafficErrorCode> = {
  ITER8_TRAFFIC_LISTEN: "failure",
  ITER8_TRAFFIC_ADMIN: "failure",
  ITER8_TRAFFIC_ADMIN_TOKEN: "invalid-input",
  ITER8_TRAFFIC_ROLLOUT: "failure",
  ITER8_TRAFFIC_ROLLOUT_INVALID: "invalid-input",
  ITER8_TRAFFIC_RENDER: "invalid-input",
};

/** The error `@iter8/traffic` throws: a stable `code` and a one-line message. */
export class TrafficError extends Iter8Error<TrafficErrorCode> {
  override readonly name = "TrafficError";
  protected override get kinds(): ErrorKindTable<TrafficErrorCode> {
    return TRAFFIC_ERROR_KINDS;
  }
}
