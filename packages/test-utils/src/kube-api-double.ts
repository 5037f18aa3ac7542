import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A small stand-in for the Kubernetes API server on 127.0.0.1 (HTTPS, with a certificate made
// for the run by openssl and handed to clients as the kubeconfig's certificate authority), for what iter8 uses: the real REST
// paths and JSON of Secrets, ServiceAccounts, Roles, RoleBindings, Jobs and Pods (create, get,
// list with equality label selectors, replace with resourceVersion conflicts, JSON merge patch,
// delete, pod logs), RBAC for ServiceAccount tokens (namespaced Roles only), a Job controller and
// a scripted "kubelet" that runs each pod's container as a local process. What it does not model
// is listed in docs/kubernetes.md ("The API double").

/** A Kubernetes object as JSON. */
export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    creationTimestamp?: string;
    ownerReferences?: { kind: string; name: string; uid: string }[];
    deletionTimestamp?: string;
  };
} & Record<string, unknown>;

/** How the kubelet double runs a pod's container. */
export interface KubeletScript {
  /** The executable and leading arguments standing in for the image's entrypoint (`iter8`). */
  entrypoint: string[];
  /** Extra environment for every pod process (e.g. PATH). */
  env?: Record<string, string>;
  /** A different entrypoint for some pods (e.g. one that crashes), else `entrypoint`. */
  entrypointFor?: (pod: { name: string; index: number | undefined }) => string[] | undefined;
  /** Leave this pod Pending forever (a pod that never starts: no node, image never pulled). */
  neverStart?: (pod: { name: string; index: number | undefined }) => boolean;
}

/** Options of {@link startKubeApiDouble}. */
export interface KubeApiDoubleOptions {
  kubelet?: KubeletScript;
}

/** A running API double. */
export interface KubeApiDouble {
  url: string;
  /** The bearer token of the cluster admin (the user of {@link writeKubeconfig}). */
  adminToken: string;
  /**
   * Writes a kubeconfig (context `double`, namespace `namespace`) for the admin, or for a
   * ServiceAccount of that namespace (as its pods would be), and returns its path.
   */
  writeKubeconfig(namespace?: string, serviceAccount?: string): string;
  /** Every object of a resource (`secrets`, `jobs`, ...) in a namespace, as stored. */
  objects(resource: string, namespace?: string): KubeObject[];
  /** The requests seen, as `METHOD path` with the caller (`admin` or the ServiceAccount). */
  requests: { method: string; path: string; caller: string; status: number }[];
  close(): Promise<void>;
}

type Resource = "secrets" | "serviceaccounts" | "pods" | "jobs" | "roles" | "rolebindings";

const KINDS: Record<Resource, { kind: string; apiVersion: string; group: string }> = {
  secrets: { kind: "Secret", apiVersion: "v1", group: "" },
  serviceaccounts: { kind: "ServiceAccount", apiVersion: "v1", group: "" },
  pods: { kind: "Pod", apiVersion: "v1", group: "" },
  jobs: { kind: "Job", apiVersion: "batch/v1", group: "batch" },
  roles: {
    kind: "Role",
    apiVersion: "rbac.authorization.k8s.io/v1",
    group: "rbac.authorization.k8s.io",
  },
  rolebindings: {
    kind: "RoleBinding",
    apiVersion: "rbac.authorization.k8s.io/v1",
    group: "rbac.authorization.k8s.io",
  },
};

const PATH = new RegExp(
  "^/(?:api/v1|apis/(batch|rbac\\.authorization\\.k8s\\.io)/v1)/namespaces/([a-z0-9-]+)/" +
    "(secrets|serviceaccounts|pods|jobs|roles|rolebindings)(?:/([a-z0-9.-]+)(?:/(log))?)?$",
);

const MAX_SECRET_BYTES = 1024 * 1024;
const INDEX = "batch.kubernetes.io/job-completion-index";

class HttpFailure extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

interface PodRun {
  process?: ChildProcess;
  log: string[];
  dir: string;
}

/** Starts the double on 127.0.0.1 at an ephemeral port. */
export async function startKubeApiDouble(
  options: KubeApiDoubleOptions = {},
): Promise<KubeApiDouble> {
  const store = new Map<string, KubeObject>();
  const runs = new Map<string, PodRun>();
  const adminToken = randomBytes(16).toString("hex");
  const saTokens = new Map<string, string>(); // token -> "namespace/serviceaccount"
  const requests: KubeApiDouble["requests"] = [];
  const tempDirs: string[] = [];
  let version = 1;
  let closing = false;

  const key = (resource: Resource, namespace: string, name: string) =>
    `${resource}/${namespace}/${name}`;
  const list = (resource: Resource, namespace: string) =>
    [...store.entries()]
      .filter(([k]) => k.startsWith(`${resource}/${namespace}/`))
      .map(([, v]) => v);

  const save = (resource: Resource, namespace: string, object: KubeObject): KubeObject => {
    const meta = object.metadata ?? {};
    const stored: KubeObject = {
      ...object,
      apiVersion: KINDS[resource].apiVersion,
      kind: KINDS[resource].kind,
      metadata: { ...meta, namespace, resourceVersion: String(++version) },
    };
    if (resource === "secrets") normaliseSecret(stored);
    store.set(key(resource, namespace, meta.name ?? ""), stored);
    return stored;
  };

  const create = (resource: Resource, namespace: string, body: KubeObject): KubeObject => {
    const name = body.metadata?.name;
    if (!name)
      throw new HttpFailure(
        422,
        "Invalid",
        `${KINDS[resource].kind}: metadata.name: Required value`,
      );
    if (store.has(key(resource, namespace, name))) {
      throw new HttpFailure(409, "AlreadyExists", `${resource} "${name}" already exists`);
    }
    const object = save(resource, namespace, {
      ...body,
      metadata: {
        ...body.metadata,
        uid: randomUUID(),
        creationTimestamp: new Date().toISOString(),
      },
    });
    if (resource === "jobs") startJob(namespace, object);
    return object;
  };

  const get = (resource: Resource, namespace: string, name: string): KubeObject => {
    const object = store.get(key(resource, namespace, name));
    if (!object) throw new HttpFailure(404, "NotFound", `${resource} "${name}" not found`);
    return object;
  };

  // --- the Job controller and the kubelet ---

  function startJob(namespace: string, job: KubeObject): void {
    const spec = job.spec as {
      completions?: number;
      completionMode?: string;
      template: { metadata?: { labels?: Record<string, string> }; spec: Record<string, unknown> };
    };
    const indexed = spec.completionMode === "Indexed";
    const jobName = job.metadata?.name ?? "";
    for (let i = 0; i < (spec.completions ?? 1); i++) {
      const name = `${jobName}-${indexed ? `${i}-` : ""}${randomBytes(3).toString("hex").slice(0, 5)}`;
      const labels: Record<string, string> = {
        ...spec.template.metadata?.labels,
        "job-name": jobName,
        ...(indexed ? { [INDEX]: String(i) } : {}),
      };
      const pod = create("pods", namespace, {
        metadata: {
          name,
          labels,
          ...(indexed ? { annotations: { [INDEX]: String(i) } } : {}),
          ownerReferences: [{ kind: "Job", name: jobName, uid: job.metadata?.uid ?? "" }],
        },
        spec: spec.template.spec,
        status: { phase: "Pending" },
      });
      if (!options.kubelet?.neverStart?.({ name, index: indexed ? i : undefined })) {
        setImmediate(() => runPod(namespace, pod));
      }
    }
    updateJob(namespace, jobName);
  }

  function podsOf(namespace: string, jobName: string): KubeObject[] {
    return list("pods", namespace).filter((p) => p.metadata?.labels?.["job-name"] === jobName);
  }

  function updateJob(namespace: string, jobName: string): void {
    const job = store.get(key("jobs", namespace, jobName));
    if (!job) return;
    const spec = job.spec as { completions?: number; backoffLimit?: number };
    const pods = podsOf(namespace, jobName);
    const phase = (p: KubeObject) => (p.status as { phase?: string } | undefined)?.phase;
    const succeeded = pods.filter((p) => phase(p) === "Succeeded").length;
    const failed = pods.filter((p) => phase(p) === "Failed").length;
    const active = pods.filter((p) => phase(p) === "Pending" || phase(p) === "Running").length;
    const conditions: Record<string, string>[] = [];
    const now = new Date().toISOString();
    if (failed > (spec.backoffLimit ?? 6)) {
      conditions.push({
        type: "Failed",
        status: "True",
        reason: "BackoffLimitExceeded",
        message: "Job has reached the specified backoff limit",
        lastTransitionTime: now,
      });
      // As the Job controller does: the pods still active are deleted.
      for (const pod of pods)
        if (phase(pod) === "Pending" || phase(pod) === "Running") deletePod(namespace, pod);
    } else if (succeeded >= (spec.completions ?? 1)) {
      conditions.push({ type: "Complete", status: "True", lastTransitionTime: now });
    }
    const previous = (job.status as { conditions?: unknown[] } | undefined)?.conditions;
    save("jobs", namespace, {
      ...job,
      status: {
        active,
        succeeded,
        failed,
        ...(conditions.length > 0 ? { conditions } : previous ? { conditions: previous } : {}),
      },
    });
  }

  function setPodStatus(namespace: string, name: string, status: Record<string, unknown>): void {
    const pod = store.get(key("pods", namespace, name));
    if (!pod) return;
    save("pods", namespace, { ...pod, status });
    const jobName = pod.metadata?.labels?.["job-name"];
    if (jobName) updateJob(namespace, jobName);
  }

  function runPod(namespace: string, pod: KubeObject): void {
    const name = pod.metadata?.name ?? "";
    if (closing || !store.has(key("pods", namespace, name))) return;
    const kubelet = options.kubelet;
    const spec = pod.spec as {
      serviceAccountName?: string;
      containers: { args?: string[]; command?: string[]; env?: EnvVar[] }[];
    };
    const container = spec.containers[0];
    // Without a kubelet script the pod stays Pending, as on a cluster with no node for it.
    if (!kubelet || !container) return;
    const dir = mkdtempSync(join(tmpdir(), `iter8-pod-${name}-`));
    tempDirs.push(dir);
    const run: PodRun = { log: [], dir };
    runs.set(key("pods", namespace, name), run);
    const env: Record<string, string> = { ...kubelet.env };
    for (const variable of container.env ?? []) {
      env[variable.name] =
        variable.value !== undefined ? expand(variable.value, env) : fieldValue(variable, pod);
    }
    // The pod's credentials: a kubeconfig for its ServiceAccount stands in for the mounted token.
    const serviceAccount = spec.serviceAccountName ?? "default";
    const token = randomBytes(16).toString("hex");
    saTokens.set(token, `${namespace}/${serviceAccount}`);
    env.KUBECONFIG = writeConfig(join(dir, "kubeconfig"), token, namespace);
    const args = [...(container.command ?? []), ...(container.args ?? [])].map((a) =>
      expand(a, env),
    );
    const indexText = pod.metadata?.annotations?.[INDEX];
    const index = indexText !== undefined ? Number(indexText) : undefined;
    const entrypoint = kubelet.entrypointFor?.({ name, index }) ?? kubelet.entrypoint;
    const [file, ...lead] = entrypoint as [string, ...string[]];
    const child = spawn(file, [...lead, ...args], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    run.process = child;
    const collect = (chunk: Buffer) => run.log.push(chunk.toString("utf8"));
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    setPodStatus(namespace, name, { phase: "Running", startTime: new Date().toISOString() });
    child.on("close", (code, signal) => {
      run.process = undefined;
      const stored = store.get(key("pods", namespace, name));
      if (!stored) return;
      if (stored.metadata?.deletionTimestamp) {
        store.delete(key("pods", namespace, name));
        return;
      }
      const exitCode = code ?? (signal ? 137 : 1);
      setPodStatus(namespace, name, {
        phase: exitCode === 0 ? "Succeeded" : "Failed",
        containerStatuses: [
          {
            name: "iter8",
            state: { terminated: { exitCode, reason: exitCode === 0 ? "Completed" : "Error" } },
          },
        ],
      });
    });
  }

  function deletePod(namespace: string, pod: KubeObject): void {
    const k = key("pods", namespace, pod.metadata?.name ?? "");
    const run = runs.get(k);
    if (run?.process) {
      save("pods", namespace, {
        ...pod,
        metadata: { ...pod.metadata, deletionTimestamp: new Date().toISOString() },
      });
      run.process.kill("SIGTERM");
      const killer = setTimeout(() => run.process?.kill("SIGKILL"), 10_000);
      run.process.once("close", () => clearTimeout(killer));
    } else {
      store.delete(k);
    }
  }

  function writeConfig(file: string, token: string, namespace: string): string {
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          {
            name: "double",
            cluster: {
              server: url,
              "certificate-authority-data": Buffer.from(tls.cert).toString("base64"),
            },
          },
        ],
        users: [{ name: "user", user: { token } }],
        contexts: [{ name: "double", context: { cluster: "double", user: "user", namespace } }],
        "current-context": "double",
      }),
    );
    return file;
  }

  // --- RBAC ---

  function authorize(
    token: string | undefined,
    namespace: string,
    resource: string,
    verb: string,
    name?: string,
  ): string {
    if (token === adminToken) return "admin";
    const subject = token !== undefined ? saTokens.get(token) : undefined;
    if (!subject) throw new HttpFailure(401, "Unauthorized", "Unauthorized");
    const [saNamespace, saName] = subject.split("/") as [string, string];
    const group = KINDS[resource.split("/")[0] as Resource].group;
    const allowed =
      saNamespace === namespace &&
      list("rolebindings", namespace).some((binding) => {
        const b = binding as unknown as {
          roleRef: { kind: string; name: string };
          subjects?: { kind: string; name: string; namespace?: string }[];
        };
        if (b.roleRef.kind !== "Role") return false;
        const boundHere = (b.subjects ?? []).some(
          (s) =>
            s.kind === "ServiceAccount" &&
            s.name === saName &&
            (s.namespace ?? namespace) === saNamespace,
        );
        const role = store.get(key("roles", namespace, b.roleRef.name)) as
          | {
              rules?: {
                apiGroups?: string[];
                resources?: string[];
                verbs?: string[];
                resourceNames?: string[];
              }[];
            }
          | undefined;
        return (
          boundHere &&
          (role?.rules ?? []).some(
            (r) =>
              (r.apiGroups ?? []).includes(group) &&
              (r.resources ?? []).includes(resource) &&
              (r.verbs ?? []).includes(verb) &&
              (!r.resourceNames?.length || (name !== undefined && r.resourceNames.includes(name))),
          )
        );
      });
    if (!allowed) {
      throw new HttpFailure(
        403,
        "Forbidden",
        `${resource} ${name !== undefined ? `"${name}" ` : ""}is forbidden: User "system:serviceaccount:${saNamespace}:${saName}" cannot ${verb} resource "${resource}" in namespace "${namespace}"`,
      );
    }
    return `system:serviceaccount:${saNamespace}:${saName}`;
  }

  // --- HTTP ---

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://double");
    const method = req.method ?? "GET";
    let caller = "?";
    let status = 200;
    try {
      const match = PATH.exec(url.pathname);
      if (!match)
        throw new HttpFailure(404, "NotFound", `the server could not find the requested resource`);
      const [, apiGroup, namespace = "", resource = "", name, sub] = match;
      const expectedGroup = KINDS[resource as Resource].group;
      if ((apiGroup ?? "") !== expectedGroup)
        throw new HttpFailure(404, "NotFound", "the server could not find the requested resource");
      const r = resource as Resource;
      const verb =
        name === undefined
          ? ({ GET: "list", POST: "create" } as Record<string, string>)[method]
          : (
              { GET: "get", PUT: "update", PATCH: "patch", DELETE: "delete" } as Record<
                string,
                string
              >
            )[method];
      if (!verb || (sub && (r !== "pods" || method !== "GET"))) {
        throw new HttpFailure(405, "MethodNotAllowed", `${method} is not supported here`);
      }
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
      caller = authorize(bearer, namespace, sub ? `${r}/${sub}` : r, verb, name);
      const body =
        method === "POST" || method === "PUT" || method === "PATCH"
          ? await readJson(req)
          : undefined;
      let answer: unknown;
      if (sub === "log") {
        const pod = get("pods", namespace, name ?? "");
        const run = runs.get(key("pods", namespace, name ?? ""));
        if (!run) {
          throw new HttpFailure(
            400,
            "BadRequest",
            `container "iter8" in pod "${pod.metadata?.name ?? ""}" is waiting to start: ContainerCreating`,
          );
        }
        res.writeHead(200, { "content-type": "text/plain" });
        res.end(run.log.join(""));
        requests.push({ method, path: url.pathname, caller, status });
        return;
      } else if (verb === "list") {
        const selector = parseSelector(url.searchParams.get("labelSelector") ?? "");
        answer = {
          apiVersion: KINDS[r].apiVersion,
          kind: `${KINDS[r].kind}List`,
          metadata: { resourceVersion: String(version) },
          items: list(r, namespace).filter((o) => selector(o.metadata?.labels ?? {})),
        };
      } else if (verb === "create") {
        answer = create(r, namespace, body as KubeObject);
        status = 201;
      } else if (verb === "get") {
        answer = get(r, namespace, name ?? "");
      } else if (verb === "update") {
        const current = get(r, namespace, name ?? "");
        const replacement = body as KubeObject;
        const expected = replacement.metadata?.resourceVersion;
        if (expected !== undefined && expected !== current.metadata?.resourceVersion) {
          throw conflict(r, name ?? "");
        }
        answer = save(r, namespace, {
          ...replacement,
          metadata: { ...current.metadata, ...replacement.metadata },
        });
      } else if (verb === "patch") {
        const type = (req.headers["content-type"] ?? "").split(";")[0];
        if (type !== "application/merge-patch+json") {
          throw new HttpFailure(
            415,
            "UnsupportedMediaType",
            `the double supports only merge patches, not ${type}`,
          );
        }
        const current = get(r, namespace, name ?? "");
        // A resourceVersion in the patch is a precondition, as the API server treats it.
        const expected = (body as KubeObject | undefined)?.metadata?.resourceVersion;
        if (expected !== undefined && expected !== current.metadata?.resourceVersion) {
          throw conflict(r, name ?? "");
        }
        answer = save(r, namespace, mergePatch(current, body) as KubeObject);
      } else {
        const current = get(r, namespace, name ?? "");
        if (r === "pods") deletePod(namespace, current);
        else store.delete(key(r, namespace, name ?? ""));
        if (r === "jobs" && url.searchParams.get("propagationPolicy") !== "Orphan") {
          for (const pod of podsOf(namespace, name ?? "")) deletePod(namespace, pod);
        }
        answer = {
          apiVersion: "v1",
          kind: "Status",
          status: "Success",
          details: { name, kind: r },
        };
      }
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer));
    } catch (error) {
      const failure =
        error instanceof HttpFailure ? error : new HttpFailure(500, "InternalError", String(error));
      status = failure.code;
      res.writeHead(failure.code, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          apiVersion: "v1",
          kind: "Status",
          status: "Failure",
          message: failure.message,
          reason: failure.reason,
          code: failure.code,
        }),
      );
    }
    requests.push({ method, path: url.pathname, caller, status });
  }

  const tls = makeCertificate();
  tempDirs.push(tls.dir);
  const sockets = new Set<Socket>();
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    void handle(req, res);
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    adminToken,
    requests,
    objects: (resource, namespace = "default") => list(resource as Resource, namespace),
    writeKubeconfig: (namespace = "default", serviceAccount) => {
      const dir = mkdtempSync(join(tmpdir(), "iter8-kubeconfig-"));
      tempDirs.push(dir);
      let token = adminToken;
      if (serviceAccount !== undefined) {
        token = randomBytes(16).toString("hex");
        saTokens.set(token, `${namespace}/${serviceAccount}`);
      }
      return writeConfig(join(dir, "config"), token, namespace);
    },
    close: async () => {
      closing = true;
      const exits: Promise<unknown>[] = [];
      for (const run of runs.values()) {
        const child = run.process;
        if (child && child.exitCode === null) {
          exits.push(new Promise((resolve) => child.once("close", resolve)));
          child.kill("SIGKILL");
        }
      }
      await Promise.all(exits);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A self-signed certificate for 127.0.0.1, made with openssl for this run. */
function makeCertificate(): { key: Buffer; cert: Buffer; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "iter8-kube-tls-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
      .concat(["-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1"])
      .concat(["-addext", "subjectAltName=IP:127.0.0.1"]),
    { stdio: "ignore" },
  );
  return { key: readFileSync(key), cert: readFileSync(cert), dir };
}

function conflict(resource: string, name: string): HttpFailure {
  return new HttpFailure(
    409,
    "Conflict",
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
  );
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath: string } };
}

/** `$(VAR)` references replaced as the kubelet does; unknown ones stay as written. */
function expand(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
    (whole, name: string) => env[name] ?? whole,
  );
}

function fieldValue(variable: EnvVar, pod: KubeObject): string {
  const path = variable.valueFrom?.fieldRef?.fieldPath ?? "";
  if (path === "metadata.namespace") return pod.metadata?.namespace ?? "";
  if (path === "metadata.name") return pod.metadata?.name ?? "";
  const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annotation?.[1]) return pod.metadata?.annotations?.[annotation[1]] ?? "";
  const label = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (label?.[1]) return pod.metadata?.labels?.[label[1]] ?? "";
  return "";
}

/** Secrets as the API server stores them: stringData merged into data (base64), size checked. */
function normaliseSecret(secret: KubeObject): void {
  const data = { ...(secret.data as Record<string, string> | undefined) };
  for (const [k, v] of Object.entries(
    (secret.stringData as Record<string, string> | undefined) ?? {},
  )) {
    data[k] = Buffer.from(v, "utf8").toString("base64");
  }
  delete secret.stringData;
  let bytes = 0;
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
      throw new HttpFailure(
        422,
        "Invalid",
        `Secret "${secret.metadata?.name ?? ""}": data[${k}]: illegal base64 data`,
      );
    }
    bytes += Buffer.from(v, "base64").length;
  }
  if (bytes > MAX_SECRET_BYTES) {
    throw new HttpFailure(
      422,
      "Invalid",
      `Secret "${secret.metadata?.name ?? ""}" is invalid: data: Too long: must have at most ${MAX_SECRET_BYTES} bytes`,
    );
  }
  secret.data = data;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Equality-based label selectors: `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated. */
function parseSelector(text: string): (labels: Record<string, string>) => boolean {
  const terms = text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean)
    .map((term) => {
      const m = /^(!?)([A-Za-z0-9./_-]+)(?:\s*(==|=|!=)\s*([A-Za-z0-9._-]*))?$/.exec(term);
      if (!m) throw new HttpFailure(400, "BadRequest", `unable to parse requirement: ${term}`);
      const [, not, label = "", op, value] = m;
      return (labels: Record<string, string>) => {
        if (op === undefined) return not ? !(label in labels) : label in labels;
        return op === "!=" ? labels[label] !== value : labels[label] === value;
      };
    });
  return (labels) => terms.every((t) => t(labels));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HttpFailure(400, "BadRequest", "the body is not JSON");
  }
}
