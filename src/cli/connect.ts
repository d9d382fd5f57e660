import { Client, Connection } from '@temporalio/client';
import { TokenKeeperClient } from '../client/token-keeper-client';
import { TemporalUnavailableError } from '../client/errors';
import { createDataConverter } from '../codec/data-converter';
import type { KeyRing } from '../codec/key-ring';
import { loadLocalKeyRing, localKeyPath } from '../codec/local-key';
import type { Config } from '../config';

/** The CLI cannot work with this configuration; exit 2. */
export class CliSetupError extends Error {
  override readonly name = 'CliSetupError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

function keyRingFor(config: Config): KeyRing {
  const keyRing = config.codec.keyRing ?? loadLocalKeyRing(config.dataDir);
  if (keyRing) return keyRing;
  throw new CliSetupError(
    `no payload-encryption key: PLUM_CODEC_KEYS is unset and ${localKeyPath(config.dataDir)} does not exist`,
    'set PLUM_CODEC_KEYS to the worker’s key ring, or run npm start once in this folder (embedded mode)',
  );
}

/** Connects to the Temporal the configuration names: TEMPORAL_ADDRESS, else the main job's embedded server. */
export async function connectKeeper(config: Config): Promise<TokenKeeperClient> {
  const keyRing = keyRingFor(config);
  const connectionOptions =
    config.temporal.mode === 'external'
      ? config.temporal.connect.connectionOptions
      : { address: `127.0.0.1:${config.temporal.port}` };
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions, connectTimeout: 5000 } as Parameters<
      typeof Connection.connect
    >[0]);
  } catch (error) {
    throw new TemporalUnavailableError(error);
  }
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: createDataConverter(keyRing),
  });
  return new TokenKeeperClient({ client });
}
