import { loadConfigOrExit } from '../config';
import { AesGcmCodec } from '../codec/aes-gcm-codec';
import { CodecServer } from '../codec/codec-server';

/** `npm run codec-server`: the remote codec for the Temporal UI and CLI, from the same configuration as the worker. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const { keyRing, serverToken, serverPort, serverHost, corsOrigins } = config.codec;
  if (!keyRing) {
    process.stderr.write(
      'Invalid configuration:\n  PLUM_CODEC_KEYS: the codec server needs the key ring (id:base64key,…)\n',
    );
    process.exit(2);
  }
  if (config.codec.tokenKeyRing) {
    // With the token ring the codec server would unseal tokens for everyone who can open the UI.
    process.stderr.write(
      'Invalid configuration:\n  PLUM_TOKEN_KEYS: the codec server must never hold the token ring; remove PLUM_TOKEN_KEYS from its environment\n',
    );
    process.exit(2);
  }
  if (serverToken === undefined) {
    process.stderr.write(
      'Invalid configuration:\n  PLUM_CODEC_SERVER_TOKEN: set a bearer token (or PLUM_CODEC_SERVER_AUTH=none for local use only)\n',
    );
    process.exit(2);
  }
  const server = await CodecServer.start({
    codec: new AesGcmCodec(keyRing),
    authToken: serverToken,
    allowedOrigins: corsOrigins,
    host: serverHost,
    port: serverPort,
  });
  process.stdout.write(
    `Codec server at ${server.url} (keys: ${keyRing.keyIds.join(', ')}; active ${keyRing.activeKeyId}; ` +
      `auth ${serverToken === null ? 'DISABLED' : 'bearer'}; CORS: ${corsOrigins.join(', ')})\n`,
  );
  const stop = () => void server.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
