export {
  findClosedPort,
  startLoopbackServer,
  startRawServer,
  startServer,
  writeForever,
} from "./http-servers.js";
export type { LoopbackServer, RawServer, SeenRequest, TestServer } from "./http-servers.js";
export {
  adminHeaders,
  median,
  percentOf,
  routingFor,
  sendMany,
  startUpstream,
  waitFor,
} from "./upstreams.js";
export type { Answer, Upstream, UpstreamOptions } from "./upstreams.js";
export { createSeededRandom } from "./random.js";
export type { RandomSource } from "./random.js";
