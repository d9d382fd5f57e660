import type { Payload, PayloadCodec } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import type { KeyRing } from './key-ring';
import { TokenSealer, holdsOpenTokens } from './token-seal';

/**
 * Set on a decoded object that reached the worker without encryption while holding tokens (a `temporal workflow
 * start` or update sent without the codec): the tokens are in clear in history, and the workflow rotates at once.
 */
export const ARRIVED_UNENCRYPTED = 'arrivedUnencrypted';

const JSON_ENCODING = 'json/plain';
const encodingOf = (payload: Payload) =>
  payload.metadata?.encoding ? new TextDecoder().decode(payload.metadata.encoding) : undefined;

/** Applies `transform` to a JSON payload's value; other payloads, and values it returns unchanged, pass as they are. */
function mapJson(payload: Payload, transform: (value: unknown) => unknown): Payload {
  if (encodingOf(payload) !== JSON_ENCODING || !payload.data) return payload;
  const value: unknown = JSON.parse(new TextDecoder().decode(payload.data));
  const mapped = transform(value);
  if (mapped === value) return payload;
  return { ...payload, data: new TextEncoder().encode(JSON.stringify(mapped)) };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The keeper's codec: token values sealed with the token key ring (when given), then the whole payload encrypted with
 * the payload key ring. The codec server holds only the payload ring, so what it shows the UI keeps tokens sealed.
 */
export class KeeperCodec implements PayloadCodec {
  private readonly outer: AesGcmCodec;
  private readonly sealer: TokenSealer | undefined;

  constructor(payloadRing: KeyRing, tokenRing?: KeyRing) {
    this.outer = new AesGcmCodec(payloadRing);
    this.sealer = tokenRing && new TokenSealer(tokenRing);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const sealer = this.sealer;
    return this.outer.encode(sealer ? payloads.map((p) => mapJson(p, (value) => sealer.seal(value))) : payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    const cameInClear = payloads.map((payload) => !AesGcmCodec.isEncrypted(payload));
    const opened = await this.outer.decode(payloads);
    return opened.map((payload, index) =>
      mapJson(payload, (value) => {
        const marked =
          cameInClear[index] && isPlainObject(value) && holdsOpenTokens(value)
            ? { ...value, [ARRIVED_UNENCRYPTED]: true }
            : value;
        return this.sealer ? this.sealer.unseal(marked) : marked;
      }),
    );
  }
}
