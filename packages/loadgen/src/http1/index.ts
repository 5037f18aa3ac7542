// A lean HTTP/1.1 client on `net` and `tls` sockets: requests encoded once, one request at a time
// per keep-alive connection, responses parsed without decoding what the caller does not ask for.
// Self-contained (no import from the rest of loadgen) so that another package's upstream side can
// use it: `Http1Connection` (with `ResponseCallbacks` for headers and body bytes), `encodeRequest`,
// (the response parser is `@iter8/http1`'s). This index names what loadgen uses today.
export { encodeRequest, unsupportedReason } from "./request.js";
export { Http1Connection, createHttp1Tls } from "./connection.js";
export type { Http1ExchangeHandler, Http1Target } from "./connection.js";
