// Certificates for TLS tests, made with openssl at test time: a private CA
// and a leaf it signs for localhost and 127.0.0.1, and a second CA that
// trusts nothing the servers present.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** PEM texts: the CA, another CA, the leaf's certificate and its key. */
export interface Pki {
  ca: string;
  otherCa: string;
  cert: string;
  key: string;
}

/** Makes the certificates in `dir` (which the caller removes) and reads them back. */
export function makePki(dir: string): Pki {
  const openssl = (...args: string[]): void => {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
  const path = (name: string): string => join(dir, name);
  for (const name of ["ca", "other-ca"]) {
    openssl(
      "req",
      "-x509",
      ...ec,
      "-nodes",
      "-keyout",
      path(`${name}.key`),
      "-out",
      path(`${name}.pem`),
      "-days",
      "1",
      "-subj",
      `/CN=anyws test ${name}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    );
  }
  openssl(
    "req",
    ...ec,
    "-nodes",
    "-keyout",
    path("leaf.key"),
    "-out",
    path("leaf.csr"),
    "-subj",
    "/CN=localhost",
  );
  // A leaf (CA:FALSE: rustls, behind Deno, refuses a CA certificate used as
  // an end entity) for localhost and 127.0.0.1, signed by the CA.
  writeFileSync(
    path("leaf.ext"),
    "subjectAltName=DNS:localhost,IP:127.0.0.1\n" +
      "basicConstraints=critical,CA:FALSE\n" +
      "keyUsage=critical,digitalSignature\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  openssl(
    "x509",
    "-req",
    "-in",
    path("leaf.csr"),
    "-CA",
    path("ca.pem"),
    "-CAkey",
    path("ca.key"),
    "-CAcreateserial",
    "-out",
    path("leaf.pem"),
    "-days",
    "1",
    "-extfile",
    path("leaf.ext"),
  );
  const read = (name: string): string => readFileSync(path(name), "utf8");
  return {
    ca: read("ca.pem"),
    otherCa: read("other-ca.pem"),
    cert: read("leaf.pem"),
    key: read("leaf.key"),
  };
}
