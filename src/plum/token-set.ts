import { z } from 'zod';
import type { TokenSet } from '../contract';
import { MAX_EPOCH_MS, MAX_LIFETIME_SECONDS, epochMs, numberOrNumericString, tokenString } from '../contract';

export type { TokenSet, TokenValidity } from '../contract';

// Plum's numbers are cut down to the keeper's bounds rather than refused: the reply carries a live token set that
// must not be lost over an absurd expiry. Bounded times keep every timer and search attribute valid.
const lifetimeFromPlum = numberOrNumericString.transform((seconds) => Math.min(seconds, MAX_LIFETIME_SECONDS));
const expiryFromPlum = epochMs.transform((ms) => Math.min(ms, MAX_EPOCH_MS));

/** The body of a 200 from the refresh or user-token endpoint. */
export const tokenGrantBody = z
  .object({
    access_token: tokenString,
    token_type: z.string().optional(),
    expires_in: lifetimeFromPlum.optional(),
    refresh_token: tokenString,
    access_token_expiry: expiryFromPlum.optional(),
    refresh_token_expiry: expiryFromPlum.optional(),
  })
  .refine((body) => body.expires_in !== undefined || body.access_token_expiry !== undefined, {
    message: 'carries neither expires_in nor access_token_expiry',
  });

/** The body of a 200 from the validate endpoint. */
export const validateBody = z
  .object({
    access_token: tokenString.optional(),
    token_type: z.string().optional(),
    expires_in: lifetimeFromPlum.optional(),
    access_token_expiry: expiryFromPlum.optional(),
    refresh_token_expiry: expiryFromPlum.optional(),
  })
  .refine((body) => body.expires_in !== undefined || body.access_token_expiry !== undefined, {
    message: 'carries neither expires_in nor access_token_expiry',
  });

/** Resolves an access-token expiry from an explicit epoch or from `expires_in` seconds counted from `now`. */
export function accessExpiryFrom(body: { expires_in?: number; access_token_expiry?: number }, now: number): number {
  if (body.access_token_expiry !== undefined) return body.access_token_expiry;
  return now + (body.expires_in ?? 0) * 1000;
}

/** Turns a parsed grant body into the keeper's token set. */
export function toTokenSet(body: z.output<typeof tokenGrantBody>, now: number): TokenSet {
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    tokenType: body.token_type ?? 'bearer',
    accessTokenExpiresAt: accessExpiryFrom(body, now),
    ...(body.refresh_token_expiry !== undefined && { refreshTokenExpiresAt: body.refresh_token_expiry }),
  };
}
