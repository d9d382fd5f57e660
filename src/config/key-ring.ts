import type { KeyRing } from '../codec/key-ring';
import { loadLocalKeyRing, localKeyPath, loadOrCreateLocalKeyRing } from '../codec/local-key';
import type { Config } from './index';

/** No key ring is configured and none can be made here; `hint` says how to fix it. */
export class MissingKeyRingError extends Error {
  override readonly name = 'MissingKeyRingError';
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/**
 * The one place the project finds its payload-encryption keys: `PLUM_CODEC_KEYS` when set, else (embedded mode only)
 * the local key under `PLUM_DATA_DIR`, made on first use when `create` is set (the main job) and only read otherwise
 * (the CLI, which must never invent a key the worker lacks).
 */
export function resolveKeyRing(config: Config, options: { create: boolean; log?: (line: string) => void }): KeyRing {
  if (config.codec.keyRing) return config.codec.keyRing;
  if (options.create) {
    const local = loadOrCreateLocalKeyRing(config.dataDir);
    options.log?.(
      `${local.created ? 'Generated' : 'Using'} the local payload-encryption key in ${local.path} (embedded mode only)`,
    );
    return local.keyRing;
  }
  const local = loadLocalKeyRing(config.dataDir);
  if (local) return local;
  throw new MissingKeyRingError(
    `no payload-encryption key: PLUM_CODEC_KEYS is unset and ${localKeyPath(config.dataDir)} does not exist`,
    'set PLUM_CODEC_KEYS to the worker’s key ring, or run npm start once in this folder (embedded mode)',
  );
}
