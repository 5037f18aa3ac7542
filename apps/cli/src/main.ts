import yargs from "yargs";
import type { CommandContext } from "./context.js";
import { describeError, EXIT_CODES } from "./errors.js";
import type { ExitCode } from "./errors.js";
import { processIO } from "./io.js";
import type { CliIO } from "./io.js";
import { abnCommand } from "./commands/abn.js";
import { assertCommand } from "./commands/assert.js";
import { demoAppCommand } from "./commands/demo-app.js";
import { genCommand } from "./commands/gen.js";
import { hubCommand } from "./commands/hub.js";
import { kCommand } from "./commands/k.js";
import { reportCommand } from "./commands/report.js";
import { runCommand } from "./commands/run.js";
import { schemaCommand } from "./commands/schema.js";
import { trafficCommand } from "./commands/traffic.js";
import { validateCommand } from "./commands/validate.js";
import { versionCommand } from "./commands/version.js";
import { cliVersion } from "./version.js";

/** Options for `main`, so tests can run the CLI in-process. */
export interface MainOptions {
  io?: CliIO;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C; commands stop and keep what they measured. */
  signal?: AbortSignal;
  /** True when progress goes to a terminal (a live progress line is drawn). */
  isTTY?: boolean;
  /**
   * Called (and awaited) by commands that generate load (`run`) before they start. The executable
   * passes a function that imports `@iter8/loadgen/runtime-flags` and calls `applyLoadProcessFlags`
   * (process-wide V8 flags that keep a load generator's memory flat); in-process callers such as
   * tests leave it out.
   */
  prepareForLoad?: () => void | Promise<void>;
}

/**
 * Runs the `iter8` command line with `argv` (without `node` and the script) and resolves with the
 * exit code. Never calls `process.exit`.
 */
export async function main(argv: string[], options: MainOptions = {}): Promise<ExitCode> {
  const io = options.io ?? processIO;
  let exitCode: ExitCode = EXIT_CODES.ok;
  const ctx: CommandContext = {
    io,
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    setExitCode: (code) => {
      exitCode = code;
    },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.isTTY !== undefined ? { isTTY: options.isTTY } : {}),
    ...(options.prepareForLoad ? { prepareForLoad: options.prepareForLoad } : {}),
  };
  const debug = isDebug(argv);

  const cli = yargs(argv)
    .scriptName("iter8")
    .usage("$0 <command> [options]\n\nMetrics-driven experiments and release engineering.")
    .option("log-level", {
      alias: "l",
      choices: ["error", "warn", "info", "debug"] as const,
      default: "info",
      describe: "How much to log; debug also shows stack traces",
      global: true,
    })
    .command(hubCommand(ctx))
    .command(runCommand(ctx))
    .command(assertCommand(ctx))
    .command(genCommand(ctx))
    .command(reportCommand(ctx))
    .command(validateCommand(ctx))
    .command(schemaCommand(ctx))
    .command(trafficCommand(ctx))
    .command(abnCommand(ctx))
    .command(demoAppCommand(ctx))
    .command(kCommand(ctx))
    .command(versionCommand(ctx))
    .demandCommand(1, "Name a command; see iter8 --help.")
    .strict()
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version("version", "Print the version of iter8", cliVersion())
    .wrap(Math.min(100, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageFailure(message);
    });

  try {
    await cli.parseAsync(argv, {}, (_err, _argv, output) => {
      if (output) io.out(output);
    });
    return exitCode;
  } catch (error) {
    if (error instanceof UsageFailure) {
      io.err(`Error: ${error.message}`);
      io.err("Hint: run iter8 --help for usage.");
      return EXIT_CODES.invalid;
    }
    const { lines, exitCode: code } = describeError(error, debug);
    for (const line of lines) io.err(line);
    return code;
  }
}

class UsageFailure extends Error {}

/** `--log-level debug`, `--log-level=debug` or `-l debug`, looked up before yargs parses. */
function isDebug(argv: string[]): boolean {
  return argv.some(
    (arg, i) =>
      arg === "--log-level=debug" ||
      arg === "-l=debug" ||
      ((arg === "--log-level" || arg === "-l") && argv[i + 1] === "debug"),
  );
}
