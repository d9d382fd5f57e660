import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnrolmentKeyRing } from './enrolment-seal';
import { KeyRing, parseKeyRing } from './key-ring';

/** The embedded demo's key files: one for payloads, one for sealing tokens. */
export type LocalKeyFile = 'codec-keys' | 'token-keys';

export const localKeyPath = (dataDir: string, file: LocalKeyFile = 'codec-keys'): string => join(dataDir, file);

/** The embedded demo's key ring if `npm start` has made one in `dataDir`, else undefined. */
export function loadLocalKeyRing(dataDir: string, file: LocalKeyFile = 'codec-keys'): KeyRing | undefined {
  const path = localKeyPath(dataDir, file);
  return existsSync(path) ? parseKeyRing(readFileSync(path, 'utf8').trim(), undefined, path) : undefined;
}

/**
 * The embedded demo's key ring: kept in `<dataDir>/codec-keys` (mode 0600) so the SQLite history it encrypted stays
 * readable across restarts. Production sets PLUM_CODEC_KEYS instead.
 */
export function loadOrCreateLocalKeyRing(
  dataDir: string,
  file: LocalKeyFile = 'codec-keys',
): { keyRing: KeyRing; created: boolean; path: string } {
  const path = localKeyPath(dataDir, file);
  const existing = loadLocalKeyRing(dataDir, file);
  if (existing) return { keyRing: existing, created: false, path };
  mkdirSync(dataDir, { recursive: true });
  const id = `local-${new Date().toISOString().slice(0, 10)}`;
  const key = randomBytes(32);
  writeFileSync(path, `${id}:${key.toString('base64')}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { keyRing: KeyRing.of({ [id]: key }, id), created: true, path };
}

const ENROLMENT_FILE = 'enrolment-keys';

/** The embedded demo's enrolment ring if `npm start` has made one in `dataDir`, else undefined. */
export function loadLocalEnrolmentKeys(dataDir: string): EnrolmentKeyRing | undefined {
  const path = join(dataDir, ENROLMENT_FILE);
  return existsSync(path) ? EnrolmentKeyRing.parse(readFileSync(path, 'utf8'), path) : undefined;
}

/** The embedded demo's enrolment ring, kept in `<dataDir>/enrolment-keys` (mode 0600) and made on first use. */
export function loadOrCreateLocalEnrolmentKeys(dataDir: string): {
  keys: EnrolmentKeyRing;
  created: boolean;
  path: string;
} {
  const path = join(dataDir, ENROLMENT_FILE);
  const existing = loadLocalEnrolmentKeys(dataDir);
  if (existing) return { keys: existing, created: false, path };
  mkdirSync(dataDir, { recursive: true });
  const spec = EnrolmentKeyRing.generate(`local-${new Date().toISOString().slice(0, 10)}`);
  writeFileSync(path, `${spec}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { keys: EnrolmentKeyRing.parse(spec, path), created: true, path };
}
