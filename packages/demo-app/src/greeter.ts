// The demo app's gRPC service, as a public API that does not load gRPC: the proto's path, the
// options and the handle. The server itself (./grpc-server.ts, with @grpc/grpc-js, proto-loader,
// reflection and health) is imported on first start: loading it takes about 0.3 s.
import { fileURLToPath } from "node:url";
import { DemoAppOptionError } from "./errors.js";
import { FaultInjector } from "./injection.js";
import { normalizeVersion } from "./versions.js";
import type { DemoAppVersionSpec } from "./versions.js";

/**
 * Absolute path of `greeter.proto`, which ships with this package: `helloworld.Greeter` exactly as
 * ghz's testdata/greeter.proto defines it (SayHello, SayHelloCS, SayHellos, SayHelloBidi).
 */
export const GREETER_PROTO_PATH = fileURLToPath(new URL("../proto/greeter.proto", import.meta.url));

/** The gRPC port of the first version when none is given; later versions take the next ports. */
export const DEFAULT_DEMO_APP_GRPC_PORT = 50051;

/** How many replies `SayHellos` (server streaming) sends per call. */
export const GREETER_STREAM_REPLIES = 4;

/** The methods of `helloworld.Greeter`. */
export type GreeterMethod = "SayHello" | "SayHelloCS" | "SayHellos" | "SayHelloBidi";

/** One finished call, as the server saw it (for tests of clients and load generators). */
export interface GreeterCall {
  /** The method called. */
  method: GreeterMethod;
  /** The request metadata, by lower-case key; values of `-bin` keys in base64. */
  metadata: Record<string, string[]>;
  /** The `name` of every request message received, in order. */
  names: string[];
  /** The status code the call ended with: 0 (OK), the injected error's code, or 1 if cancelled. */
  code: number;
}

/** Options of `startGreeterServer`. */
export interface GreeterServerOptions {
  /** Address to bind (default `127.0.0.1`). */
  host?: string;
  /** Port to bind (default 50051); `0` for a free port. */
  port?: number;
  /** The version served: its name labels replies, its latency and error rate apply (default `"v1"`). */
  version?: string | DemoAppVersionSpec;
  /** Seed for the error and jitter draws, for reproducible runs (default: `Math.random`). */
  seed?: number;
  /** Called once per call when it ends, with what the server received and the status it sent. */
  onCall?: (call: GreeterCall) => void;
  /** Serve over TLS with this key and certificate (PEM) instead of plaintext. */
  tls?: { key: string; cert: string };
}

/** A running gRPC Greeter server. */
export interface GreeterServer {
  /** The version it serves. */
  version: string;
  /** The bound port. */
  port: number;
  /** `host:port` to dial, e.g. `127.0.0.1:50051` (IPv6 hosts in brackets). */
  address: string;
  /** Stops the server: cancels calls in progress and cuts injected latency short. */
  close: () => Promise<void>;
}

/** What the server needs to serve one version (internal: `startGreeterServer` and `startDemoApp`). */
export interface GreeterLaunch {
  host: string;
  port: number;
  spec: Required<DemoAppVersionSpec>;
  injector: FaultInjector;
  onCall: ((call: GreeterCall) => void) | undefined;
  /** TLS key and certificate (PEM); plaintext when absent. */
  tls?: { key: string; cert: string } | undefined;
}

/** The random streams of version `index`'s gRPC draws: apart from its HTTP draws (2i, 2i+1). */
const GRPC_STREAM_BASE = 0x10000;

/** The fault injector of version `index`'s gRPC server. */
export function createGrpcInjector(
  spec: Required<DemoAppVersionSpec>,
  seed: number | undefined,
  index: number,
): FaultInjector {
  return new FaultInjector(
    spec,
    seed,
    GRPC_STREAM_BASE + index * 2,
    GRPC_STREAM_BASE + index * 2 + 1,
  );
}

/** Loads gRPC (once) and serves one version; rejects with `DemoAppListenError` if it cannot bind. */
export async function launchGreeter(launch: GreeterLaunch): Promise<GreeterServer> {
  const { serveGreeter } = await import("./grpc-server.js");
  return serveGreeter(launch);
}

/**
 * Starts the demo app's gRPC server alone, for one version: `helloworld.Greeter`, server
 * reflection (v1 and v1alpha) and `grpc.health.v1.Health`, plaintext unless `tls` is given. Rejects with
 * `DemoAppOptionError` on an invalid option and `DemoAppListenError` when the port cannot be bound.
 */
export async function startGreeterServer(
  options: GreeterServerOptions = {},
): Promise<GreeterServer> {
  const spec = normalizeVersion(options.version ?? "v1");
  const port = options.port ?? DEFAULT_DEMO_APP_GRPC_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new DemoAppOptionError(`gRPC port ${port} is not an integer in 0..65535`);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) {
    throw new DemoAppOptionError(`seed ${options.seed} is not an integer`);
  }
  return launchGreeter({
    host: options.host ?? "127.0.0.1",
    port,
    spec,
    injector: createGrpcInjector(spec, options.seed, 0),
    onCall: options.onCall,
    tls: options.tls,
  });
}
