import type { Payload, PayloadCodec } from '@temporalio/common';
import type { UndecodableMarker } from '../contract';
import { ARRIVED_UNENCRYPTED, ARRIVED_UNSEALED, UNDECODABLE_PAYLOAD } from '../contract';
import { AesGcmCodec, metadataText } from './aes-gcm-codec';
import { EnrolmentKeyRing } from './enrolment-seal';
import type { EnrolmentPublicKey } from './enrolment-seal';
import type { KeyRing } from './key-ring';
import { UnknownKeyIdError } from './key-ring';
import {
  TokenSealer,
  TokenUnsealError,
  TooDeepError,
  holdsOpenTokens,
  isEnrolmentSealed,
  mapTokens,
} from './token-seal';

const JSON_ENCODING = 'json/plain';

function undecodableMarker(why: UndecodableMarker): Payload {
  return {
    metadata: { encoding: new TextEncoder().encode(JSON_ENCODING) },
    data: new TextEncoder().encode(JSON.stringify({ [UNDECODABLE_PAYLOAD]: why })),
  };
}

/** Applies `transform` to a JSON payload's value; other payloads, and values it returns unchanged, pass as they are. */
function mapJson(payload: Payload, transform: (value: unknown) => unknown): Payload {
  if (metadataText(payload.metadata?.encoding) !== JSON_ENCODING || !payload.data) return payload;
  const value: unknown = JSON.parse(new TextDecoder().decode(payload.data));
  const mapped = transform(value);
  if (mapped === value) return payload;
  return { ...payload, data: new TextEncoder().encode(JSON.stringify(mapped)) };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A workflow input or a reseed: the messages that hand the keeper a token set (activity results are its own). */
const bringsTokenSet = (value: Record<string, unknown>): boolean => 'tokens' in value || 'carried' in value;

/** The marker a decoded value gets for how its tokens reached history, if they are readable there. */
function leakMarker(value: unknown, cameInClear: boolean, sealing: boolean): string | undefined {
  if (!isPlainObject(value)) return undefined;
  if (cameInClear) return holdsOpenTokens(value) ? ARRIVED_UNENCRYPTED : undefined;
  return sealing && bringsTokenSet(value) && holdsOpenTokens(value) ? ARRIVED_UNSEALED : undefined;
}

/** A worker without the enrolment ring must not take a sealed set for a token: the workflow refuses it visibly. */
function refuseEnrolmentSealed(value: unknown): unknown {
  return mapTokens(value, (token) => {
    if (!isEnrolmentSealed(token)) return token;
    throw new TokenUnsealError(
      'a token set is sealed for the enrolment key, and this worker holds no PLUM_ENROLMENT_KEYS: give every worker the enrolment key ring (the private halves)',
    );
  });
}

/**
 * The enrolment key as a codec holds it: the public half seals the sets an operator, a service or the codec server
 * sends; the private ring (workers only) also opens them.
 */
export type EnrolmentKey = EnrolmentPublicKey | EnrolmentKeyRing;

/**
 * The keeper's codec: token values sealed with the token key ring (when given; else, where given, for the workers'
 * enrolment key), then the whole payload encrypted with the payload key ring. The codec server holds only the payload
 * ring and the enrolment public key, so what it shows the UI keeps tokens sealed and what it sends reaches history
 * sealed too.
 */
export class KeeperCodec implements PayloadCodec {
  private readonly outer: AesGcmCodec;
  private readonly sealer: TokenSealer | undefined;

  /**
   * @param asWorker how a worker decodes: a payload under a key the worker lacks (a client rotated keys before
   *   the workers) decodes to an `undecodablePayload` marker the workflow refuses visibly, instead of failing every
   *   workflow task, and a token set that arrives encrypted but unsealed is marked `arrivedUnsealed`. Clients keep
   *   the default and see the error.
   */
  constructor(
    private readonly payloadRing: KeyRing,
    private readonly tokenRing?: KeyRing,
    private readonly enrolment?: EnrolmentKey,
    private readonly asWorker = false,
  ) {
    this.outer = new AesGcmCodec(payloadRing);
    this.sealer = tokenRing && new TokenSealer(tokenRing);
  }

  /** Whether token sets this codec sends reach history sealed (by the token ring or for the enrolment key). */
  get sealsTokens(): boolean {
    return this.sealer !== undefined || this.enrolment !== undefined;
  }

  private sealTokens(value: unknown): unknown {
    if (this.sealer) return this.sealer.seal(value);
    if (!this.enrolment) return value;
    const publicKey = this.enrolment instanceof EnrolmentKeyRing ? this.enrolment.publicKey : this.enrolment;
    return publicKey.seal(value);
  }

  private openTokens(value: unknown): unknown {
    const opened =
      this.enrolment instanceof EnrolmentKeyRing
        ? this.enrolment.open(value)
        : this.asWorker
          ? refuseEnrolmentSealed(value)
          : value;
    return this.sealer ? this.sealer.unseal(opened) : opened;
  }

  /** Whether this codec opens sealed tokens (it holds the token key ring). */
  get opensTokens(): boolean {
    return this.sealer !== undefined;
  }

  /** The same codec as the worker uses it: undecodable payloads become markers. */
  forWorker(): KeeperCodec {
    return new KeeperCodec(this.payloadRing, this.tokenRing, this.enrolment, true);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const sealing = this.sealsTokens;
    return this.outer.encode(sealing ? payloads.map((p) => mapJson(p, (value) => this.sealTokens(value))) : payloads);
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return Promise.all(payloads.map((payload) => this.decodeOne(payload)));
  }

  private async decodeOne(payload: Payload): Promise<Payload> {
    const cameInClear = !AesGcmCodec.isEncrypted(payload);
    try {
      const [opened] = await this.outer.decode([payload]);
      // Nothing to unseal and nothing to mark: skip parsing the JSON.
      if (!cameInClear && !this.sealer && !(this.enrolment instanceof EnrolmentKeyRing)) return opened!;
      // Only a worker holding the token ring tells unsealed tokens apart: for it, everything it writes is sealed.
      const sealing = this.asWorker && this.sealer !== undefined;
      return mapJson(opened!, (value) => {
        const marker = leakMarker(value, cameInClear, sealing);
        const marked = marker ? { ...(value as Record<string, unknown>), [marker]: true } : value;
        return this.openTokens(marked);
      });
    } catch (error) {
      if (!this.asWorker) throw error;
      // No payload, however shaped, may fail a workflow task: the workflow refuses the marker visibly instead.
      if (error instanceof TooDeepError || error instanceof RangeError)
        return undecodableMarker({ problem: error.message });
      const keyId =
        error instanceof UnknownKeyIdError ? error.keyId : error instanceof TokenUnsealError ? error.keyId : undefined;
      if (keyId !== undefined) return undecodableMarker({ keyId });
      if (error instanceof TokenUnsealError) return undecodableMarker({ problem: error.message });
      throw error;
    }
  }
}
