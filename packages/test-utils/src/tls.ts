// A certificate authority made for one test run with the openssl CLI (Debian package openssl,
// listed in .ci/apt-packages): it issues server certificates for the names a test needs, so TLS
// clients can be tested with a CA file, a wrong CA, a server name override and no verification.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A server's key and certificate (PEM). */
interface TestServerCertificate {
  /** The private key, PEM. */
  key: string;
  /** The certificate, PEM, signed by the authority. */
  cert: string;
}

/** A throw-away certificate authority in a temporary folder. */
export interface TestCertificateAuthority {
  /** The authority's certificate, PEM. */
  cert: string;
  /** A file holding `cert` (what a client's CA-file option takes). */
  certFile: string;
  /**
   * Issues a server certificate whose subject alternative names are `names`: an IP address gives
   * an `IP:` entry, anything else a `DNS:` entry.
   */
  issue(names: readonly string[]): TestServerCertificate;
  /** Removes the temporary folder. */
  dispose(): void;
}

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Makes a certificate authority valid for two days, named `commonName`. */
export function createTestCertificateAuthority(
  commonName = "iter8 test CA",
): TestCertificateAuthority {
  const dir = mkdtempSync(join(tmpdir(), "iter8-test-ca-"));
  const caKey = join(dir, "ca.key");
  const certFile = join(dir, "ca.pem");
  openssl(
    ["req", "-x509", ...EC_KEY, "-keyout", caKey, "-out", certFile, "-days", "2"].concat([
      "-subj",
      `/CN=${commonName}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]),
  );
  let serial = 0;
  return {
    cert: readFileSync(certFile, "utf8"),
    certFile,
    issue(names) {
      if (names.length === 0) throw new Error("issue: give at least one name");
      serial++;
      const base = join(dir, `server-${serial}`);
      const san = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(",");
      writeFileSync(
        `${base}.ext`,
        `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n`,
      );
      openssl(
        ["req", ...EC_KEY, "-keyout", `${base}.key`, "-out", `${base}.csr`].concat([
          "-subj",
          `/CN=${names[0]}`,
        ]),
      );
      openssl(
        ["x509", "-req", "-in", `${base}.csr`, "-CA", certFile, "-CAkey", caKey].concat([
          "-set_serial",
          String(1000 + serial),
          "-days",
          "2",
          "-extfile",
          `${base}.ext`,
          "-out",
          `${base}.pem`,
        ]),
      );
      return {
        key: readFileSync(`${base}.key`, "utf8"),
        cert: readFileSync(`${base}.pem`, "utf8"),
      };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
