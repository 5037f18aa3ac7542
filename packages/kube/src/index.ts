export { KUBE_ERROR_CODES, KUBE_ERROR_KINDS, KubeError } from "./errors.js";
/** @public The codes `KubeError` carries. */
export type { KubeErrorCode } from "./errors.js";
/** @public The objects of a launch, their names, labels and defaults, for embedders and GitOps tools. */
export {
  buildLaunchObjects,
  checkGroupName,
  DEFAULT_GROUP,
  DEFAULT_IMAGE_REPOSITORY,
  DEFAULT_POD_RESOURCES,
  formatLaunchObjects,
  groupNames,
  groupSelector,
  MAX_PARALLELISM,
  POD_ENV,
} from "./objects.js";
/** @public The launch spec and its objects. */
export type { GroupNames, LaunchObject, LaunchSpec, PodResources } from "./objects.js";
export { connectCluster } from "./cluster.js";
export type { ConnectOptions, KubeCluster } from "./cluster.js";
export {
  deleteGroup,
  launchGroup,
  readGroup,
  readGroupLogs,
  readJobState,
  waitForJob,
} from "./group.js";
/** @public The options and results of the group functions. */
export type {
  DeleteGroupOptions,
  GroupDocuments,
  JobState,
  ObjectRef,
  ShardLog,
  WaitForJobOptions,
} from "./group.js";
export { createSecretExchange, MAX_SECRET_BYTES } from "./secret-exchange.js";
/** @public The options of `createSecretExchange`. */
export type { SecretExchangeOptions } from "./secret-exchange.js";
export { openClusterShard } from "./pod.js";
/** @public What `openClusterShard` takes and gives. */
export type { ClusterShard, ClusterShardOptions } from "./pod.js";
