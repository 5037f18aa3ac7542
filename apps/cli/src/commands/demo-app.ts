import type { CommandModule } from "yargs";
import type { CommandContext } from "../context.js";
import type { DemoAppFlags, DemoAppVersion } from "@iter8/demo-app";
import { waitForStop } from "../wait-for-stop.js";

/**
 * `iter8 demo-app`: serves the built-in httpbin-like app and gRPC Greeter to experiment on, one
 * port of each per version, until Ctrl-C (SIGINT), SIGTERM or the context's abort signal.
 */
export function demoAppCommand(ctx: CommandContext): CommandModule {
  return {
    command: "demo-app",
    describe:
      "Serve a built-in HTTP app (httpbin-like, Prometheus metrics) and gRPC Greeter to experiment on",
    builder: (yargs) =>
      yargs
        .option("port", {
          alias: "p",
          type: "string",
          default: "8080",
          describe:
            "Port of the first version; the next versions take the next ports (0: ephemeral)",
        })
        .option("host", {
          type: "string",
          default: "127.0.0.1",
          describe: "Address to bind (0.0.0.0 to listen on every interface)",
        })
        .option("versions", {
          type: "string",
          default: "v1",
          describe: "Comma-separated version names, each served on its own port",
        })
        .option("latency", {
          type: "string",
          array: true,
          describe: "Added latency, per version (v2=20ms) or for all (20ms); Go duration",
        })
        .option("jitter", {
          type: "string",
          array: true,
          describe: "Up to this much more latency, uniformly at random, per version or for all",
        })
        .option("error-rate", {
          type: "string",
          array: true,
          describe:
            "Fraction of requests answered 500 (and gRPC calls failed), per version (v2=0.02) or for all",
        })
        .option("grpc-port", {
          type: "string",
          default: "50051",
          describe:
            "gRPC port of the first version; the next versions take the next ports (0: ephemeral)",
        })
        .option("grpc", {
          type: "boolean",
          default: true,
          describe: "Serve gRPC (helloworld.Greeter, reflection, health); --no-grpc: HTTP only",
        })
        .option("grpc-error-code", {
          type: "string",
          array: true,
          describe:
            "gRPC status of injected errors, per version (v2=INTERNAL) or for all (default: UNAVAILABLE)",
        })
        .option("seed", {
          type: "string",
          describe: "Seed for the error and jitter draws, for reproducible runs",
        })
        .example("$0 demo-app", "serve v1 on http://127.0.0.1:8080 and gRPC on 127.0.0.1:50051")
        .example(
          "$0 demo-app --versions v1,v2 --latency v2=20ms --error-rate v2=0.02",
          "v1 on :8080 and :50051, a slower and flakier v2 on :8081 and :50052",
        ),
    handler: async (argv) => {
      const { resolveDemoAppFlags, startDemoApp } = await import("@iter8/demo-app");
      const options = resolveDemoAppFlags(argv as DemoAppFlags);
      const app = await startDemoApp(options);
      for (const version of app.versions) ctx.io.out(describeListening(version));
      for (const version of app.versions) {
        if (version.grpcAddress !== undefined) {
          ctx.io.out(`demo-app ${version.name} gRPC listening on ${version.grpcAddress}`);
        }
      }
      await waitForStop(ctx.signal);
      await app.close();
      ctx.io.out("demo-app stopped");
      ctx.setExitCode(0);
    },
  };
}

function describeListening(version: DemoAppVersion): string {
  const settings: string[] = [];
  if (version.latencyMs > 0) settings.push(`latency ${version.latencyMs}ms`);
  if (version.jitterMs > 0) settings.push(`jitter ${version.jitterMs}ms`);
  if (version.errorRate > 0) settings.push(`error rate ${version.errorRate}`);
  const suffix = settings.length > 0 ? ` (${settings.join(", ")})` : "";
  return `demo-app ${version.name} listening on ${version.url}${suffix}`;
}
