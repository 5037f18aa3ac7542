export { KUBE_ERROR_CODES, KUBE_ERROR_KINDS, KubeError } from "./errors.js";
export type { KubeErrorCode } from "./errors.js";
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
export type {
  DeleteGroupOptions,
  GroupDocuments,
  JobState,
  ObjectRef,
  ShardLog,
  WaitForJobOptions,
} from "./group.js";
export { createSecretExchange, MAX_SECRET_BYTES } from "./secret-exchange.js";
export type { SecretExchangeOptions } from "./secret-exchange.js";
export { openClusterShard } from "./pod.js";
export type { ClusterShard, ClusterShardOptions } from "./pod.js";
