import { createHash } from 'node:crypto';
import { EnrolmentKeyRing } from '../../src/codec/enrolment-seal';
import { KeyRing } from '../../src/codec/key-ring';

/** A deterministic 32-byte test key; test keys are committed because they protect only throwaway sandbox tokens. */
export function testKey(label: string): Buffer {
  return createHash('sha256').update(`plum-token-keeper test key ${label}`).digest();
}

/** The key ring every test worker and client uses (and that encrypted the recorded histories). */
export const TEST_KEY_RING = KeyRing.of({ 'test-a': testKey('a') }, 'test-a');

/** The same ring as PLUM_CODEC_KEYS would spell it. */
export const TEST_KEYS_ENV = `test-a:${testKey('a').toString('base64')}`;

/** The token-sealing ring every test worker and client uses. */
export const TEST_TOKEN_KEY_RING = KeyRing.of({ 'test-t': testKey('t') }, 'test-t', 'PLUM_TOKEN_KEYS');

/** Both rings as a spawned worker, CLI or main job reads them from the environment. */
export const TEST_KEY_ENV_VARS = {
  PLUM_CODEC_KEYS: TEST_KEYS_ENV,
  PLUM_TOKEN_KEYS: `test-t:${testKey('t').toString('base64')}`,
};

/** The workers' enrolment ring in tests (X25519 takes any 32 bytes as a private key). */
export const TEST_ENROLMENT_KEYS = EnrolmentKeyRing.parse(`test-e:${testKey('e').toString('base64')}`);

/** Its public half, as operators, services and the codec server hold it. */
export const TEST_ENROLMENT_PUBLIC_KEY = TEST_ENROLMENT_KEYS.publicKey;
