import { z } from 'zod';
import type { TokenSet } from '../contract';
import { epochMs, numberOrNumericString, tokenString } from '../contract';

export type { TokenSet, TokenValidity } from '../contract';

/** The body of a 200 from the refresh or user-token endpoint. */
export const tokenGrantBody = z
  .object({
    access_token: tokenString,
    token_type: z.string().optional(),
    expires_in: numberOrNumericString.optional(),
    refresh_token: tokenString,
    access_token_expiry: epochMs.optional(),
    refresh_token_expiry: epochMs.optional(),
  })
  .refine((body) => body.expires_in !== undefined || body.access_token_expiry !== undefined, {
    message: 'carries neither expires_in nor access_token_expiry',
  });

/** The body of a 200 from the validate endpoint. */
export const validateBody = z
  .object({
    access_token: tokenString.optional(),
    token_type: z.string().optional(),
    expires_in: numberOrNumericString.optional(),
    access_token_expiry: epochMs.optional(),
    refresh_token_expiry: epochMs.optional(),
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
