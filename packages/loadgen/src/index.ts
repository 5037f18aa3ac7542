export { runLoad } from "./run-load.js";
export { runVersions, loadOptionsForVersion } from "./run-versions.js";
export type { RunVersionsControl } from "./run-versions.js";
export { summariseLoad } from "./summarise.js";
export { resolvePayload, MAX_PAYLOAD_BYTES } from "./payload.js";
export type { PayloadOptions, PayloadSource } from "./payload.js";
export { LoadgenError, LOADGEN_ERROR_CODES, LOADGEN_ERROR_KINDS } from "./errors.js";
export type { LoadgenErrorCode } from "./errors.js";
export { LOAD_DEFAULTS } from "./options.js";
export { Pacer } from "./pacer.js";
export { LOAD_PROCESS_FLAGS, applyLoadProcessFlags } from "./runtime-flags.js";
export { classifyTransportError, isErrorStatus } from "./outcome.js";
export type { CreateTransport, OutcomeSink, Transport } from "./transport.js";
export type {
  DispatchLag,
  Pacing,
  LoadControl,
  LoadOptions,
  LoadProgress,
  LoadResult,
  TransportErrorClass,
} from "./types.js";
