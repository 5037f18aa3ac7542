// The gRPC server of the demo app: helloworld.Greeter with injected latency and errors, server
// reflection and the standard health service. Imported lazily by ./greeter.ts.
import { Buffer } from "node:buffer";
import { createServer as createNetServer } from "node:net";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation, protoPath as HEALTH_PROTO_PATH } from "grpc-health-check";
import { DemoAppListenError } from "./errors.js";
import { GREETER_PROTO_PATH, GREETER_STREAM_REPLIES } from "./greeter.js";
import type { GreeterCall, GreeterLaunch, GreeterMethod, GreeterServer } from "./greeter.js";
import { grpcStatusName } from "./grpc-status.js";

interface HelloRequest {
  name: string;
}
interface HelloReply {
  message: string;
}
/** What every kind of server call has: its metadata, its headers to send, its cancellation. */
interface SurfaceCall {
  metadata: grpc.Metadata;
  sendMetadata(headers: grpc.Metadata): void;
  on(event: "cancelled", listener: () => void): unknown;
}

/** The greeter's and health's definitions, loaded once per process (reflection describes both). */
let definitions: Promise<protoLoader.PackageDefinition> | undefined;

function loadDefinitions(): Promise<protoLoader.PackageDefinition> {
  definitions ??= protoLoader.load([GREETER_PROTO_PATH, HEALTH_PROTO_PATH], {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return definitions;
}

/** Request metadata not echoed back: set by the transport, not by the caller. */
function isTransportKey(key: string): boolean {
  return key.startsWith("grpc-") || key === "user-agent" || key === "te" || key === "content-type";
}

/** An injected error's message, the same words as the HTTP side's. */
const INJECTED_ERROR = "injected error (--error-rate)";

/** Serves one version's Greeter, reflection and health on `host:port`. */
export async function serveGreeter(launch: GreeterLaunch): Promise<GreeterServer> {
  const { host, port, spec, injector } = launch;
  const definition = await loadDefinitions();
  const server = new grpc.Server();
  server.addService(
    definition["helloworld.Greeter"] as grpc.ServiceDefinition,
    greeterHandlers(launch),
  );
  new HealthImplementation({ "": "SERVING", "helloworld.Greeter": "SERVING" }).addToServer(server);
  new ReflectionService(definition).addToServer(server);

  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  let bound: number;
  try {
    await probePort(host, port);
    bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(
        `${hostPart}:${port}`,
        launch.tls
          ? grpc.ServerCredentials.createSsl(null, [
              {
                private_key: Buffer.from(launch.tls.key),
                cert_chain: Buffer.from(launch.tls.cert),
              },
            ])
          : grpc.ServerCredentials.createInsecure(),
        (error, boundPort) => (error ? reject(error) : resolve(boundPort)),
      );
    });
  } catch (error) {
    server.forceShutdown();
    const reason =
      (error as NodeJS.ErrnoException).code ??
      (error instanceof Error ? error.message : String(error));
    throw new DemoAppListenError(
      `demo-app cannot listen for gRPC on ${hostPart}:${port} for version ${spec.name}: ${reason}`,
      /EADDRINUSE/.test(reason)
        ? "the port is taken; choose another with --grpc-port, or turn gRPC off with --no-grpc"
        : undefined,
    );
  }
  let closed: Promise<void> | undefined;
  return {
    version: spec.name,
    port: bound,
    address: `${hostPart}:${bound}`,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        injector.stop();
        server.forceShutdown();
        resolve();
      });
      return closed;
    },
  };
}

/**
 * Binds and releases `host:port` with node:net first, so a taken or forbidden port fails with its
 * errno (as the HTTP side does) rather than grpc-js's logged "No address added" (port 0: no probe).
 */
function probePort(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

/** The four Greeter methods, with this version's label, echo, latency and errors. */
function greeterHandlers(launch: GreeterLaunch): grpc.UntypedServiceImplementation {
  const { spec, injector, onCall } = launch;

  /** Starts a call: sends the reply headers (version label and echoed metadata) and records it. */
  function begin(method: GreeterMethod, call: SurfaceCall): CallRecord {
    const headers = new grpc.Metadata();
    const seen: Record<string, string[]> = {};
    for (const [key, values] of Object.entries<grpc.MetadataValue[]>(call.metadata.toJSON())) {
      seen[key] = values.map((v) => (typeof v === "string" ? v : v.toString("base64")));
      if (isTransportKey(key)) continue;
      for (const value of values) headers.add(key, value);
    }
    headers.set("x-demo-app-version", spec.name);
    call.sendMetadata(headers);
    const record = new CallRecord(method, seen, onCall);
    call.on("cancelled", () => record.finish(grpc.status.CANCELLED));
    return record;
  }

  /** Injected latency, then the error draw: "ok", "error", or "stopped" when the server closes. */
  async function inject(draw: boolean): Promise<"ok" | "error" | "stopped"> {
    if (!(await injector.sleep(injector.nextLatencyMs()))) return "stopped";
    return draw && injector.nextIsError() ? "error" : "ok";
  }

  function injectedError(): Partial<grpc.StatusObject> {
    const trailers = new grpc.Metadata();
    trailers.set("x-demo-app-version", spec.name);
    return {
      code: spec.grpcErrorCode,
      details: `${INJECTED_ERROR}: ${grpcStatusName(spec.grpcErrorCode)}`,
      metadata: trailers,
    };
  }

  return {
    SayHello(
      call: grpc.ServerUnaryCall<HelloRequest, HelloReply>,
      callback: grpc.sendUnaryData<HelloReply>,
    ): void {
      const record = begin("SayHello", call);
      record.names.push(call.request.name);
      void inject(true).then((outcome) => {
        if (outcome === "stopped") return;
        if (outcome === "error") {
          callback(injectedError());
          record.finish(spec.grpcErrorCode);
          return;
        }
        callback(null, { message: `Hello ${call.request.name}` });
        record.finish(grpc.status.OK);
      });
    },

    SayHelloCS(
      call: grpc.ServerReadableStream<HelloRequest, HelloReply>,
      callback: grpc.sendUnaryData<HelloReply>,
    ): void {
      const record = begin("SayHelloCS", call);
      call.on("data", (request: HelloRequest) => record.names.push(request.name));
      call.on("end", () => {
        void inject(true).then((outcome) => {
          if (outcome === "stopped") return;
          if (outcome === "error") {
            callback(injectedError());
            record.finish(spec.grpcErrorCode);
            return;
          }
          callback(null, { message: `Hello count: ${record.names.length}` });
          record.finish(grpc.status.OK);
        });
      });
    },

    SayHellos(call: grpc.ServerWritableStream<HelloRequest, HelloReply>): void {
      const record = begin("SayHellos", call);
      record.names.push(call.request.name);
      void inject(true).then((outcome) => {
        if (outcome === "stopped" || call.cancelled) return;
        if (outcome === "error") {
          call.emit("error", injectedError());
          record.finish(spec.grpcErrorCode);
          return;
        }
        for (let i = 0; i < GREETER_STREAM_REPLIES; i += 1) {
          call.write({ message: `Hello ${call.request.name}` });
        }
        call.end();
        record.finish(grpc.status.OK);
      });
    },

    SayHelloBidi(call: grpc.ServerDuplexStream<HelloRequest, HelloReply>): void {
      const record = begin("SayHelloBidi", call);
      // Requests are answered one at a time, in order, each after its own injected latency; the
      // error draw happens once per call, at its first request.
      let queue: Promise<boolean> = Promise.resolve(true);
      call.on("data", (request: HelloRequest) => {
        record.names.push(request.name);
        const first = record.names.length === 1;
        queue = queue.then(async (going) => {
          if (!going) return false;
          const outcome = await inject(first);
          if (outcome === "stopped" || call.cancelled) return false;
          if (outcome === "error") {
            call.emit("error", injectedError());
            record.finish(spec.grpcErrorCode);
            return false;
          }
          call.write({ message: `Hello ${request.name}` });
          return true;
        });
      });
      call.on("end", () => {
        void queue.then((going) => {
          if (!going || call.cancelled) return;
          call.end();
          record.finish(grpc.status.OK);
        });
      });
    },
  };
}

/** What one call received, reported once to `onCall` when the call ends. */
class CallRecord {
  readonly names: string[] = [];
  #done = false;
  constructor(
    readonly method: GreeterMethod,
    readonly metadata: Record<string, string[]>,
    readonly report: ((call: GreeterCall) => void) | undefined,
  ) {}

  finish(code: number): void {
    if (this.#done) return;
    this.#done = true;
    this.report?.({
      method: this.method,
      metadata: this.metadata,
      names: [...this.names],
      code,
    });
  }
}
