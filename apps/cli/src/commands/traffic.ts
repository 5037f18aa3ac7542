import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { Argv, CommandModule } from "yargs";
import {
  formatSpecIssue,
  loadRollout,
  loadRouting,
  PROXY_TOKEN_ENV,
  routingJsonSchema,
  validateRoutingFile,
} from "@iter8/spec";
import type { RolloutDecision } from "@iter8/engine";
import type { ProxyEvent } from "@iter8/traffic";
import type { CommandContext } from "../context.js";
import { EXIT_CODES, UsageError } from "../errors.js";
import { withDirOption } from "../experiment-dir.js";
import { waitForStop } from "../wait-for-stop.js";

interface FileArgs {
  dir?: string;
  file: string;
}

interface TokenArgs {
  "admin-token-file"?: string;
}

interface ProxyArgs extends FileArgs, TokenArgs {
  port: string;
  "admin-port": string;
  host: string;
  "admin-host": string;
  "admin-hostname"?: string[];
  watch: boolean;
}

interface RolloutArgs extends FileArgs, TokenArgs {}

interface RenderArgs extends FileArgs {
  target: string;
}

function parsePortFlag(flag: string, value: string): number {
  const port = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new UsageError(`invalid ${flag} value "${value}": expected an integer in 0..65535`);
  }
  return port;
}

function resolveFile(ctx: CommandContext, args: FileArgs): { path: string; shown: string } {
  const path = resolve(ctx.cwd, args.dir ?? ".", args.file);
  return { path, shown: isAbsolute(args.file) ? args.file : relative(ctx.cwd, path) || args.file };
}

/**
 * The admin token from `--admin-token-file` (its content, trimmed) or `ITER8_PROXY_TOKEN`;
 * `undefined` when neither is given. A token that cannot be used is invalid input.
 */
async function readAdminToken(ctx: CommandContext, args: TokenArgs): Promise<string | undefined> {
  const file = args["admin-token-file"];
  let token: string | undefined;
  let source: string;
  if (file !== undefined) {
    source = `--admin-token-file ${file}`;
    try {
      token = (await readFile(resolve(ctx.cwd, file), "utf8")).trim();
    } catch (error) {
      throw new UsageError(
        `cannot read ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  } else {
    source = PROXY_TOKEN_ENV;
    token = ctx.env[PROXY_TOKEN_ENV] || undefined;
  }
  if (token === undefined) return undefined;
  try {
    const { checkAdminToken } = await import("@iter8/traffic");
    return checkAdminToken(token, source);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const tokenFileOption = {
  type: "string",
  describe: `File holding the proxy's admin token (default: the ${PROXY_TOKEN_ENV} environment variable)`,
} as const;

function describeEvent(event: ProxyEvent): string {
  if (event.type === "routing-swapped") {
    return `routing swapped (generation ${event.generation}, from ${event.source === "api" ? "PUT /routing" : event.source})`;
  }
  if (event.type === "routing-written") {
    return `routing generation ${event.generation} written back to ${event.file}`;
  }
  if (event.type === "routing-write-failed") {
    return `routing generation ${event.generation} is in force but could not be written back to ${event.file}: ${event.message}`;
  }
  const first = event.issues[0];
  return `routing from ${event.source === "api" ? "PUT /routing" : "the file"} refused, keeping the current one: ${first ? formatSpecIssue(first) : "invalid"}`;
}

function describeDecision(d: RolloutDecision): string {
  return `${d.time} ${d.action.padEnd(8)} ${String(d.weight).padStart(3)}%  ${d.reason}`;
}

function proxyCommand(ctx: CommandContext): CommandModule<object, ProxyArgs> {
  return {
    command: "proxy",
    describe: "Run the traffic proxy: weighted splits, segments, affinity and mirroring",
    builder: (y) =>
      withDirOption(y, "Directory that --file is relative to (default: the current directory)")
        .option("file", {
          alias: "f",
          type: "string",
          default: "routing.yaml",
          describe: "Routing file",
        })
        .option("port", {
          alias: "p",
          type: "string",
          default: "8080",
          describe: "Port for client traffic",
        })
        .option("admin-port", {
          type: "string",
          default: "9901",
          describe: "Port of the admin API: /metrics, GET|PUT /routing, /stats",
        })
        .option("host", {
          type: "string",
          default: "127.0.0.1",
          describe: "Address for client traffic (0.0.0.0: every interface)",
        })
        .option("admin-host", {
          type: "string",
          default: "127.0.0.1",
          describe: "Address of the admin API; it can change the routing, so keep it private",
        })
        .option("admin-hostname", {
          type: "string",
          array: true,
          describe:
            "Another name the admin API answers to in Host (besides 127.0.0.1, localhost, [::1] and --admin-host)",
        })
        .option("admin-token-file", {
          ...tokenFileOption,
          describe: `File holding the admin API's token (default: ${PROXY_TOKEN_ENV}, else a new random token printed on stderr)`,
        })
        .option("watch", {
          type: "boolean",
          default: true,
          describe: "Swap to the routing file's content when it changes (--no-watch to turn off)",
        })
        .example("$0 traffic proxy -f routing.yaml --port 8080", "route :8080 by routing.yaml"),
    handler: async (argv) => {
      const { startTrafficProxy } = await import("@iter8/traffic");
      const { path, shown } = resolveFile(ctx, argv);
      const adminToken = await readAdminToken(ctx, argv);
      const routing = await loadRouting(path);
      const proxy = await startTrafficProxy({
        routing,
        ...(adminToken !== undefined ? { adminToken } : {}),
        ...(argv["admin-hostname"] ? { adminHostnames: argv["admin-hostname"] } : {}),
        port: parsePortFlag("--port", argv.port),
        adminPort: parsePortFlag("--admin-port", argv["admin-port"]),
        host: argv.host,
        adminHost: argv["admin-host"],
        ...(argv.watch ? { watchFile: path } : {}),
        onEvent: (event) => ctx.io.err(describeEvent(event)),
      });
      ctx.io.out(
        `traffic proxy listening on ${proxy.url} (routing ${shown}, ${routing.routes.length} route${routing.routes.length === 1 ? "" : "s"})`,
      );
      ctx.io.out(`admin API on ${proxy.adminUrl} (/metrics, /routing, /stats)`);
      if (adminToken === undefined) {
        // Printed once, on stderr only: clients send it as Authorization: Bearer <token>.
        ctx.io.err(
          `admin API token: ${proxy.adminToken} (send Authorization: Bearer <token>; iter8 commands read ${PROXY_TOKEN_ENV})`,
        );
      }
      await waitForStop(ctx.signal);
      await proxy.close();
      ctx.io.out("traffic proxy stopped");
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}

function renderCommand(ctx: CommandContext): CommandModule<object, RenderArgs> {
  return {
    command: "render",
    describe: "Print the routing as Istio or Gateway API objects (YAML for kubectl apply)",
    builder: (y) =>
      withDirOption(y, "Directory that --file is relative to (default: the current directory)")
        .option("file", {
          alias: "f",
          type: "string",
          default: "routing.yaml",
          describe: "Routing file",
        })
        .option("target", {
          alias: "t",
          type: "string",
          default: "istio",
          describe: "istio (VirtualService + DestinationRule) or gateway-api (HTTPRoute)",
        })
        .example("$0 traffic render --target gateway-api -f routing.yaml | kubectl apply -f -", ""),
    handler: async (argv) => {
      const { formatManifests, renderRouting } = await import("@iter8/traffic");
      if (argv.target !== "istio" && argv.target !== "gateway-api") {
        throw new UsageError(
          `invalid --target value "${argv.target}": expected istio or gateway-api`,
        );
      }
      const { path, shown } = resolveFile(ctx, argv);
      const result = await validateRoutingFile(path);
      if (!result.ok) {
        for (const issue of result.issues) ctx.io.err(formatSpecIssue({ ...issue, file: shown }));
        ctx.io.err(`${shown} is invalid`);
        ctx.setExitCode(EXIT_CODES.invalid);
        return;
      }
      const rendered = renderRouting(result.value, argv.target);
      for (const warning of rendered.warnings) ctx.io.err(`warning: ${warning}`);
      ctx.io.out(formatManifests(rendered.objects));
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}

function rolloutCommand(ctx: CommandContext): CommandModule<object, RolloutArgs> {
  return {
    command: "rollout",
    describe: "Raise a candidate's weight step by step on a running proxy, gated by SLOs",
    builder: (y) =>
      withDirOption(y, "Directory that --file is relative to (default: the current directory)")
        .option("file", {
          alias: "f",
          type: "string",
          default: "rollout.yaml",
          describe: "Rollout file",
        })
        .option("admin-token-file", tokenFileOption)
        .epilogue(
          "Exit codes: 0 the candidate reached its last step, 1 it was rolled back, 2 invalid input, 130 interrupted.",
        ),
    handler: async (argv) => {
      const [{ runRollout }, { formatManifests, renderRouting }] = await Promise.all([
        import("@iter8/engine"),
        import("@iter8/traffic"),
      ]);
      const { path } = resolveFile(ctx, argv);
      const adminToken = await readAdminToken(ctx, argv);
      const spec = await loadRollout(path);
      const base = dirname(path);
      const resultFile = resolve(base, spec.result);
      const emit = spec.emit;
      const emitDir = emit ? resolve(base, emit.dir) : undefined;
      let step = 0;
      const result = await runRollout(spec, {
        ...(adminToken !== undefined ? { adminToken } : {}),
        resultFile,
        baseDir: base,
        env: ctx.env,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
        onDecision: (decision) => ctx.io.out(describeDecision(decision)),
        ...(emit && emitDir
          ? {
              onRouting: async (routing, weight) => {
                await mkdir(emitDir, { recursive: true });
                const file = join(
                  emitDir,
                  `step-${String(++step).padStart(2, "0")}-${weight}.yaml`,
                );
                await writeFile(file, formatManifests(renderRouting(routing, emit.target).objects));
              },
            }
          : {}),
      });
      ctx.io.out(
        `rollout ${result.state}; decisions in ${relative(ctx.cwd, resultFile) || resultFile}`,
      );
      ctx.setExitCode(
        result.state === "promoted"
          ? EXIT_CODES.ok
          : result.state === "aborted"
            ? EXIT_CODES.interrupted
            : EXIT_CODES.failed,
      );
    },
  };
}

function schemaCommand(ctx: CommandContext): CommandModule {
  return {
    command: "schema",
    describe: "Print the JSON Schema of routing.yaml (for editor completion)",
    builder: (y) =>
      y.example(
        "$0 traffic schema > routing.schema.json",
        "then start routing.yaml with # yaml-language-server: $schema=routing.schema.json",
      ),
    handler: () => {
      ctx.io.out(JSON.stringify(routingJsonSchema(), null, 2));
      ctx.setExitCode(EXIT_CODES.ok);
    },
  };
}

/** `iter8 traffic`: the traffic proxy, its Kubernetes renderings, and metric-gated rollouts. */
export function trafficCommand(ctx: CommandContext): CommandModule {
  return {
    command: "traffic <command>",
    describe: "Traffic engineering: proxy, render, rollout, schema",
    builder: (y: Argv) =>
      y
        .command(proxyCommand(ctx) as unknown as CommandModule)
        .command(renderCommand(ctx) as unknown as CommandModule)
        .command(rolloutCommand(ctx) as unknown as CommandModule)
        .command(schemaCommand(ctx))
        .demandCommand(1, "name a traffic command: proxy, render, rollout or schema"),
    handler: () => undefined,
  };
}
