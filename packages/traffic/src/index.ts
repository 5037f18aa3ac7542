// Public API of this package (see README.md for its purpose).
export {
  ASSIGNMENT_ERROR_CODES,
  ASSIGNMENT_ERROR_KINDS,
  AssignmentError,
  assignVersion,
  hashToUnitInterval,
} from "./assignment.js";
export type { AssignmentErrorCode } from "./assignment.js";
export { IDEMPOTENT_METHODS, shadowHost, startTrafficProxy } from "./proxy.js";
export type { ProxyEvent, RetainedResources, TrafficProxy, TrafficProxyOptions } from "./proxy.js";
export { checkAdminToken, generateAdminToken, PROXY_TOKEN_ENV } from "./admin-guard.js";
export {
  deriveProxyVersionMetrics,
  insightsFromProxyStats,
  ProxyMetrics,
} from "./proxy-metrics.js";
export type {
  MirrorSkipReason,
  ProxyStats,
  ProxyVersionMetrics,
  TrafficCounters,
  TrafficKind,
  VersionStats,
} from "./proxy-metrics.js";
export {
  compileRouteTable,
  compileStringMatch,
  MAX_REGEX_INPUT,
  normalizeRequestTarget,
  parseCookies,
  routeRequest,
} from "./route-table.js";
export type { RequestFacts, RouteDecision, RouteTable } from "./route-table.js";
export { choosePinnedVersion, formatPin, parsePin } from "./cookie-pin.js";
export type { Pin } from "./cookie-pin.js";
export { TRAFFIC_ERROR_CODES, TRAFFIC_ERROR_KINDS, TrafficError } from "./errors.js";
export type { TrafficErrorCode } from "./errors.js";
export { withCandidateWeight } from "./rollout.js";
export { createProxyAdminClient, PROXY_ADMIN_TIMEOUT_MS, ProxyAdminError } from "./admin-client.js";
export type {
  ProxyAdminClient,
  ProxyAdminClientOptions,
  ProxyAdminFailure,
  ProxyAdminMethod,
  ProxyRoutingAnswer,
} from "./admin-client.js";
export { ABN_ERROR_CODES, ABN_ERROR_KINDS, AbnError } from "./abn/errors.js";
export type { AbnErrorCode } from "./abn/errors.js";
export { openAbnStore } from "./abn/store.js";
export type {
  AbnMetricSummary,
  AbnMigration,
  AbnStore,
  AbnStoreOptions,
  AbnVersionSummary,
} from "./abn/store.js";
export { startAbnServer } from "./abn/server.js";
export type {
  AbnAppConfig,
  AbnAppSummary,
  AbnLookup,
  AbnServer,
  AbnServerOptions,
} from "./abn/server.js";
export { createAbnClient } from "./abn/client.js";
export type { AbnClient, AbnClientOptions } from "./abn/client.js";
export { formatManifests, renderRouting } from "./render.js";
export type { RenderResult, RenderTarget } from "./render.js";
