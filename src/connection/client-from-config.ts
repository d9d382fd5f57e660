import type { Client, ConnectionOptions } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { OperatorKeyRings } from '../config/key-ring-variables';
import { connectTemporalClient } from '../client/temporal-client';
import type { Config } from '../config/index';

/** Connection options from configuration: `TEMPORAL_ADDRESS` and friends, else the embedded server on loopback. */
export function connectionOptionsFor(config: Config, embeddedAddress?: string): NativeConnectionOptions {
  if (config.temporal.mode === 'external') return config.temporal.connect.connectionOptions;
  return { address: embeddedAddress ?? `127.0.0.1:${config.temporal.port}` };
}

/** A Temporal client for the configured server and namespace, reading payloads (and tokens, given the token ring) with `rings`. */
export function clientFromConfig(config: Config, rings: OperatorKeyRings, embeddedAddress?: string): Promise<Client> {
  return connectTemporalClient({
    // The native (worker) and client options share address, TLS, API key and metadata.
    connectionOptions: connectionOptionsFor(config, embeddedAddress) as ConnectionOptions,
    namespace: config.temporal.namespace,
    keyRing: rings.payload,
    ...(rings.tokens && { tokenKeyRing: rings.tokens }),
    ...(rings.enrolment && { enrolmentPublicKey: rings.enrolment }),
  });
}
