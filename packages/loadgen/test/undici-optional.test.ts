// undici is an optional peer dependency: the built package, installed where undici cannot be
// resolved, runs http and https loads on the lean client, and a load that needs undici fails with
// one error naming the package and the install command.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestCertificateAuthority } from "@iter8/test-utils";
import type { TestCertificateAuthority } from "@iter8/test-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt } from "./ensure-built.js";

const packageDir = fileURLToPath(new URL("../", import.meta.url));
const packagesDir = fileURLToPath(new URL("../../", import.meta.url));

// Runs in the scratch project: a TLS server, then loads that need undici and loads that do not.
const SCRIPT = `
import { createServer } from "node:https";
import { runLoad } from "@iter8/loadgen";
const [key, cert, ca] = JSON.parse(process.argv[1]);
const out = {};
try {
  createRequire(process.cwd() + "/node_modules/@iter8/loadgen/dist/index.js").resolve("undici");
  out.undiciFound = true;
} catch {
  out.undiciFound = false;
}
const server = createServer({ key, cert }, (_req, res) => res.end("ok"));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = "https://127.0.0.1:" + server.address().port + "/";
const base = { url, qps: 0, connections: 1, numRequests: 3, warmupMs: 0, tls: { ca } };
const lean = await runLoad(base);
out.lean = lean.statusCodes;
for (const [name, options] of [
  ["undici", { ...base, httpClient: "undici" }],
  ["pipelining", { ...base, pipelining: 2 }],
]) {
  try {
    await runLoad(options);
    out[name] = "no error";
  } catch (error) {
    out[name] = { code: error.code, message: error.message };
  }
}
server.close();
process.stdout.write(JSON.stringify(out));
`;

function workspaceDependencies(): string[] {
  const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(manifest.dependencies ?? {})
    .filter((name) => name.startsWith("@iter8/"))
    .map((name) => name.slice("@iter8/".length));
}

describe("@iter8/loadgen without undici installed", () => {
  let project: string;
  let ca: TestCertificateAuthority;

  beforeAll(() => {
    ensureBuilt();
    ca = createTestCertificateAuthority();
    project = mkdtempSync(join(tmpdir(), "iter8-no-undici-"));
    const scope = join(project, "node_modules", "@iter8");
    mkdirSync(join(scope, "loadgen"), { recursive: true });
    cpSync(join(packageDir, "package.json"), join(scope, "loadgen", "package.json"));
    cpSync(join(packageDir, "dist"), join(scope, "loadgen", "dist"), { recursive: true });
    // The workspace dependencies (every @iter8 one in package.json) resolve their own
    // dependencies from where they really are.
    for (const name of workspaceDependencies()) {
      symlinkSync(join(packagesDir, name), join(scope, name), "dir");
    }
  });

  afterAll(() => {
    rmSync(project, { recursive: true, force: true });
    ca.dispose();
  });

  it("runs https on the lean client and names the package and command when undici is needed", () => {
    const server = ca.issue(["127.0.0.1"]);
    const output = execFileSync(
      process.execPath,
      ["--input-type=module", "-e", SCRIPT, JSON.stringify([server.key, server.cert, ca.cert])],
      // Without NODE_PATH: pnpm's scripts set it to the store, where undici is.
      { cwd: project, encoding: "utf8", timeout: 60_000, env: { ...process.env, NODE_PATH: "" } },
    );
    const result = JSON.parse(output) as Record<string, unknown>;
    // The premise: undici is out of reach of the copy.
    expect(result.undiciFound).toBe(false);
    expect(result.lean).toEqual({ 200: 3 });
    expect(result.undici).toEqual({
      code: "ITER8_LOAD_OPTIONS",
      message:
        'httpClient "undici" needs the undici package, which is not installed: npm install undici@7.30.2',
    });
    expect(result.pipelining).toEqual({
      code: "ITER8_LOAD_OPTIONS",
      message:
        "this load (pipelining) needs the undici package, which is not installed: npm install undici@7.30.2",
    });
  });
});
