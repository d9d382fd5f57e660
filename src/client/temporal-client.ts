import type { ConnectionOptions } from '@temporalio/client';
import { Client, Connection } from '@temporalio/client';
import { diagnoseConnection } from './connection-diagnosis';
import { createDataConverter } from '../codec/data-converter';
import type { EnrolmentPublicKey } from '../codec/enrolment-seal';
import type { KeyRing } from '../codec/key-ring';
import { TemporalUnavailableError } from './errors';

/** Where and how to reach Temporal, and the key ring that reads the keeper's payloads. */
export interface TemporalClientOptions {
  connectionOptions: ConnectionOptions;
  namespace: string;
  keyRing: KeyRing;
  /** Unseals token values (`PLUM_TOKEN_KEYS`); a client that reads tokens needs it. */
  tokenKeyRing?: KeyRing;
  /** Seals the token sets this client sends when it lacks the token ring (`PLUM_ENROLMENT_PUBLIC_KEY`). */
  enrolmentPublicKey?: EnrolmentPublicKey;
}

/**
 * A connection (5 s to connect); a failure is probed and thrown as {@link TemporalUnavailableError} naming the cause
 * and the setting that fixes it.
 */
export async function connectTemporal(options: ConnectionOptions): Promise<Connection> {
  try {
    return await Connection.connect({ connectTimeout: 5000, ...options });
  } catch (error) {
    throw new TemporalUnavailableError(error, await diagnoseConnection(options));
  }
}

/**
 * The one way the project builds a Temporal client: a connection (5 s to connect) and the project's data converter.
 * Fails with {@link TemporalUnavailableError} when the server cannot be reached.
 */
export async function connectTemporalClient(options: TemporalClientOptions): Promise<Client> {
  const connection = await connectTemporal(options.connectionOptions);
  return new Client({
    connection,
    namespace: options.namespace,
    dataConverter: createDataConverter(options.keyRing, options.tokenKeyRing, options.enrolmentPublicKey),
  });
}
