import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmCodec, PayloadDecryptionError } from '../src/codec/aes-gcm-codec';
import { KeyRing, KeyRingConfigError, UnknownKeyIdError, keyRingFromEnv, parseKeyRing } from '../src/codec/key-ring';
import { KeeperCodec } from '../src/codec/keeper-codec';
import { TokenSealer, holdsOpenTokens } from '../src/codec/token-seal';
import { TEST_KEY_RING, testKey } from './helpers/codec';

const SECRET = 'sbx_at_the-secret-token';
const payload = () => defaultPayloadConverter.toPayload({ accessToken: SECRET });
const b64 = (label: string) => testKey(label).toString('base64');
const metadataText = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());

describe('the key ring', () => {
  it('parses id:base64 pairs; the last is active unless one is named', () => {
    const ring = parseKeyRing(`a:${b64('a')}, b:${b64('b')}`, undefined);
    assert.deepEqual(ring.keyIds, ['a', 'b']);
    assert.equal(ring.activeKeyId, 'b');
    assert.equal(parseKeyRing(`a:${b64('a')},b:${b64('b')}`, 'a').activeKeyId, 'a');
  });

  const bad: [string, string, string | undefined, RegExp][] = [
    ['empty', '', undefined, /holds no keys/],
    ['no colon', b64('a'), undefined, /entry 1 is not id:base64key/],
    ['not base64', 'a:not base64!', undefined, /key "a" is not base64/],
    ['too short', `a:${Buffer.alloc(16).toString('base64')}`, undefined, /key "a" is 16 bytes; AES-256 needs 32/],
    ['a duplicate id', `a:${b64('a')},a:${b64('b')}`, undefined, /key id "a" appears twice/],
    ['an unknown active id', `a:${b64('a')}`, 'z', /"z" is not one of the keys \(a\)/],
    ['a bad id', `a b:${b64('a')}`, undefined, /entry 1: the key id is not 1–64/],
  ];
  for (const [name, spec, active, message] of bad) {
    it(`refuses ${name}, naming the problem and never the key material`, () => {
      assert.throws(
        () => parseKeyRing(spec, active),
        (error: Error) => {
          assert.ok(error instanceof KeyRingConfigError);
          assert.match(error.message, message);
          assert.ok(!error.message.includes(b64('a')) && !error.message.includes(b64('b')));
          return true;
        },
      );
    });
  }

  it('reads PLUM_CODEC_KEYS or PLUM_CODEC_KEYS_FILE, never both', () => {
    assert.equal(keyRingFromEnv({}), undefined);
    assert.equal(keyRingFromEnv({ PLUM_CODEC_KEYS: `k:${b64('k')}` })?.activeKeyId, 'k');
    assert.throws(() => keyRingFromEnv({ PLUM_CODEC_KEYS: 'x', PLUM_CODEC_KEYS_FILE: '/y' }), /set only one/);
    assert.throws(
      () => keyRingFromEnv({ PLUM_CODEC_KEYS_FILE: '/nonexistent/keys' }),
      /cannot read \/nonexistent\/keys \(ENOENT\)/,
    );
  });
});

describe('the AES-256-GCM codec', () => {
  const ringA = KeyRing.of({ a: testKey('a') }, 'a');
  const ringAB = KeyRing.of({ a: testKey('a'), b: testKey('b') }, 'b');
  const ringB = KeyRing.of({ b: testKey('b') }, 'b');

  it('round-trips, hides the plaintext and uses a fresh IV each time', async () => {
    const codec = new AesGcmCodec(ringA);
    const [one] = await codec.encode([payload()]);
    const [two] = await codec.encode([payload()]);
    assert.ok(one && two);
    assert.ok(!Buffer.from(one.data!).includes(SECRET));
    assert.notDeepEqual(Buffer.from(one.data!), Buffer.from(two.data!));
    assert.equal(metadataText(one.metadata?.encoding), 'binary/encrypted');
    assert.equal(metadataText(one.metadata?.['encryption-key-id']), 'a');
    const [decoded] = await codec.decode([one]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), { accessToken: SECRET });
  });

  it('passes unencrypted payloads through on decode', async () => {
    const plain = payload();
    assert.deepEqual(await new AesGcmCodec(ringA).decode([plain]), [plain]);
  });

  it('key rotation: old payloads decode after a new key is active; new payloads carry the new key id', async () => {
    const [underA] = await new AesGcmCodec(ringA).encode([payload()]);
    const rotated = new AesGcmCodec(ringAB);
    const [decoded] = await rotated.decode([underA!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), { accessToken: SECRET });
    const [underB] = await rotated.encode([payload()]);
    assert.equal(metadataText(underB!.metadata?.['encryption-key-id']), 'b');
  });

  it('an unknown key id is a clear error naming it', async () => {
    const [underA] = await new AesGcmCodec(ringA).encode([payload()]);
    await assert.rejects(new AesGcmCodec(ringB).decode([underA!]), (error: Error) => {
      assert.ok(error instanceof UnknownKeyIdError);
      assert.match(error.message, /key id "a", which is not in the key ring \(known: b\)/);
      return true;
    });
  });

  it('a tampered or truncated payload fails authentication', async () => {
    const codec = new AesGcmCodec(ringA);
    const [sealed] = await codec.encode([payload()]);
    const data = Buffer.from(sealed!.data!);
    data[20] = data[20]! ^ 1;
    await assert.rejects(codec.decode([{ ...sealed!, data }]), PayloadDecryptionError);
    await assert.rejects(codec.decode([{ ...sealed!, data: data.subarray(0, 10) }]), /truncated/);
  });
});

describe('token sealing (the second layer)', () => {
  const ringA = KeyRing.of({ ta: testKey('seal-a') }, 'ta', 'PLUM_TOKEN_KEYS');
  const ringAB = KeyRing.of({ ta: testKey('seal-a'), tb: testKey('seal-b') }, 'tb', 'PLUM_TOKEN_KEYS');
  const ringB = KeyRing.of({ tb: testKey('seal-b') }, 'tb', 'PLUM_TOKEN_KEYS');
  const state = { tokens: { accessToken: 'at-1', refreshToken: 'rt-1' }, userTokens: [['k', { accessToken: 'ut-1' }]] };

  it('seals token fields at any depth, leaves the rest, and unseals them back', () => {
    const sealed = new TokenSealer(ringA).seal(state) as typeof state;
    const text = JSON.stringify(sealed);
    for (const token of ['at-1', 'rt-1', 'ut-1']) assert.ok(!text.includes(token), token);
    assert.match(sealed.tokens.refreshToken, /^sealed:v1:ta:/);
    assert.deepEqual(new TokenSealer(ringA).unseal(sealed), state);
    assert.equal(holdsOpenTokens(state), true);
    assert.equal(holdsOpenTokens(sealed), false);
  });

  it('rotates: a value sealed under A opens with A+B; new seals carry B; B alone names the missing key', () => {
    const underA = new TokenSealer(ringA).seal(state);
    assert.deepEqual(new TokenSealer(ringAB).unseal(underA), state);
    assert.match(JSON.stringify(new TokenSealer(ringAB).seal(state)), /sealed:v1:tb:/);
    assert.throws(() => new TokenSealer(ringB).unseal(underA), /key id "ta", which is not in the token key ring/);
  });

  it('a client a step behind a key rotation is told which step is missing', () => {
    const underB = new TokenSealer(ringAB).seal(state);
    assert.throws(
      () => new TokenSealer(ringA).unseal(underB),
      /key id "tb".*add it to PLUM_TOKEN_KEYS: a key rotation activated it on the workers before this process held it \(add new keys everywhere first, activate them second\)/,
    );
  });

  it('the keeper codec seals inside and encrypts outside; the payload ring alone shows sealed values', async () => {
    const payload = defaultPayloadConverter.toPayload(state);
    const [encoded] = await new KeeperCodec(TEST_KEY_RING, ringA).encode([payload]);
    const [outerOnly] = await new AesGcmCodec(TEST_KEY_RING).decode([encoded!]);
    assert.match(Buffer.from(outerOnly!.data!).toString(), /sealed:v1:ta:/);
    const [both] = await new KeeperCodec(TEST_KEY_RING, ringA).decode([encoded!]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(both!), state);
  });

  it('marks a plaintext payload holding tokens as arrived unencrypted; leaves other plaintext alone', async () => {
    const codec = new KeeperCodec(TEST_KEY_RING, ringA);
    const [leaked] = await codec.decode([defaultPayloadConverter.toPayload({ tokens: { refresh_token: 'x' } })]);
    assert.equal((defaultPayloadConverter.fromPayload(leaked!) as Record<string, unknown>).arrivedUnencrypted, true);
    const [plain] = await codec.decode([defaultPayloadConverter.toPayload({ reason: 'ops' })]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(plain!), { reason: 'ops' });
  });
});
