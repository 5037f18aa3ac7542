import { readFile } from "node:fs/promises";
import { isAbsolute, resolve } from "node:path";
import { GrpcError } from "./errors.js";
import type { GrpcErrorCode } from "./errors.js";

/** Time allowed for fetching one file over http(s). */
const FETCH_TIMEOUT_MS = 10_000;
/** Largest file read for a service definition, messages or metadata. */
const MAX_BYTES = 16 * 1024 * 1024;

/** True for an http(s) URL (anything else is a path). */
export function isUrl(ref: string): boolean {
  return /^https?:\/\//i.test(ref);
}

/**
 * The bytes of a file or an http(s) URL; `what` names the option in errors (e.g. `protoURL`).
 * Relative paths resolve against `baseDir`.
 */
export async function readSource(
  ref: string,
  what: string,
  code: GrpcErrorCode,
  baseDir: string,
): Promise<Uint8Array> {
  if (isUrl(ref)) {
    let response: Response;
    try {
      response = await fetch(ref, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (error) {
      throw new GrpcError(code, `${what}: cannot fetch ${ref}: ${describeFetchError(error)}`, {
        cause: error,
      });
    }
    if (!response.ok) {
      throw new GrpcError(code, `${what}: ${ref} answered HTTP ${response.status}`);
    }
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > MAX_BYTES) {
      throw new GrpcError(code, `${what}: ${ref} is larger than ${MAX_BYTES} bytes`);
    }
    return bytes;
  }
  const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
  try {
    const bytes = await readFile(path);
    if (bytes.byteLength > MAX_BYTES) {
      throw new GrpcError(code, `${what}: ${path} is larger than ${MAX_BYTES} bytes`);
    }
    return bytes;
  } catch (error) {
    if (error instanceof GrpcError) throw error;
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new GrpcError(code, `${what}: cannot read ${path}: ${reason}`, { cause: error });
  }
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if (cause?.message) return cause.message;
  if ((error as Error).name === "TimeoutError") return `no answer within ${FETCH_TIMEOUT_MS} ms`;
  return (error as Error).message;
}
