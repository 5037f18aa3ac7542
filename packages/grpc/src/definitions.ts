import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import protobuf from "protobufjs";
import "protobufjs/ext/descriptor.js";
import { GrpcError } from "./errors.js";
import type { GrpcCallKind } from "./types.js";
import { isUrl, readSource } from "./sources.js";

/** The method a load calls, resolved against its service definition. */
export interface ResolvedMethod {
  /** Every type the definition holds (protobufjs reflection). */
  root: protobuf.Root;
  /** `/pkg.Service/Method`, the HTTP/2 `:path` of every call. */
  path: string;
  /** `pkg.Service.Method`. */
  fullName: string;
  /** `Method`. */
  methodName: string;
  /** `Service` (ghz's `.ServiceName`: the short name). */
  serviceName: string;
  /** `pkg.Service`. */
  serviceFullName: string;
  requestType: protobuf.Type;
  responseType: protobuf.Type;
  kind: GrpcCallKind;
}

/** Where a service definition comes from (at most one of these; reflection when none). */
export interface DefinitionSource {
  proto?: string;
  protoURL?: string;
  protoset?: string;
  importPaths?: string[];
  baseDir: string;
}

const PARSE_OPTIONS = { keepCase: true };

/** Splits `pkg.Service.Method` or `pkg.Service/Method` into the service and the method. */
export function splitCall(call: string): { service: string; method: string } {
  const trimmed = call.trim().replace(/^\//, "");
  const slash = trimmed.lastIndexOf("/");
  const cut = slash >= 0 ? slash : trimmed.lastIndexOf(".");
  const service = cut > 0 ? trimmed.slice(0, cut) : "";
  const method = cut > 0 ? trimmed.slice(cut + 1) : "";
  if (!service || !method || /[\s/]/.test(service) || /[\s./]/.test(method)) {
    throw new GrpcError(
      "ITER8_GRPC_OPTIONS",
      `call must be package.Service.Method or package.Service/Method, got ${JSON.stringify(call)}`,
    );
  }
  return { service, method };
}

/**
 * A `.proto` file with its imports, from a path or an http(s) URL: imports are looked up next to
 * the importing file, then in `importPaths` (files) or relative to the URL (URLs); Google's
 * well-known types come with protobufjs. Errors name the file and line.
 */
export async function loadProto(source: DefinitionSource, entry: string): Promise<protobuf.Root> {
  const root = new protobuf.Root();
  const loaded = new Set<string>();
  const what = isUrl(entry) ? "protoURL" : "proto";
  const load = async (ref: string, importedFrom: string | undefined): Promise<void> => {
    if (loaded.has(ref)) return;
    loaded.add(ref);
    const bytes = await readSource(ref, what, "ITER8_GRPC_PROTO", source.baseDir).catch(
      (error: unknown) => {
        if (importedFrom && error instanceof GrpcError) {
          throw new GrpcError("ITER8_GRPC_PROTO", `${error.message} (imported by ${importedFrom})`);
        }
        throw error;
      },
    );
    let parsed: protobuf.IParserResult;
    try {
      parsed = protobuf.parse(Buffer.from(bytes).toString("utf8"), root, PARSE_OPTIONS);
    } catch (error) {
      throw new GrpcError("ITER8_GRPC_PROTO", parseErrorMessage(ref, source.baseDir, error), {
        cause: error,
      });
    }
    for (const target of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])]) {
      if (target.startsWith("google/protobuf/") && addWellKnown(root, target)) continue;
      await load(resolveImport(source, ref, target, what), ref);
    }
  };
  await load(entry, undefined);
  try {
    root.resolveAll();
  } catch (error) {
    throw new GrpcError("ITER8_GRPC_PROTO", `${what} ${entry}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return root;
}

function addWellKnown(root: protobuf.Root, target: string): boolean {
  const json = protobuf.common.get(target);
  if (!json) return false;
  root.addJSON((json as { nested: Record<string, protobuf.AnyNestedObject> }).nested);
  return true;
}

/** Where `from`'s import of `target` is: beside `from`, then in `importPaths`, then in `baseDir`. */
function resolveImport(
  source: DefinitionSource,
  from: string,
  target: string,
  what: string,
): string {
  if (isUrl(from)) return new URL(target, from).href;
  if (isAbsolute(target)) return target;
  const fromDir = dirname(isAbsolute(from) ? from : resolve(source.baseDir, from));
  const dirs = [
    ...new Set([
      fromDir,
      ...(source.importPaths ?? []).map((dir) => resolve(source.baseDir, dir)),
      resolve(source.baseDir),
    ]),
  ];
  const found = dirs.map((dir) => join(dir, target)).find((candidate) => existsSync(candidate));
  if (found) return found;
  throw new GrpcError(
    "ITER8_GRPC_PROTO",
    `${what}: ${from} imports ${target}, which is in none of ${dirs.join(", ")} (add its folder to importPaths)`,
  );
}

/** protobufjs says `illegal token 'x' (line 3)`; this says `file.proto:3: illegal token 'x'`. */
function parseErrorMessage(ref: string, baseDir: string, error: unknown): string {
  const text = (error as Error).message;
  const file = isUrl(ref) || isAbsolute(ref) ? ref : resolve(baseDir, ref);
  const match = /^(.*?)\s*\((?:[^,()]*,\s*)?line (\d+)\)$/.exec(text);
  if (match) return `${file}:${match[2]}: ${match[1]}`;
  return `${file}: ${text}`;
}

/** A compiled FileDescriptorSet (`protoc -o`, `buf build -o`) as a protobufjs root. */
export function rootFromDescriptorSet(bytes: Uint8Array, what: string): protobuf.Root {
  try {
    const root = protobuf.Root.fromDescriptor(bytes, PARSE_OPTIONS);
    root.resolveAll();
    return root;
  } catch (error) {
    throw new GrpcError(
      "ITER8_GRPC_PROTO",
      `${what} is not a FileDescriptorSet: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The method `call` names, in `root`; errors list what the definition has instead. */
export function resolveMethod(root: protobuf.Root, call: string, where: string): ResolvedMethod {
  const { service: serviceName, method: methodName } = splitCall(call);
  const found = root.lookup(serviceName);
  if (!(found instanceof protobuf.Service)) {
    const services = listServices(root);
    throw new GrpcError(
      "ITER8_GRPC_METHOD",
      `call ${call}: ${where} has no service ${serviceName}; services: ${services.join(", ") || "none"}`,
    );
  }
  const method = found.methods[methodName];
  if (!method) {
    throw new GrpcError(
      "ITER8_GRPC_METHOD",
      `call ${call}: service ${fullNameOf(found)} has no method ${methodName}; methods: ${Object.keys(found.methods).join(", ")}`,
    );
  }
  method.resolve();
  const requestType = method.resolvedRequestType;
  const responseType = method.resolvedResponseType;
  if (!requestType || !responseType) {
    throw new GrpcError(
      "ITER8_GRPC_PROTO",
      `call ${call}: the method's message types do not resolve`,
    );
  }
  const serviceFullName = fullNameOf(found);
  const clientStreaming = method.requestStream === true;
  const serverStreaming = method.responseStream === true;
  return {
    root,
    path: `/${serviceFullName}/${method.name}`,
    fullName: `${serviceFullName}.${method.name}`,
    methodName: method.name,
    serviceName: found.name,
    serviceFullName,
    requestType,
    responseType,
    kind: clientStreaming
      ? serverStreaming
        ? "bidi-stream"
        : "client-stream"
      : serverStreaming
        ? "server-stream"
        : "unary",
  };
}

/** The full name without protobufjs's leading dot. */
export function fullNameOf(object: protobuf.ReflectionObject): string {
  return object.fullName.replace(/^\./, "");
}

function listServices(root: protobuf.Root): string[] {
  const out: string[] = [];
  const walk = (namespace: protobuf.NamespaceBase): void => {
    for (const nested of namespace.nestedArray) {
      if (nested instanceof protobuf.Service) out.push(fullNameOf(nested));
      else if (nested instanceof protobuf.Namespace) walk(nested);
    }
  };
  walk(root);
  return out.sort();
}
