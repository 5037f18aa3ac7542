export {
  findClosedPort,
  startLoopbackServer,
  startRawServer,
  startServer,
  writeForever,
} from "./http-servers.js";
export type { LoopbackServer, RawServer, TestServer } from "./http-servers.js";
export {
  adminHeaders,
  percentOf,
  routingFor,
  sendMany,
  startUpstream,
  waitFor,
} from "./upstreams.js";
export type { Answer, Upstream } from "./upstreams.js";
export { createSeededRandom } from "./random.js";
export { startKubeApiDouble } from "./kube-api-double.js";
export type { KubeApiDouble, KubeletScript } from "./kube-api-double.js";
export { createTestCertificateAuthority } from "./tls.js";
export type { TestCertificateAuthority } from "./tls.js";
export { MODULE_LOG_REGISTER } from "./module-log.js";
