import { loadConfigOrExit } from '../config';
import { AesGcmCodec } from '../codec/aes-gcm-codec';
import { CodecServer } from '../codec/codec-server';
import { loadLocalKeyRing, localKeyPath } from '../codec/local-key';

function refuse(variable: string, problem: string): never {
  process.stderr.write(`Invalid configuration:\n  ${variable}: ${problem}\n`);
  process.exit(2);
}

/** `npm run codec-server`: the remote codec for the Temporal UI and CLI, from the same configuration as the worker. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const embedded = config.temporal.mode === 'embedded';
  const { serverPort, serverHost, corsOrigins } = config.codec;
  // Beside the embedded demo it reads the key npm start keeps, as the CLI does.
  const keyRing = config.codec.keyRing ?? (embedded ? loadLocalKeyRing(config.dataDir) : undefined);
  if (!keyRing) {
    refuse(
      'PLUM_CODEC_KEYS',
      embedded
        ? `no key ring: run npm start once (it makes ${localKeyPath(config.dataDir)}) or set PLUM_CODEC_KEYS=id:base64key`
        : 'the codec server needs the key ring the workers use (id:base64key,…)',
    );
  }
  if (config.codec.tokenKeyRing) {
    // With the token ring the codec server would unseal tokens for everyone who can open the UI.
    refuse(
      'PLUM_TOKEN_KEYS',
      'the codec server must never hold the token ring; remove PLUM_TOKEN_KEYS from its environment',
    );
  }
  const loopback = ['127.0.0.1', 'localhost', '::1'].includes(serverHost);
  let serverToken = config.codec.serverToken;
  if (serverToken === undefined) {
    if (!embedded || !loopback) {
      refuse(
        'PLUM_CODEC_SERVER_TOKEN',
        'set a bearer token (PLUM_CODEC_SERVER_TOKEN or its _FILE), or PLUM_CODEC_SERVER_AUTH=none on loopback only',
      );
    }
    serverToken = null;
  }
  let server: CodecServer;
  try {
    server = await CodecServer.start({
      codec: new AesGcmCodec(keyRing),
      authToken: serverToken,
      allowedOrigins: corsOrigins,
      host: serverHost,
      port: serverPort,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    refuse(
      'PLUM_CODEC_SERVER_PORT',
      `port ${serverPort} is in use (npm start already serves a codec server there for its UI); choose another port`,
    );
  }
  process.stdout.write(
    `Codec server at ${server.url} (keys: ${keyRing.keyIds.join(', ')}; active ${keyRing.activeKeyId}; ` +
      `auth ${serverToken === null ? 'NONE (loopback only)' : 'bearer'}; CORS: ${corsOrigins.join(', ')})\n`,
  );
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
