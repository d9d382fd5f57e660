import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EnrolmentKeyRing, EnrolmentPublicKey } from '../src/codec/enrolment-seal';
import { KeyRingConfigError } from '../src/codec/key-ring';
import { TokenUnsealError, holdsOpenTokens } from '../src/codec/token-seal';
import { loadConfig } from '../src/config';
import { TEST_ENROLMENT_KEYS, TEST_ENROLMENT_PUBLIC_KEY, TEST_KEYS_ENV } from './helpers/codec';

const SET = { tokens: { access_token: 'sbx_at_enrol_unit', refresh_token: 'sbx_rt_enrol_unit' } };

describe('the enrolment key pair', () => {
  it('seals every token with the public half; only the private ring opens it, and a sealed set is not a leak', () => {
    const sealed = TEST_ENROLMENT_PUBLIC_KEY.seal(SET) as typeof SET;
    assert.match(sealed.tokens.refresh_token, /^enrolment:v1:test-e:/);
    assert.ok(!JSON.stringify(sealed).includes('sbx_'), 'no token readable in the sealed set');
    assert.notEqual(
      (TEST_ENROLMENT_PUBLIC_KEY.seal(SET) as typeof SET).tokens.refresh_token,
      sealed.tokens.refresh_token,
      'each seal uses a fresh ephemeral key',
    );
    assert.equal(holdsOpenTokens(sealed), false);
    assert.equal(holdsOpenTokens(SET), true);
    assert.deepEqual(TEST_ENROLMENT_KEYS.open(sealed), SET);
  });

  it('another ring, or a tampered value, is refused with an error that names the key and never the token', () => {
    const sealed = TEST_ENROLMENT_PUBLIC_KEY.seal(SET) as typeof SET;
    const other = EnrolmentKeyRing.parse(EnrolmentKeyRing.generate('other'));
    assert.throws(
      () => other.open(sealed),
      (error: Error) =>
        error instanceof TokenUnsealError && /test-e/.test(error.message) && /PLUM_ENROLMENT_KEYS/.test(error.message),
    );
    const value = sealed.tokens.refresh_token;
    const tampered = { tokens: { refresh_token: `${value.slice(0, -6)}AAAA==` } };
    assert.throws(
      () => TEST_ENROLMENT_KEYS.open(tampered),
      (error: Error) => error instanceof TokenUnsealError && !error.message.includes('sbx_'),
    );
    assert.throws(() => TEST_ENROLMENT_KEYS.open({ refresh_token: 'enrolment:v1:test-e:AAAA' }), TokenUnsealError);
  });

  it('bad key material is refused naming the variable, never echoing it', () => {
    const material = Buffer.alloc(16, 7).toString('base64');
    assert.throws(
      () => EnrolmentPublicKey.parse(`k:${material}`),
      (error: Error) =>
        error instanceof KeyRingConfigError &&
        /PLUM_ENROLMENT_PUBLIC_KEY/.test(error.message) &&
        !error.message.includes(material),
    );
    assert.throws(() => EnrolmentKeyRing.parse(`${material}`), KeyRingConfigError);
    const problems = (() => {
      try {
        loadConfig({ PLUM_CODEC_KEYS: TEST_KEYS_ENV, PLUM_ENROLMENT_KEYS: `k:${material}` });
      } catch (error) {
        return (error as { problems: { variable: string; problem: string }[] }).problems;
      }
      return [];
    })();
    assert.deepEqual(
      problems.map((p) => p.variable),
      ['PLUM_ENROLMENT_KEYS'],
    );
    assert.ok(!JSON.stringify(problems).includes(material));
  });

  it('a public key of another ring is refused at configuration', () => {
    const other = EnrolmentKeyRing.parse(EnrolmentKeyRing.generate('other'));
    assert.throws(
      () =>
        loadConfig({
          PLUM_CODEC_KEYS: TEST_KEYS_ENV,
          PLUM_ENROLMENT_KEYS: `test-e:${Buffer.alloc(32, 1).toString('base64')}`,
          PLUM_ENROLMENT_PUBLIC_KEY: other.publicKey.toString(),
        }),
      /PLUM_ENROLMENT_PUBLIC_KEY/,
    );
  });
});
