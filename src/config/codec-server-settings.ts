import type { z } from 'zod';
import type { configVariables } from './variables';

const LOOPBACK_HOSTS = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/;

/**
 * Whether keys may be fetched from `url`: https, or plain http to a loopback host only (a test issuer). Over plain http
 * anyone on the path could swap the key set and mint tokens this server accepts.
 */
export function trustedKeySource(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK_HOSTS.test(parsed.hostname));
}

type Problems = { variable: string; problem: string }[];

/** How the codec server checks its callers and where it listens. */
export interface CodecServerSettings {
  serverPort: number;
  serverHost: string;
  /** Static bearer token (the `temporal` CLI's); `null` when authorisation was explicitly disabled. */
  serverToken: string | null | undefined;
  /** Accept the OIDC access tokens of the Temporal UI's logged-in users, verified against the issuer's keys. */
  oidc?: { issuer: string; audience: string; jwksUrl?: string };
  /** Serve HTTPS with these PEM files (the UI passes access tokens to `https://` endpoints only). */
  tls?: { certFile: string; keyFile: string };
  corsOrigins: string[];
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

/** Two variables that are set together or not at all; names the missing one. */
function requireBoth(
  problems: Problems,
  [first, firstValue]: [string, unknown],
  [second, secondValue]: [string, unknown],
  why = '',
): void {
  if ((firstValue === undefined) === (secondValue === undefined)) return;
  problems.push({
    variable: firstValue === undefined ? first : second,
    problem: `${first} and ${second} go together${why}`,
  });
}

/** The codec server's settings from the parsed variables; problems are collected, not thrown. */
export function codecServerSettings(
  vars: z.infer<typeof configVariables>,
  serverToken: string | undefined,
  problems: Problems,
): CodecServerSettings {
  const issuer = vars.PLUM_CODEC_OIDC_ISSUER;
  const audience = vars.PLUM_CODEC_OIDC_AUDIENCE;
  const certFile = vars.PLUM_CODEC_SERVER_TLS_CERT_FILE;
  const keyFile = vars.PLUM_CODEC_SERVER_TLS_KEY_FILE;
  requireBoth(
    problems,
    ['PLUM_CODEC_OIDC_ISSUER', issuer],
    ['PLUM_CODEC_OIDC_AUDIENCE', audience],
    ': a token is checked against both',
  );
  requireBoth(problems, ['PLUM_CODEC_SERVER_TLS_CERT_FILE', certFile], ['PLUM_CODEC_SERVER_TLS_KEY_FILE', keyFile]);
  for (const [variable, url] of [
    ['PLUM_CODEC_OIDC_ISSUER', issuer],
    ['PLUM_CODEC_OIDC_JWKS_URL', vars.PLUM_CODEC_OIDC_JWKS_URL],
  ] as const) {
    if (url !== undefined && !trustedKeySource(url))
      problems.push({
        variable,
        problem: `must be https (got ${new URL(url).origin}): whoever can swap a key set fetched over plain http can mint tokens the codec server accepts; plain http is allowed to a loopback address only`,
      });
  }
  return {
    serverPort: vars.PLUM_CODEC_SERVER_PORT,
    serverHost: vars.PLUM_CODEC_SERVER_HOST,
    serverToken: vars.PLUM_CODEC_SERVER_AUTH === 'none' ? null : serverToken,
    ...(issuer &&
      audience && {
        oidc: {
          issuer,
          audience,
          ...(vars.PLUM_CODEC_OIDC_JWKS_URL && { jwksUrl: vars.PLUM_CODEC_OIDC_JWKS_URL }),
        },
      }),
    ...(certFile && keyFile && { tls: { certFile, keyFile } }),
    corsOrigins: vars.PLUM_CODEC_CORS_ORIGINS?.split(',') ?? [
      `http://localhost:${vars.TEMPORAL_UI_PORT}`,
      `http://127.0.0.1:${vars.TEMPORAL_UI_PORT}`,
    ],
  };
}

/**
 * Who may call the codec server, or the problems that stop it: without any authorisation it decrypts every
 * keeper's state for whoever reaches it, so that is allowed on a loopback address only (and is the default only
 * beside the embedded demo).
 */
export function codecServerAuth(
  settings: CodecServerSettings,
  embedded: boolean,
): { token: string | null; problems: Problems } {
  const loopback = LOOPBACK.test(settings.serverHost);
  const where = `PLUM_CODEC_SERVER_HOST is ${settings.serverHost}, so every host that reaches it could read decrypted state`;
  const cure =
    'set PLUM_CODEC_SERVER_TOKEN (the CLI’s bearer token) and/or PLUM_CODEC_OIDC_ISSUER (the UI’s users), or listen on 127.0.0.1';
  if (settings.serverToken === null) {
    if (loopback) return { token: null, problems: [] };
    return {
      token: null,
      problems: [{ variable: 'PLUM_CODEC_SERVER_AUTH', problem: `is none, but ${where}: ${cure}` }],
    };
  }
  if (settings.serverToken !== undefined || settings.oidc) return { token: settings.serverToken ?? null, problems: [] };
  if (embedded && loopback) return { token: null, problems: [] };
  return {
    token: null,
    problems: [
      {
        variable: 'PLUM_CODEC_SERVER_TOKEN',
        problem: loopback
          ? `no authorisation is configured: ${cure.replace(', or listen on 127.0.0.1', '')}, or PLUM_CODEC_SERVER_AUTH=none (loopback only)`
          : `no authorisation is configured and ${where}: ${cure}`,
      },
    ],
  };
}
