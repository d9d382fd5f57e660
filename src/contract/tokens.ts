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

/** The latest expiry the keeper accepts (2100-01-01): later ones are refused in input and cut down from Plum. */
export const MAX_EPOCH_MS = Date.UTC(2100, 0, 1);

/** The longest token lifetime the keeper accepts (ten years): longer ones are refused in input, cut down from Plum. */
export const MAX_LIFETIME_SECONDS = 10 * 365 * 24 * 3600;

/** `expires_in` as a person or program may give it: refused past {@link MAX_LIFETIME_SECONDS}. */
export const expiresInSeconds = numberOrNumericString.pipe(
  z.number().max(MAX_LIFETIME_SECONDS, `must be at most ${MAX_LIFETIME_SECONDS} seconds (ten years)`),
);

/** An expiry as a person or program may give it: refused past {@link MAX_EPOCH_MS}. */
export const expiryEpochMs = epochMs.pipe(z.number().max(MAX_EPOCH_MS, 'must be an epoch before the year 2100'));

/** Scales an epoch that is clearly in seconds up to milliseconds. */
export function toEpochMs(value: number): number {
  return value > 0 && value < SECONDS_THRESHOLD ? value * 1000 : value;
}

/** A token value: opaque, non-empty, bounded. */
export const tokenString = z.string().min(1, 'must be a non-empty string').max(8192);

/** Plum's own token-set shape, as the dashboard and the token endpoint give it; only `refresh_token` is required. */
export const plumTokensSchema = z.object(
  {
    access_token: tokenString.optional(),
    token_type: z.string().max(64).optional(),
    expires_in: expiresInSeconds.optional(),
    refresh_token: tokenString,
    access_token_expiry: expiryEpochMs.optional(),
    refresh_token_expiry: expiryEpochMs.optional(),
  },
  { error: 'tokens must be an object in Plum’s token-set shape' },
);

/** A company token set in Plum's snake_case shape, as a person pastes it from the dashboard. */
export type PlumTokens = z.input<typeof plumTokensSchema>;
