import { Buffer } from "node:buffer";
import { constants } from "node:fs";
import type { Stats } from "node:fs";
import { open, stat } from "node:fs/promises";
import { resolve as resolvePath } from "node:path";
import { LoadgenError } from "./errors.js";

/** Where a request body comes from (the `gen-load-and-collect-metrics` inputs). */
export interface PayloadSource {
  payloadStr?: string;
  payloadFile?: string;
  payloadURL?: string;
}

/** How a payload is read. */
export interface PayloadOptions {
  /** Relative `payloadFile` paths resolve against this directory (default: the working directory). */
  baseDir?: string;
  /** Largest payload accepted, in bytes (default 10 MiB). */
  maxBytes?: number;
  /** Time allowed to fetch `payloadURL` (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The default payload size cap: 10 MiB. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

function payloadError(message: string, cause?: unknown): LoadgenError {
  return new LoadgenError(
    "ITER8_LOAD_PAYLOAD",
    message,
    cause === undefined ? undefined : { cause },
  );
}

function describeCause(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; cause?: unknown };
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const code =
    typeof e.code === "string" ? e.code : typeof cause?.code === "string" ? cause.code : "";
  const message = typeof e.message === "string" ? e.message : String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}

/**
 * Reads the request body once, before any load: `payloadStr` as UTF-8, `payloadFile` from disk
 * (relative to `baseDir`), or `payloadURL` fetched over HTTP(S) (following redirects). At most one
 * source may be given. Resolves `undefined` without a source. Throws `LoadgenError`
 * (`ITER8_LOAD_PAYLOAD`) naming the source when it cannot be read, fails, or exceeds `maxBytes`.
 */
export async function resolvePayload(
  source: PayloadSource,
  options: PayloadOptions = {},
): Promise<Uint8Array | undefined> {
  const maxBytes = options.maxBytes ?? MAX_PAYLOAD_BYTES;
  const given = (["payloadStr", "payloadFile", "payloadURL"] as const).filter(
    (key) => source[key] !== undefined,
  );
  if (given.length > 1) {
    throw payloadError(`give one payload source, not ${given.join(" and ")}`);
  }
  const tooLarge = (what: string): LoadgenError =>
    payloadError(`${what} is larger than the ${maxBytes}-byte payload limit`);

  if (source.payloadStr !== undefined) {
    const bytes = Buffer.from(source.payloadStr, "utf8");
    if (bytes.byteLength > maxBytes) throw tooLarge("payloadStr");
    return bytes;
  }
  if (source.payloadFile !== undefined) {
    return readPayloadFile(resolvePath(options.baseDir ?? process.cwd(), source.payloadFile), {
      maxBytes,
      tooLarge,
      name: source.payloadFile,
    });
  }
  if (source.payloadURL !== undefined) {
    return fetchPayload(source.payloadURL, {
      maxBytes,
      tooLarge,
      timeoutMs: options.timeoutMs ?? 30_000,
      signal: options.signal,
    });
  }
  return undefined;
}

/** What a payload file is when it is not a regular file, for the error message. */
function describeFileKind(stats: Stats): string {
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  return "not a regular file";
}

// Opening a FIFO for reading waits for a writer, and reading a device may never end: either would
// hold the run (and the Ctrl-C that should end it) for good. So only regular files are read: checked
// before opening, opened without blocking (in case the path is swapped in between), checked again.
async function readPayloadFile(
  path: string,
  limits: { maxBytes: number; tooLarge: (what: string) => LoadgenError; name: string },
): Promise<Uint8Array> {
  const notRegular = (stats: Stats): LoadgenError =>
    payloadError(
      `payloadFile ${limits.name} is ${describeFileKind(stats)}; expected a regular file`,
    );
  let handle;
  try {
    const before = await stat(path);
    if (!before.isFile()) throw notRegular(before);
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error instanceof LoadgenError) throw error;
    throw payloadError(`cannot read payloadFile ${limits.name}: ${describeCause(error)}`, error);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegular(stats);
    if (stats.size > limits.maxBytes) throw limits.tooLarge(`payloadFile ${limits.name}`);
    return await handle.readFile();
  } catch (error) {
    if (error instanceof LoadgenError) throw error;
    throw payloadError(`cannot read payloadFile ${limits.name}: ${describeCause(error)}`, error);
  } finally {
    await handle.close();
  }
}

async function fetchPayload(
  url: string,
  limits: {
    maxBytes: number;
    tooLarge: (what: string) => LoadgenError;
    timeoutMs: number;
    signal: AbortSignal | undefined;
  },
): Promise<Uint8Array> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw payloadError(`payloadURL ${JSON.stringify(url)} is not an absolute URL`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw payloadError(`payloadURL ${url} must use http or https`);
  }
  const signals = [AbortSignal.timeout(limits.timeoutMs)];
  if (limits.signal) signals.push(limits.signal);
  try {
    // Node's built-in fetch (follows redirects); loaded only when a payload URL is used.
    const response = await fetch(parsed, { signal: AbortSignal.any(signals) });
    if (!response.ok) {
      await response.body?.cancel();
      throw payloadError(`payloadURL ${url} answered HTTP ${response.status}`);
    }
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body?.cancel();
      throw limits.tooLarge(`payloadURL ${url}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body?.getReader() as
      ReadableStreamDefaultReader<Uint8Array> | undefined;
    for (;;) {
      const next = await reader?.read();
      if (!next || next.done) break;
      size += next.value.byteLength;
      if (size > limits.maxBytes) {
        await reader?.cancel();
        throw limits.tooLarge(`payloadURL ${url}`);
      }
      chunks.push(next.value);
    }
    return Buffer.concat(chunks, size);
  } catch (error) {
    if (error instanceof LoadgenError) throw error;
    throw payloadError(`cannot fetch payloadURL ${url}: ${describeCause(error)}`, error);
  }
}
