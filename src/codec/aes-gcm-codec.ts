import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { KeyRing } from './key-ring';

const ENCODING = 'binary/encrypted';
const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload that claims to be ours but cannot be decrypted (tampered, truncated, wrong key). */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

const text = (value: string) => new TextEncoder().encode(value);
const decodeText = (bytes: Uint8Array | null | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined);

/**
 * Encrypts whole payloads (metadata included) with AES-256-GCM under the key ring's active key, a fresh 96-bit IV
 * each; the key id travels in the outer metadata so any key of the ring can decrypt.
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(private readonly keyRing: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.keyRing.activeKey, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: text(ENCODING), [KEY_ID_METADATA]: text(this.keyRing.activeKeyId) },
        data: sealed,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (decodeText(payload.metadata?.encoding) !== ENCODING) return payload;
      const keyId = decodeText(payload.metadata?.[KEY_ID_METADATA]);
      if (!keyId) throw new PayloadDecryptionError('encrypted payload without an encryption-key-id');
      const key = this.keyRing.key(keyId);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES)
        throw new PayloadDecryptionError(`encrypted payload (key "${keyId}") is truncated`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plain) as Payload;
      } catch {
        throw new PayloadDecryptionError(
          `payload under key "${keyId}" failed authentication: tampered, or a different key with that id`,
        );
      }
    });
  }
}
