// The conformance vectors of docs/wire-protocol.md: made here from the TypeScript code itself (its AES-GCM, its token
// seal, its answer and failure mapping), so `npm test` fails when the code and the files drift apart.
import { createHash } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { aesSeal } from '../../src/codec/aes-gcm-codec';
import type { KeyRing } from '../../src/codec/key-ring';
import { parseKeyRing } from '../../src/codec/key-ring';
import type { AccessTokenResult } from '../../src/contract';
import { FAILURE_TYPES, companyIdSchema, userTokenRequestSchema } from '../../src/contract';
import {
  InvalidInputError,
  NoTokenYetError,
  NotEnrolledError,
  RefreshFailedError,
  ReseedRefusedError,
  StaleTokensError,
  TokenExpiredError,
  TokenKeeperError,
  UserTokenRejectedError,
} from '../../src/client/errors';
import { fieldsFor, queryRefusalIsMiss } from '../../src/client/keeper-protocol';
import { CACHE_LIMITS } from '../../src/client/options';
import { tokenOrError, translateFailure } from '../../src/client/translate';
import { retryVectors } from './retries';

const COMPANY = 'acme';
/** The client clock of the access-token vectors: between the expiries they hold. */
const ANSWER_CLOCK = 1_795_500_000_000;
const derive = (label: string) => createHash('sha256').update(`plum-token-keeper conformance ${label}`).digest();
const iv = (label: string) => derive(`iv ${label}`).subarray(0, 12);
const ring = (ids: string[]) => ids.map((id) => `${id}:${derive(id).toString('base64')}`).join(',');

/** The rings every vector uses; the last id listed is the active one, as in PLUM_CODEC_KEYS. */
export const VECTOR_RINGS = { payload: ring(['payload-2026a', 'payload-2026b']), token: ring(['seal-2026a']) };

const metadata = (entries: Record<string, string>) => entries;
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** `sealed:v1:<keyId>:<base64(iv ‖ ciphertext ‖ tag)>` with a fixed IV. */
function sealToken(token: string, keyId: string, ivLabel: string): string {
  return `sealed:v1:${keyId}:${b64(aesSeal(derive(keyId), Buffer.from(token, 'utf8'), iv(ivLabel)))}`;
}

/** An outer payload as the codec writes it, from the inner payload's JSON value. */
function encryptJson(value: unknown, keyId: string, ivLabel: string) {
  const inner = { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) };
  const innerBytes = temporal.api.common.v1.Payload.encode(inner).finish();
  return {
    inner: { metadata: metadata({ encoding: 'json/plain' }), data: JSON.stringify(value) },
    innerProtobuf: b64(innerBytes),
    keyId,
    iv: iv(ivLabel).toString('hex'),
    outer: {
      metadata: metadata({ encoding: 'binary/encrypted', 'encryption-key-id': keyId }),
      data: b64(aesSeal(derive(keyId), innerBytes, iv(ivLabel))),
    },
  };
}

function payloadVectors() {
  const accessToken = 'plum-access-token-0001';
  const answer = {
    ok: true,
    accessToken,
    expiresAt: 1_796_000_000_000,
    status: 'ACTIVE',
    nextRefreshAt: 1_795_990_000_000,
  };
  const sealedAnswer = { ...answer, accessToken: sealToken(accessToken, 'seal-2026a', 'answer') };
  const status = {
    companyId: COMPANY,
    status: 'ACTIVE',
    consecutiveFailures: 0,
    generation: 3,
    upstreamRefreshes: 3,
    cachedUserTokens: 0,
  };
  const good = [
    { name: 'status query answer (no token fields)', plain: status, sealedPlain: status, keyId: 'payload-2026b' },
    {
      name: 'accessToken query answer, token sealed inside',
      plain: answer,
      sealedPlain: sealedAnswer,
      keyId: 'payload-2026b',
    },
    { name: 'an older key of the ring still decrypts', plain: status, sealedPlain: status, keyId: 'payload-2026a' },
  ].map(({ name, plain, sealedPlain, keyId }) => ({
    name,
    ...encryptJson(sealedPlain, keyId, name),
    afterUnseal: plain,
  }));
  const tampered = encryptJson(status, 'payload-2026b', 'tampered');
  const tamperedData = Buffer.from(tampered.outer.data, 'base64');
  tamperedData[tamperedData.length - 1]! ^= 0x01;
  return {
    description:
      'Payload encryption (docs/wire-protocol.md, "The payload codec"). Each vector: the inner payload as JSON, its protobuf bytes, and the outer payload the codec writes with the fixed IV given. Decrypting `outer` with the ring must give `innerProtobuf`; unsealing token fields must give `afterUnseal`.',
    rings: VECTOR_RINGS,
    vectors: good,
    mustFail: [
      {
        name: 'tampered: the last byte of the tag flipped',
        outer: { ...tampered.outer, data: b64(tamperedData) },
        error: 'authentication',
      },
      {
        name: 'a key id the ring lacks',
        outer: {
          ...tampered.outer,
          metadata: metadata({ encoding: 'binary/encrypted', 'encryption-key-id': 'payload-2025z' }),
        },
        error: 'unknown key id',
      },
      {
        name: 'truncated: shorter than IV and tag',
        outer: { ...tampered.outer, data: b64(tamperedData.subarray(0, 27)) },
        error: 'truncated',
      },
    ],
  };
}

function sealVectors() {
  const tokens = ['plum-access-token-0001', 'ÿ-unicode-and-long-'.repeat(20)];
  const sealed = tokens.map((token, i) => ({
    token,
    keyId: 'seal-2026a',
    iv: iv(`seal ${i}`).toString('hex'),
    sealed: sealToken(token, 'seal-2026a', `seal ${i}`),
  }));
  const tamperedBody = Buffer.from(sealed[0]!.sealed.split(':')[3]!, 'base64');
  tamperedBody[14]! ^= 0x80;
  return {
    description:
      'Token seal (docs/wire-protocol.md, "The token seal"): `sealed:v1:<keyId>:<base64(iv ‖ AES-256-GCM ciphertext ‖ tag)>` of the UTF-8 token, under the token ring.',
    rings: VECTOR_RINGS,
    vectors: sealed,
    mustFail: [
      { name: 'tampered ciphertext', sealed: `sealed:v1:seal-2026a:${b64(tamperedBody)}`, error: 'authentication' },
      {
        name: 'a key id the token ring lacks',
        sealed: sealed[0]!.sealed.replace('seal-2026a', 'seal-2027x'),
        error: 'unknown key id',
      },
    ],
  };
}

/** What the reference client does with `value`: the token it returns, or the error it throws, by name and fields. */
function outcome(run: () => unknown): Record<string, unknown> {
  try {
    return { token: run() };
  } catch (error) {
    if (!(error instanceof TokenKeeperError)) throw error;
    const {
      name,
      message: _message,
      hint: _hint,
      stack: _stack,
      companyId: _companyId,
      ...fields
    } = error as unknown as Record<string, unknown>;
    return { error: name, ...fields };
  }
}

function answerVectors() {
  const answers: AccessTokenResult[] = [
    {
      ok: true,
      accessToken: 'plum-access-token-0001',
      expiresAt: 1_796_000_000_000,
      status: 'ACTIVE',
      nextRefreshAt: 1_795_990_000_000,
    },
    { ok: true, accessToken: 'plum-access-token-0001', expiresAt: 1_796_000_000_000, status: 'DEGRADED' },
    // Expiry unknown (enrolled while Plum's validate and refresh failed): usable, never "expired".
    { ok: true, accessToken: 'plum-access-token-0001', expiresAt: 0, status: 'DEGRADED' },
    // Expired by the client's clock though the keeper still answers it (the clocks differ).
    { ok: true, accessToken: 'plum-access-token-0001', expiresAt: 1_795_000_000_000, status: 'ACTIVE' },
    { ok: false, why: 'NO_TOKEN_YET', status: 'REFRESHING', message: 'no access token yet' },
    { ok: false, why: 'EXPIRED', status: 'EXPIRED', expiredAt: 1_795_000_000_000, message: 'the access token expired' },
    {
      ok: false,
      why: 'NEEDS_REAUTH',
      status: 'NEEDS_REAUTH',
      reason: 'INVALID_GRANT',
      message: 'Plum refused the refresh token',
    },
    { ok: false, why: 'RETIRED', status: 'RETIRED', message: 'the company is retired' },
  ];
  return {
    description:
      'Answers of the `accessToken` query and what a client makes of each at the client clock `now` (docs/wire-protocol.md, "accessToken" and client rule 1): the token, or a typed error with its fields. `expiresAt` 0 is an unknown expiry, never an expired token.',
    vectors: answers.map((answer) => ({
      answer,
      now: ANSWER_CLOCK,
      expect: outcome(() => tokenOrError(COMPANY, answer, ANSWER_CLOCK)),
    })),
  };
}

function failureVectors() {
  const updateFailure = (type: string, details: unknown[]) =>
    new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({ message: `a ${type}`, type, details }),
    );
  const cases: { name: string; failure: { type: string; details: unknown[] } }[] = [
    {
      name: 'refused: needs a person',
      failure: { type: FAILURE_TYPES.needsReauth, details: [{ status: 'NEEDS_REAUTH', reason: 'TOKEN_KILLED' }] },
    },
    {
      name: 'rotation failed, set dead',
      failure: { type: FAILURE_TYPES.refreshFailed, details: [{ status: 'NEEDS_REAUTH', reason: 'INVALID_GRANT' }] },
    },
    {
      name: 'rotation failed, will retry',
      failure: { type: FAILURE_TYPES.refreshFailed, details: [{ status: 'DEGRADED' }] },
    },
    { name: 'retired', failure: { type: FAILURE_TYPES.retired, details: [] } },
    { name: 'bad input', failure: { type: FAILURE_TYPES.invalidInput, details: [{ field: 'email' }] } },
    { name: 'stale tokens', failure: { type: FAILURE_TYPES.staleTokens, details: [] } },
    { name: 'reseed refused', failure: { type: FAILURE_TYPES.reseedRefused, details: [] } },
    {
      name: 'user token refused',
      failure: { type: FAILURE_TYPES.userTokenFailed, details: [{ reason: 'USER_NOT_FOUND' }] },
    },
    { name: 'no valid company token', failure: { type: FAILURE_TYPES.noValidToken, details: [] } },
  ];
  return {
    description:
      'Update failures (ApplicationFailure type and first detail) and the typed error a client raises for each (docs/wire-protocol.md, "Failures"). A workflow that is not found (gRPC NOT_FOUND) is NotEnrolledError; UNAVAILABLE or DEADLINE_EXCEEDED is TemporalUnavailableError.',
    vectors: cases.map(({ name, failure }) => {
      const error = translateFailure(updateFailure(failure.type, failure.details), COMPANY);
      return {
        name,
        failure,
        expect: outcome(() => {
          throw error;
        }),
      };
    }),
  };
}

const HINTED_ERRORS = [
  new NotEnrolledError('acme'),
  new TokenExpiredError('acme', 0),
  new NoTokenYetError('acme', 'ACTIVE'),
  new StaleTokensError('acme', 'stale'),
  new RefreshFailedError('acme', 'DEGRADED', 'failed'),
  new InvalidInputError('email', 'must be an e-mail address'),
  new UserTokenRejectedError('acme', 'USER_NOT_FOUND', 'rejected'),
  new ReseedRefusedError('acme', 'refused'),
] as const;

/**
 * The client rules prose alone said before (docs/wire-protocol.md, "Client rules"): what a keeper of each protocol is
 * sent (rule 6), which query refusal is a miss, the caches' bounds, which e-mails and company ids a client refuses
 * before sending, and the hint of each typed error whose hint is fixed and names no language's own API.
 */
function clientRuleVectors() {
  const refreshNow = { reason: 'Plum said 401', seenExpiresAt: 1_795_500_300_000 };
  const emails = [
    'admin@acme.example',
    'first.last+ops@sub.acme.example',
    'no-at-sign.example',
    'two@@acme.example',
    'spaces in@acme.example',
    'admin@localhost',
    'émile@acme.example',
    '',
    `${'a'.repeat(310)}@acme.example`,
    `${'a'.repeat(305)}@acme.example`,
  ];
  const companyIds = ['acme', 'acme.eu_2-b', 'a'.repeat(128), 'a'.repeat(129), '', 'acme/eu', 'acme eu', 'ácme'];
  return {
    description:
      'Client rules 6 (fields by keeper protocol), the cachedUserToken miss, cache bounds, e-mail and company id checks, and the fixed hints of typed errors, made from the TypeScript client.',
    fieldsByProtocol: [0, 1].map((protocol) => ({
      message: 'refreshNow',
      protocol,
      input: refreshNow,
      send: fieldsFor('refreshNow', refreshNow, protocol),
    })),
    queryRefusals: [
      { query: 'cachedUserToken', grpcCode: 3, miss: queryRefusalIsMiss('cachedUserToken', 3) },
      { query: 'cachedUserToken', grpcCode: 4, miss: queryRefusalIsMiss('cachedUserToken', 4) },
      { query: 'cachedUserToken', grpcCode: 9, miss: queryRefusalIsMiss('cachedUserToken', 9) },
      { query: 'cachedUserToken', grpcCode: 14, miss: queryRefusalIsMiss('cachedUserToken', 14) },
      { query: 'accessToken', grpcCode: 3, miss: queryRefusalIsMiss('accessToken', 3) },
    ],
    cacheLimits: CACHE_LIMITS,
    emails: emails.map((email) => ({ email, valid: userTokenRequestSchema.safeParse({ email }).success })),
    companyIds: companyIds.map((companyId) => ({ companyId, valid: companyIdSchema.safeParse(companyId).success })),
    hints: Object.fromEntries(HINTED_ERRORS.map((error) => [error.name, error.hint])),
  };
}

/** Every vector file, by name under docs/vectors. */
export function conformanceVectors(): Record<string, unknown> {
  return {
    'payload-codec.json': payloadVectors(),
    'token-seal.json': sealVectors(),
    'access-token-answers.json': answerVectors(),
    'failures.json': failureVectors(),
    'retries.json': retryVectors(),
    'client-rules.json': clientRuleVectors(),
  };
}

/** The rings of {@link VECTOR_RINGS} as KeyRings (the last id listed is active, as in PLUM_CODEC_KEYS). */
export function vectorKeyRings(): { payload: KeyRing; token: KeyRing } {
  return {
    payload: parseKeyRing(VECTOR_RINGS.payload, undefined),
    token: parseKeyRing(VECTOR_RINGS.token, undefined, 'PLUM_TOKEN_KEYS'),
  };
}
