// gRPC over TLS against real grpc-js servers on 127.0.0.1, with certificates made for the run:
// ghz's cacert, cname, skipTLS and insecure as runGrpcLoad takes them (caFile, serverName,
// skipVerify; no tls = plaintext).
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestCertificateAuthority } from "@iter8/test-utils";
import type { TestCertificateAuthority } from "@iter8/test-utils";
import { runGrpcLoad } from "../src/index.js";
import type { GrpcLoadOptions } from "../src/index.js";
import { startGreeterServer } from "./greeter-server.js";
import type { GreeterServer } from "./greeter-server.js";

const PROTO = fileURLToPath(new URL("./protos/greeter.proto", import.meta.url));

let ca: TestCertificateAuthority;
let otherCa: TestCertificateAuthority;
/** TLS, certificate for IP 127.0.0.1 (and localhost), with reflection. */
let byIp: GreeterServer;
/** TLS, certificate for the name greeter.test only. */
let byName: GreeterServer;
/** Plaintext (h2c). */
let plain: GreeterServer;

beforeAll(async () => {
  ca = createTestCertificateAuthority("iter8 test CA");
  otherCa = createTestCertificateAuthority("some other CA");
  byIp = await startGreeterServer({
    tls: ca.issue(["127.0.0.1", "localhost"]),
    reflection: "v1",
  });
  byName = await startGreeterServer({ tls: ca.issue(["greeter.test"]) });
  plain = await startGreeterServer();
});

afterAll(async () => {
  await Promise.all([byIp?.close(), byName?.close(), plain?.close()]);
  ca?.dispose();
  otherCa?.dispose();
});

function options(server: GreeterServer, overrides: Partial<GrpcLoadOptions>): GrpcLoadOptions {
  return {
    host: server.host,
    call: "helloworld.Greeter.SayHello",
    proto: PROTO,
    data: { name: "tls" },
    numRequests: 20,
    qps: 0,
    concurrency: 4,
    warmupMs: 0,
    timeoutMs: 15_000,
    connectTimeoutMs: 15_000,
    ...overrides,
  };
}

describe("runGrpcLoad over TLS", () => {
  it("verifies the server with a CA file (cacert): every call OK, over TLS", async () => {
    const before = byIp.seen.length;
    const result = await runGrpcLoad(options(byIp, { tls: { caFile: ca.certFile } }));
    expect(result.requests).toBe(20);
    expect(result.errors).toBe(0);
    expect(result.statusNames).toEqual({ OK: 20 });
    expect(result.errorClasses).toEqual({});
    // The server is TLS-only: the calls it saw came over TLS.
    expect(byIp.seen.length - before).toBe(20);
  });

  it("resolves a relative CA file against baseDir", async () => {
    const result = await runGrpcLoad(
      options(byIp, { tls: { caFile: "ca.pem" }, baseDir: ca.certFile.replace(/ca\.pem$/, "") }),
    );
    expect(result.statusNames).toEqual({ OK: 20 });
  });

  it("counts every call as a tls transport error when the CA did not sign the server's certificate", async () => {
    const before = byIp.seen.length;
    const result = await runGrpcLoad(options(byIp, { tls: { caFile: otherCa.certFile } }));
    expect(result.requests).toBe(20);
    expect(result.errors).toBe(20);
    expect(result.errorClasses).toEqual({ tls: 20 });
    expect(result.statusCodes).toEqual({});
    expect(result.statusNames).toEqual({ Unavailable: 20 });
    expect(byIp.seen.length).toBe(before);
  });

  it("counts tls errors with Node's CA store alone (insecure: false, no cacert)", async () => {
    const result = await runGrpcLoad(options(byIp, { tls: {} }));
    expect(result.errors).toBe(20);
    expect(result.errorClasses).toEqual({ tls: 20 });
  });

  it("skips verification with skipVerify (skipTLS): every call OK", async () => {
    const result = await runGrpcLoad(options(byIp, { tls: { skipVerify: true } }));
    expect(result.statusNames).toEqual({ OK: 20 });
    expect(result.errors).toBe(0);
  });

  it("checks the certificate against the host's IP unless a server name (cname) is given", async () => {
    // byName's certificate names greeter.test only; the host is 127.0.0.1.
    const withoutName = await runGrpcLoad(options(byName, { tls: { caFile: ca.certFile } }));
    expect(withoutName.errorClasses).toEqual({ tls: 20 });

    const before = byName.seen.length;
    const withName = await runGrpcLoad(
      options(byName, { tls: { caFile: ca.certFile, serverName: "greeter.test" } }),
    );
    expect(withName.statusNames).toEqual({ OK: 20 });
    // As ghz (grpc-go): the server name is also the call's :authority.
    const seen = byName.seen.slice(before);
    expect(seen).toHaveLength(20);
    expect(new Set(seen.map((call) => call.authority))).toEqual(new Set(["greeter.test"]));
  });

  it("refuses a certificate whose names do not include the server name given", async () => {
    const result = await runGrpcLoad(
      options(byIp, { tls: { caFile: ca.certFile, serverName: "elsewhere.test" } }),
    );
    expect(result.errors).toBe(20);
    expect(result.errorClasses).toEqual({ tls: 20 });
  });

  it("reads the service definition by server reflection over TLS", async () => {
    const result = await runGrpcLoad(
      options(byIp, { proto: undefined, tls: { caFile: ca.certFile } }),
    );
    expect(result.kind).toBe("unary");
    expect(result.statusNames).toEqual({ OK: 20 });
  });

  it("counts calls in plaintext to a TLS port as transport errors, without crashing", async () => {
    const result = await runGrpcLoad(options(byIp, { numRequests: 8, concurrency: 2 }));
    expect(result.requests).toBe(8);
    expect(result.errors).toBe(8);
    expect(result.statusCodes).toEqual({});
    // The TLS server drops the connection: no status, a reset.
    expect(result.errorClasses).toEqual({ reset: 8 });
    expect(result.statusNames).toEqual({ Unavailable: 8 });
  });

  it("counts calls over TLS to a plaintext port as tls transport errors", async () => {
    const before = plain.seen.length;
    const result = await runGrpcLoad(
      options(plain, { numRequests: 8, concurrency: 2, tls: { caFile: ca.certFile } }),
    );
    expect(result.requests).toBe(8);
    expect(result.errors).toBe(8);
    expect(result.errorClasses).toEqual({ tls: 8 });
    expect(plain.seen.length).toBe(before);
  });
});
