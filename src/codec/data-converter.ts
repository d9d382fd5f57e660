import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import type { KeyRing } from './key-ring';

/** Path of the failure converter; the workflow bundle loads it by path. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The one data converter of the project: worker, clients, CLI and tests all use it. */
export function createDataConverter(keyRing: KeyRing): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(keyRing)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
