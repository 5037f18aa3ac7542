// Public API of this package: what the engine, the CLI, the bench and embedders use (see README.md).
/** @public The error class of version assignment and its code and kind tables, for embedders. */
export { ASSIGNMENT_ERROR_CODES, ASSIGNMENT_ERROR_KINDS, AssignmentError } from "./assignment.js";
export { assignVersion } from "./assignment.js";
/** @public The codes `AssignmentError` carries. */
export type { AssignmentErrorCode } from "./assignment.js";
export { startTrafficProxy } from "./proxy.js";
export type { ProxyEvent, TrafficProxy } from "./proxy.js";
/** @public The options of `startTrafficProxy`, for embedders. */
export type { RetainedResources, TrafficProxyOptions } from "./proxy.js";
export { checkAdminToken } from "./admin-guard.js";
export { deriveProxyVersionMetrics, insightsFromProxyStats } from "./proxy-metrics.js";
export type { ProxyStats, ProxyVersionMetrics, TrafficCounters } from "./proxy-metrics.js";
/** @public The parts of `ProxyStats`, for embedders that read the admin API's `/stats`. */
export type { MirrorSkipReason, TrafficKind, VersionStats } from "./proxy-metrics.js";
/** @public The error class of the proxy and renderers and its code and kind tables, for embedders. */
export { TRAFFIC_ERROR_CODES, TRAFFIC_ERROR_KINDS, TrafficError } from "./errors.js";
/** @public The codes `TrafficError` carries. */
export type { TrafficErrorCode } from "./errors.js";
export { withCandidateWeight } from "./rollout.js";
export { createProxyAdminClient, ProxyAdminError } from "./admin-client.js";
export type { ProxyRoutingAnswer } from "./admin-client.js";
/** @public The client of the proxy's admin API, its options and its failures, for embedders. */
export type {
  ProxyAdminClient,
  ProxyAdminClientOptions,
  ProxyAdminFailure,
  ProxyAdminMethod,
} from "./admin-client.js";
/** @public The error class of the A/B/n service and its code and kind tables, for embedders. */
export { ABN_ERROR_CODES, ABN_ERROR_KINDS, AbnError } from "./abn/errors.js";
/** @public The codes `AbnError` carries. */
export type { AbnErrorCode } from "./abn/errors.js";
export { openAbnStore } from "./abn/store.js";
export type { AbnStoreOptions } from "./abn/store.js";
/** @public The A/B/n store and what it returns, for embedders. */
export type { AbnMetricSummary, AbnMigration, AbnStore, AbnVersionSummary } from "./abn/store.js";
export { startAbnServer } from "./abn/server.js";
export type { AbnAppConfig, AbnAppSummary, AbnServer } from "./abn/server.js";
/** @public The options of `startAbnServer` and the answer of its lookup, for embedders. */
export type { AbnLookup, AbnServerOptions } from "./abn/server.js";
export { createAbnClient } from "./abn/client.js";
/** @public The client of the A/B/n service and its options, for embedders. */
export type { AbnClient, AbnClientOptions } from "./abn/client.js";
export { formatManifests, renderRouting } from "./render.js";
export type { RenderTarget } from "./render.js";
/** @public The result of `renderRouting`, for embedders. */
export type { RenderResult } from "./render.js";
