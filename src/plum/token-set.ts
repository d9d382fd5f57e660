import { z } from 'zod';

/** Epoch values below this are taken as seconds rather than milliseconds (1e11 ms is 1973; 1e11 s is year 5138). */
const SECONDS_THRESHOLD = 1e11;

/** A non-negative integer given as a JSON number or a numeric string, as Xoxoday's specs disagree on which. */
export const numberOrNumericString = z
  .union([z.number(), z.string().regex(/^\d{1,16}$/, 'must be a non-negative integer or a numeric string')])
  .transform((value) => (typeof value === 'string' ? Number(value) : value))
  .pipe(z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER));

/** An epoch timestamp in milliseconds; a value that is clearly in seconds is scaled up. */
export const epochMs = numberOrNumericString.transform((value) =>
  value > 0 && value < SECONDS_THRESHOLD ? value * 1000 : value,
);

const tokenString = z.string().min(1, 'must be a non-empty string').max(8192);

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

/** A token set as the keeper holds it: camelCase, expiries in epoch milliseconds. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  accessTokenExpiresAt: number;
  /** Unknown when the upstream did not say; the schedule then relies on the access token alone. */
  refreshTokenExpiresAt?: number;
}

/** What the validate endpoint tells about an access token. */
export interface TokenValidity {
  accessTokenExpiresAt: number;
  refreshTokenExpiresAt?: number;
}

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
