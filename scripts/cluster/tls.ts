import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The name the frontend's certificate carries and clients verify (besides 127.0.0.1). */
export const TLS_SERVER_NAME = 'localhost';

/** Test certificates for a Temporal frontend with mutual TLS, made with openssl. */
export interface TestCertificates {
  dir: string;
  caCert: string;
  /** The frontend's certificate (server and client use: the server's system workers present it to the frontend). */
  serverCert: string;
  serverKey: string;
  /** What the keeper's workers and the CLI present. */
  clientCert: string;
  clientKey: string;
  /** A CA that signed nothing of this cluster's: trusting it instead of `caCert` must fail the handshake. */
  otherCaCert: string;
}

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}

function issue(dir: string, name: string, subject: string, extensions: string, ca: { cert: string; key: string }) {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-subj', subject, '-keyout', key, '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', '2',
    '-extfile', ext, '-out', cert]); // prettier-ignore
  chmodSync(key, 0o600);
  return { cert, key };
}

function certificateAuthority(dir: string, name: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', key, '-out', cert]); // prettier-ignore
  chmodSync(key, 0o600);
  return { cert, key };
}

/**
 * Writes a CA, a frontend certificate for `localhost` and 127.0.0.1, a client certificate, and a second CA for the
 * wrong-CA case into `dir` (valid two days: they are for one run). Needs `openssl`.
 */
export function makeTestCertificates(dir: string): TestCertificates {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ca = certificateAuthority(dir, 'plum-test-ca');
  const other = certificateAuthority(dir, 'plum-other-ca');
  const server = issue(
    dir,
    'frontend',
    `/CN=${TLS_SERVER_NAME}`,
    `subjectAltName=DNS:${TLS_SERVER_NAME},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`,
    ca,
  );
  const client = issue(dir, 'plum-keeper', '/CN=plum-keeper', 'extendedKeyUsage=clientAuth\n', ca);
  if (!existsSync(client.cert)) throw new Error(`openssl wrote no certificate in ${dir}`);
  return {
    dir,
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCaCert: other.cert,
  };
}

/** What deploy/temporal/server*.yaml read to serve the frontend over mutual TLS. */
export function serverTlsEnv(certs: TestCertificates): Record<string, string> {
  return {
    TEMPORAL_TLS_FRONTEND_CERT: certs.serverCert,
    TEMPORAL_TLS_FRONTEND_KEY: certs.serverKey,
    TEMPORAL_TLS_CLIENT_CA_CERT: certs.caCert,
    TEMPORAL_TLS_FRONTEND_CA_CERT: certs.caCert,
    TEMPORAL_TLS_FRONTEND_SERVER_NAME: TLS_SERVER_NAME,
  };
}

/** What a worker, a client or the CLI set to connect (Temporal's own environment configuration). */
export function clientTlsEnv(certs: TestCertificates): Record<string, string> {
  return {
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.clientCert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.clientKey,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.caCert,
    TEMPORAL_TLS_SERVER_NAME: TLS_SERVER_NAME,
  };
}
