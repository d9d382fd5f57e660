// docs/vectors: the files are what the code makes (no drift), and the real codec reads every vector as the files say.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Payload } from '@temporalio/common';
import { KeeperCodec } from '../src/codec/keeper-codec';
import { PayloadDecryptionError } from '../src/codec/aes-gcm-codec';
import { UnknownKeyIdError } from '../src/codec/key-ring';
import { TokenSealer, TokenUnsealError } from '../src/codec/token-seal';
import { conformanceVectors, vectorKeyRings } from '../scripts/vectors/generate';

const read = <T>(file: string) => JSON.parse(readFileSync(join('docs/vectors', file), 'utf8')) as T;
type Wire = { metadata: Record<string, string>; data: string };
const toPayload = ({ metadata, data }: Wire): Payload => ({
  metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v)])),
  data: Buffer.from(data, 'base64'),
});
const jsonOf = (payload: Payload) => JSON.parse(Buffer.from(payload.data!).toString('utf8')) as unknown;

describe('conformance vectors (docs/vectors)', () => {
  it('are exactly what the TypeScript code makes (npm run vectors -- --write after a change)', () => {
    for (const [file, content] of Object.entries(conformanceVectors())) {
      assert.deepEqual(read(file), JSON.parse(JSON.stringify(content)), `${file} is stale`);
    }
  });

  const rings = vectorKeyRings();
  const payloads = read<{
    vectors: { name: string; outer: Wire; inner: { data: string }; afterUnseal: unknown }[];
    mustFail: { name: string; outer: Wire; error: string }[];
  }>('payload-codec.json');

  it('the codec decrypts every payload vector, and opens the sealed tokens inside with the token ring', async () => {
    for (const vector of payloads.vectors) {
      const [sealed] = await new KeeperCodec(rings.payload).decode([toPayload(vector.outer)]);
      assert.deepEqual(jsonOf(sealed!), JSON.parse(vector.inner.data), vector.name);
      const [opened] = await new KeeperCodec(rings.payload, rings.token).decode([toPayload(vector.outer)]);
      assert.deepEqual(jsonOf(opened!), vector.afterUnseal, vector.name);
    }
  });

  it('refuses every payload vector that must fail, for the reason the file gives', async () => {
    const errorFor = {
      authentication: PayloadDecryptionError,
      truncated: PayloadDecryptionError,
      'unknown key id': UnknownKeyIdError,
    };
    for (const vector of payloads.mustFail) {
      await assert.rejects(
        new KeeperCodec(rings.payload).decode([toPayload(vector.outer)]),
        errorFor[vector.error as keyof typeof errorFor],
        vector.name,
      );
    }
  });

  it('opens every sealed token, and refuses a tampered one and one under a key the ring lacks', () => {
    const seals = read<{ vectors: { token: string; sealed: string }[]; mustFail: { sealed: string; error: string }[] }>(
      'token-seal.json',
    );
    const sealer = new TokenSealer(rings.token);
    for (const { token, sealed } of seals.vectors) {
      assert.deepEqual(sealer.unseal({ accessToken: sealed }), { accessToken: token });
    }
    for (const { sealed, error } of seals.mustFail) {
      assert.throws(
        () => sealer.unseal({ accessToken: sealed }),
        (thrown: unknown) =>
          thrown instanceof TokenUnsealError && (error === 'unknown key id') === (thrown.keyId !== undefined),
      );
    }
  });
});
