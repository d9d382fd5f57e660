import { connect as tcpConnect } from 'node:net';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { checkServerIdentity, connect as tlsConnect } from 'node:tls';

/** Why a connection to Temporal failed, in one line, and the setting that fixes it. */
export interface ConnectionDiagnosis {
  problem: string;
  fix: string;
}

/** The parts of the SDK's connection options (from `@temporalio/envconfig`) that decide the handshake. */
export interface ProbedConnection {
  /** The SDK's default when absent. */
  address?: string;
  tls?:
    | boolean
    | null
    | {
        serverNameOverride?: string;
        serverRootCACertificate?: Uint8Array;
        clientCertPair?: { crt: Uint8Array; key: Uint8Array };
      };
  apiKey?: unknown;
}

const PROBE_TIMEOUT_MS = 3000;
/** HTTP/2's client preface and an empty SETTINGS frame: a server that accepted the handshake answers with SETTINGS. */
const HTTP2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);
const UNTRUSTED_SERVER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
]);
const CLIENT_CERT_SETTINGS = 'TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH';

const cn = (name: { CN?: string | string[] } | undefined) => [name?.CN ?? '?'].flat().join(',');
const isIp = (host: string) => /^[\d.]+$|:/.test(host);

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  return { host: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

function reachable(host: string, port: number): Promise<ConnectionDiagnosis | undefined> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port, timeout: PROBE_TIMEOUT_MS });
    const done = (result: ConnectionDiagnosis | undefined) => (socket.destroy(), resolve(result));
    socket.once('connect', () => done(undefined));
    socket.once('timeout', () =>
      done({
        problem: `no answer from ${host}:${port} within ${PROBE_TIMEOUT_MS / 1000} s`,
        fix: 'check TEMPORAL_ADDRESS (the frontend’s host:port) and the firewall between here and it',
      }),
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      done({
        problem:
          error.code === 'ENOTFOUND'
            ? `${host} does not resolve (ENOTFOUND)`
            : `nothing accepts connections at ${host}:${port} (${error.code ?? error.message})`,
        fix: 'check TEMPORAL_ADDRESS (the frontend’s host:port) and that the Temporal server is running',
      }),
    );
  });
}

/** A TLS session with the given settings; resolves once the server has answered the HTTP/2 preface, or failed. */
function handshake(
  host: string,
  port: number,
  settings: Exclude<ProbedConnection['tls'], boolean | null | undefined> | undefined,
): Promise<{ socket?: TLSSocket; peer?: PeerCertificate; error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host,
      port,
      servername: settings?.serverNameOverride ?? (isIp(host) ? undefined : host),
      ...(settings?.serverRootCACertificate && { ca: Buffer.from(settings.serverRootCACertificate) }),
      ...(settings?.clientCertPair && {
        cert: Buffer.from(settings.clientCertPair.crt),
        key: Buffer.from(settings.clientCertPair.key),
      }),
      ALPNProtocols: ['h2'],
      rejectUnauthorized: false,
      timeout: PROBE_TIMEOUT_MS,
    });
    let peer: PeerCertificate | undefined;
    const done = (error?: NodeJS.ErrnoException) => (socket.destroy(), resolve({ socket, peer, error }));
    socket.once('secureConnect', () => {
      peer = socket.getPeerCertificate();
      // A server that refuses the client's certificate says so in an alert after a TLS 1.3 handshake.
      socket.write(HTTP2_PREFACE);
    });
    socket.once('data', () => done());
    socket.once('timeout', () => done(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    socket.once('error', (error: NodeJS.ErrnoException) => done(error));
    socket.once('end', () => done(Object.assign(new Error('closed'), { code: 'ECONNRESET' })));
  });
}

function serverCertificateProblem(
  socket: TLSSocket,
  peer: PeerCertificate,
  serverName: string,
  settings: Exclude<ProbedConnection['tls'], boolean | null | undefined> | undefined,
): ConnectionDiagnosis | undefined {
  const reason = socket.authorizationError as unknown as string | undefined;
  const caSetting = settings?.serverRootCACertificate
    ? 'TEMPORAL_TLS_SERVER_CA_CERT_PATH'
    : 'TEMPORAL_TLS_SERVER_CA_CERT_PATH (unset: the system’s CAs are trusted)';
  if (reason && UNTRUSTED_SERVER.has(reason)) {
    return {
      problem: `the server’s certificate (CN=${cn(peer.subject)}, issued by CN=${cn(peer.issuer)}) is not signed by a CA this process trusts (${reason})`,
      fix: `set ${caSetting} to the CA that signed it`,
    };
  }
  if (reason === 'CERT_HAS_EXPIRED') {
    return { problem: `the server’s certificate expired on ${peer.valid_to}`, fix: 'renew the frontend’s certificate' };
  }
  if (reason === 'ERR_TLS_CERT_ALTNAME_INVALID' || checkServerIdentity(serverName, peer)) {
    return {
      problem: `the server’s certificate is for ${peer.subjectaltname ?? `CN=${cn(peer.subject)}`}, not ${serverName}`,
      fix: 'set TEMPORAL_TLS_SERVER_NAME to a name the certificate carries, or TEMPORAL_ADDRESS to such a name',
    };
  }
  if (reason) return { problem: `the server’s certificate is not valid (${reason})`, fix: `check ${caSetting}` };
  return undefined;
}

function refusedAfterHandshake(
  error: NodeJS.ErrnoException,
  settings: Exclude<ProbedConnection['tls'], boolean | null | undefined> | undefined,
): ConnectionDiagnosis {
  const code = error.code ?? error.message;
  if (!settings?.clientCertPair && /CERTIFICATE_REQUIRED|HANDSHAKE_FAILURE|BAD_CERTIFICATE/.test(code)) {
    return {
      problem: `the server requires a client certificate and none is configured (${code})`,
      fix: `set ${CLIENT_CERT_SETTINGS} (mutual TLS), or TEMPORAL_API_KEY where the namespace uses API keys`,
    };
  }
  if (/CERTIFICATE_EXPIRED/.test(code)) {
    return {
      problem: `the server refused the client certificate as expired (${code})`,
      fix: `renew it (${CLIENT_CERT_SETTINGS})`,
    };
  }
  return {
    problem: `the server refused the client certificate (${code}): it is not signed by a CA the server trusts for clients`,
    fix: `set ${CLIENT_CERT_SETTINGS} to a certificate from that CA (Temporal Cloud: the CA uploaded to the namespace)`,
  };
}

/**
 * Finds out, with a TCP connection and a TLS handshake of its own, why the SDK could not connect to `options`: the
 * SDK's own errors say only "Failed to connect before the deadline" (client) or `tonic::transport::Error` (worker).
 * Undefined when the server is reachable and the handshake succeeds (the cause lies elsewhere).
 */
export async function diagnoseConnection(options: ProbedConnection): Promise<ConnectionDiagnosis | undefined> {
  const address = options.address ?? 'localhost:7233';
  const { host, port } = splitAddress(address);
  const unreachable = await reachable(host, port);
  if (unreachable) return unreachable;
  const settings = typeof options.tls === 'object' && options.tls !== null ? options.tls : undefined;
  const tlsWanted = options.tls === true || settings !== undefined;
  const { socket, peer, error } = await handshake(host, port, settings);
  if (!tlsWanted) {
    if (peer && Object.keys(peer).length > 0) {
      return {
        problem: `${address} speaks TLS, and no TLS is configured`,
        fix: `set TEMPORAL_TLS=true (with TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA) and ${CLIENT_CERT_SETTINGS} or TEMPORAL_API_KEY as the server asks`,
      };
    }
    return undefined;
  }
  if (!peer || Object.keys(peer).length === 0) {
    return {
      problem: `${address} does not complete a TLS handshake (${error?.code ?? 'no certificate'}): it may not speak TLS`,
      fix: 'check TEMPORAL_ADDRESS, or unset TEMPORAL_TLS and TEMPORAL_TLS_* for a server without TLS',
    };
  }
  const serverName = settings?.serverNameOverride ?? host;
  const certificate = socket && serverCertificateProblem(socket, peer, serverName, settings);
  if (certificate) return certificate;
  return error ? refusedAfterHandshake(error, settings) : undefined;
}

/** What a call refused with gRPC UNAUTHENTICATED (16) or PERMISSION_DENIED (7) means for a Temporal client. */
export function credentialsRefused(error: unknown): ConnectionDiagnosis {
  const { code, details, message } = error as { code?: number; details?: string; message?: string };
  const said = (details ?? message ?? '').split('\n')[0]!.slice(0, 200);
  if (code === 7) {
    return {
      problem: `the server accepted these credentials but they lack permission here (PERMISSION_DENIED: ${said})`,
      fix: 'give the API key’s (or client certificate’s) identity a role on TEMPORAL_NAMESPACE (Temporal Cloud: namespace permissions)',
    };
  }
  return {
    problem: `the server refused this client’s credentials (UNAUTHENTICATED: ${said})`,
    fix: 'check TEMPORAL_API_KEY (a key for this namespace, neither expired nor revoked), or the client certificate in TEMPORAL_TLS_CLIENT_CERT_PATH',
  };
}
