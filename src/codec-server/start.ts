import { readFileSync } from 'node:fs';
import { CodecServer } from './server';
import type { EnrolmentPublicKey } from '../codec/enrolment-seal';
import { KeeperCodec } from '../codec/keeper-codec';
import type { KeyRing } from '../codec/key-ring';
import { OidcVerifier } from './oidc-verifier';
import { codecServerAuth } from '../config/codec-server-settings';
import type { Config } from '../config/index';
import { ConfigError } from '../config/index';

/** A running codec server and the one line that says honestly where it listens and whom it lets in. */
export interface StartedCodecServer {
  server: CodecServer;
  description: string;
}

function readPem(variable: string, file: string, problems: ConfigError['problems']): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (error) {
    problems.push({ variable, problem: `cannot read ${file} (${(error as NodeJS.ErrnoException).code})` });
    return undefined;
  }
}

/**
 * Starts the codec server the configuration describes, with the payload ring only (tokens stay sealed) and the
 * enrolment public key, so a set sent through it (`temporal workflow start` or a `reseed` update with
 * `--codec-endpoint`) reaches history sealed for the workers, never readable in the UI. Throws
 * {@link ConfigError} when its authorisation or TLS settings cannot be used: no authorisation off loopback, a missing
 * PEM file, or a port in use.
 */
export async function startCodecServer(
  config: Config,
  keyRing: KeyRing,
  enrolmentPublicKey?: EnrolmentPublicKey,
): Promise<StartedCodecServer> {
  const settings = config.codec;
  const { token, problems } = codecServerAuth(settings, config.temporal.mode === 'embedded');
  const tls = settings.tls && {
    cert: readPem('PLUM_CODEC_SERVER_TLS_CERT_FILE', settings.tls.certFile, problems),
    key: readPem('PLUM_CODEC_SERVER_TLS_KEY_FILE', settings.tls.keyFile, problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  let server: CodecServer;
  try {
    server = await CodecServer.start({
      codec: new KeeperCodec(keyRing, undefined, enrolmentPublicKey),
      authToken: token,
      ...(settings.oidc && { oidc: new OidcVerifier(settings.oidc) }),
      ...(tls?.cert && tls.key && { tls: { cert: tls.cert, key: tls.key } }),
      allowedOrigins: settings.corsOrigins,
      host: settings.serverHost,
      port: settings.serverPort,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    throw new ConfigError([
      {
        variable: 'PLUM_CODEC_SERVER_PORT',
        problem: `port ${settings.serverPort} is in use (npm start already serves a codec server there for its UI); choose another port`,
      },
    ]);
  }
  const auth = [
    ...(token !== null ? ['bearer token'] : []),
    ...(settings.oidc ? [`OIDC access tokens of ${settings.oidc.issuer} for audience ${settings.oidc.audience}`] : []),
  ];
  const description =
    `Codec server at ${server.url} (listening on ${settings.serverHost}; keys: ${keyRing.keyIds.join(', ')}, ` +
    `active ${keyRing.activeKeyId}; token sets sent through it sealed for ${enrolmentPublicKey ? `enrolment key ${enrolmentPublicKey.keyId}` : 'no enrolment key (PLUM_ENROLMENT_PUBLIC_KEY unset: the keeper rotates them at once)'}; auth: ${auth.length > 0 ? auth.join(' or ') : 'NONE, loopback only'}; ` +
    `CORS: ${settings.corsOrigins.join(', ')})`;
  return { server, description };
}
