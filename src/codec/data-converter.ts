import type { DataConverter } from '@temporalio/common';
import { KeeperCodec } from './keeper-codec';
import type { KeyRing } from './key-ring';

/** Path of the failure converter; the workflow bundle loads it by path. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The one data converter of the project: worker, clients, CLI and tests all use it. `tokenRing` seals token values
 * inside payloads so that the codec server (payload ring only) never reveals them; workers and every client that
 * reads tokens need it.
 */
export function createDataConverter(keyRing: KeyRing, tokenRing?: KeyRing): DataConverter {
  return { payloadCodecs: [new KeeperCodec(keyRing, tokenRing)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
