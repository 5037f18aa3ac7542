// `@iter8/spec/light`: the parts of the spec that need no schema library. The main entry builds
// the experiment and result schemas (zod) as it loads, about 0.2 s of CPU and 25 MiB; a package on
// a start-up path that only needs iter8's error classes, the limits and the load ramp (the load
// generator, the gRPC client) imports them from here. The same modules as the main entry's, so
// `instanceof Iter8Error` holds across both.
export { Iter8Error } from "./errors.js";
/** @public The error kinds, for packages that define their own `Iter8Error`s. */
export type { ErrorKindTable, Iter8ErrorKind } from "./errors.js";
export { explainBadHeaderValue } from "./header-value.js";
export { explainBadLoadSchedule, planLoadRamp } from "./load-schedule.js";
/** @public A rate ramp (ghz's load schedules) and the names a caller gives its fields in messages. */
export type { LoadSchedule, LoadScheduleKeys } from "./load-schedule.js";
export { MAX_DURATION_TEXT, SPEC_LIMITS } from "./limits.js";
