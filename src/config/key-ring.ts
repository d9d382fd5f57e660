import type { KeyRing } from '../codec/key-ring';
import type { LocalKeyFile } from '../codec/local-key';
import { loadLocalKeyRing, loadOrCreateLocalKeyRing, localKeyPath } from '../codec/local-key';
import type { Config } from './index';
import { SERVER_NAMED_BY } from './temporal-server';

/** No key ring is configured and none can be made here; `hint` says how to fix it. */
export class MissingKeyRingError extends Error {
  override readonly name = 'MissingKeyRingError';
  constructor(
    readonly variable: 'PLUM_CODEC_KEYS' | 'PLUM_TOKEN_KEYS',
    readonly problem: string,
    readonly hint: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

/** The payload ring (whole payloads) and the token ring (token values inside them). */
export interface KeyRings {
  payload: KeyRing;
  tokens: KeyRing;
}

/** What an operator command holds: the payload ring always, the token ring only where it is configured. */
export interface OperatorKeyRings {
  payload: KeyRing;
  tokens?: KeyRing;
}

const RING_FILES = { PLUM_CODEC_KEYS: 'codec-keys', PLUM_TOKEN_KEYS: 'token-keys' } as const;

function resolveOne(
  configured: KeyRing | undefined,
  variable: keyof typeof RING_FILES,
  config: Config,
  options: { create: boolean; log?: (line: string) => void },
): KeyRing {
  if (configured) return configured;
  const file: LocalKeyFile = RING_FILES[variable];
  if (config.temporal.mode === 'external') {
    throw new MissingKeyRingError(
      variable,
      `is required with a Temporal server (${SERVER_NAMED_BY})`,
      `set ${variable} (or ${variable}_FILE) to the workers’ key ring: id:base64 32-byte key`,
    );
  }
  if (options.create) {
    const local = loadOrCreateLocalKeyRing(config.dataDir, file);
    options.log?.(`${local.created ? 'Generated' : 'Using'} the local ${file} in ${local.path} (embedded mode only)`);
    return local.keyRing;
  }
  const local = loadLocalKeyRing(config.dataDir, file);
  if (local) return local;
  throw new MissingKeyRingError(
    variable,
    `is unset and ${localKeyPath(config.dataDir, file)} does not exist`,
    `set ${variable} to the worker’s key ring, or run npm start once in this folder (embedded mode)`,
  );
}

/**
 * The one place the project finds its keys: `PLUM_CODEC_KEYS` and `PLUM_TOKEN_KEYS` when set, else (embedded mode
 * only) the local files under `PLUM_DATA_DIR`, made on first use when `create` is set (the main job) and only read
 * otherwise (the CLI, which must never invent a key the worker lacks).
 */
export function resolveKeyRings(config: Config, options: { create: boolean; log?: (line: string) => void }): KeyRings {
  return {
    payload: resolveOne(config.codec.keyRing, 'PLUM_CODEC_KEYS', config, options),
    tokens: resolveOne(config.codec.tokenKeyRing, 'PLUM_TOKEN_KEYS', config, options),
  };
}

/**
 * The rings of an operator command: the payload ring is required (state is encrypted), the token ring is taken where
 * it is configured (or, in embedded mode, where the local file exists) and is otherwise left out: only commands that
 * print or use a token need it.
 */
export function resolveOperatorKeyRings(config: Config): OperatorKeyRings {
  const payload = resolveOne(config.codec.keyRing, 'PLUM_CODEC_KEYS', config, { create: false });
  const tokens =
    config.codec.tokenKeyRing ??
    (config.temporal.mode === 'embedded' ? loadLocalKeyRing(config.dataDir, RING_FILES.PLUM_TOKEN_KEYS) : undefined);
  return { payload, ...(tokens && { tokens }) };
}
