import { Iter8Error } from "@iter8/spec";

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
  /** A routing cannot be rendered for the target. */
  render: "ITER8_TRAFFIC_RENDER",
} as const;

/** One of {@link TRAFFIC_ERROR_CODES}. */
export type TrafficErrorCode = (typeof TRAFFIC_ERROR_CODES)[keyof typeof TRAFFIC_ERROR_CODES];

/** The error `@iter8/traffic` throws: a stable `code` and a one-line message. */
export class TrafficError extends Iter8Error<TrafficErrorCode> {
  override readonly name = "TrafficError";
}
