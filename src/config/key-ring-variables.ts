import type { EnrolmentKeyRing, EnrolmentPublicKey } from '../codec/enrolment-seal';
import type { KeyRing } from '../codec/key-ring';
import type { LocalKeyFile } from '../codec/local-key';
import {
  loadLocalEnrolmentKeys,
  loadLocalKeyRing,
  loadOrCreateLocalEnrolmentKeys,
  loadOrCreateLocalKeyRing,
  localKeyPath,
} from '../codec/local-key';
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

/**
 * The payload ring (whole payloads), the token ring (token values inside them) and the enrolment ring (opens the sets
 * operators send sealed with its public half; unset in production when the workers are not given one).
 */
export interface KeyRings {
  payload: KeyRing;
  tokens: KeyRing;
  enrolment?: EnrolmentKeyRing;
}

/**
 * What an operator command holds: the payload ring always, the token ring only where it is configured, and the
 * enrolment public key that seals the sets `enrol` and `reseed` send when the token ring is not held.
 */
export interface OperatorKeyRings {
  payload: KeyRing;
  tokens?: KeyRing;
  enrolment?: EnrolmentPublicKey;
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
  const enrolment = config.codec.enrolmentKeys ?? localEnrolmentKeys(config, options);
  return {
    payload: resolveOne(config.codec.keyRing, 'PLUM_CODEC_KEYS', config, options),
    tokens: resolveOne(config.codec.tokenKeyRing, 'PLUM_TOKEN_KEYS', config, options),
    ...(enrolment && { enrolment }),
  };
}

/** The embedded demo's enrolment ring: made by the main job on first use, only read by everything else. */
function localEnrolmentKeys(
  config: Config,
  options: { create: boolean; log?: (line: string) => void },
): EnrolmentKeyRing | undefined {
  if (config.temporal.mode === 'external') return undefined;
  if (!options.create) return loadLocalEnrolmentKeys(config.dataDir);
  const local = loadOrCreateLocalEnrolmentKeys(config.dataDir);
  options.log?.(
    `${local.created ? 'Generated' : 'Using'} the local enrolment-keys in ${local.path} (embedded mode only)`,
  );
  return local.keys;
}

/**
 * The enrolment public key of a process that sends token sets: configured, else the public half of a configured (or,
 * embedded, local) enrolment ring.
 */
export function resolveEnrolmentPublicKey(config: Config): EnrolmentPublicKey | undefined {
  return (
    config.codec.enrolmentPublicKey ??
    config.codec.enrolmentKeys?.publicKey ??
    (config.temporal.mode === 'embedded' ? loadLocalEnrolmentKeys(config.dataDir)?.publicKey : undefined)
  );
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
  const enrolment = resolveEnrolmentPublicKey(config);
  return { payload, ...(tokens && { tokens }), ...(enrolment && { enrolment }) };
}
