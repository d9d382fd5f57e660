import type { DataConverter } from '@temporalio/common';
import type { EnrolmentKey } from './keeper-codec';
import { KeeperCodec } from './keeper-codec';
import type { KeyRing } from './key-ring';

/** Path of the failure converter; the workflow bundle loads it by path. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The one data converter of the project: worker, clients, CLI and tests all use it. `tokenRing` seals token values
 * inside payloads so that the codec server (payload ring only) never reveals them; workers and every client that
 * reads tokens need it. `enrolment`: the enrolment public key, with which a process without the token ring (an
 * operator, the codec server) seals the sets it sends; the workers' private ring opens them.
 */
export function createDataConverter(keyRing: KeyRing, tokenRing?: KeyRing, enrolment?: EnrolmentKey): DataConverter {
  return {
    payloadCodecs: [new KeeperCodec(keyRing, tokenRing, enrolment)],
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

/**
 * The worker's variant of a data converter made by {@link createDataConverter}: a message under a key the worker lacks
 * reaches the workflow as a marker it refuses visibly, instead of failing every workflow task.
 */
export function workerDataConverter(dataConverter: DataConverter): DataConverter {
  return {
    ...dataConverter,
    payloadCodecs: dataConverter.payloadCodecs?.map((codec) =>
      codec instanceof KeeperCodec ? codec.forWorker() : codec,
    ),
  };
}
