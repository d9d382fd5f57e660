import type { QueryDefinition, SignalDefinition, UpdateDefinition } from '@temporalio/common';
import { z } from 'zod';
import { companyIdSchema } from './ids';
import type { PlumTokens } from './tokens';
import { MAX_EPOCH_MS, plumTokensSchema } from './tokens';
import type { AccessTokenResult, StatusResult, UserTokenResult } from './status';
import type { HeldSetSnapshot } from './activities';
import type { KeeperVersion } from './versions';

/*
 * The definitions a client sends and the workflow registers: the same plain objects `@temporalio/workflow`'s
 * `defineQuery`, `defineSignal` and `defineUpdate` return, made here so that the client package needs only
 * `@temporalio/common` (the workflow package's declarations name development-only modules).
 */
const defineQuery = <Ret, Args extends unknown[] = []>(name: string): QueryDefinition<Ret, Args> =>
  ({ type: 'query', name }) as QueryDefinition<Ret, Args>;
const defineSignal = <Args extends unknown[] = []>(name: string): SignalDefinition<Args> =>
  ({ type: 'signal', name }) as SignalDefinition<Args>;
const defineUpdate = <Ret, Args extends unknown[] = []>(name: string): UpdateDefinition<Ret, Args> =>
  ({ type: 'update', name }) as UpdateDefinition<Ret, Args>;

/** Per-company overrides of the worker's refresh schedule. */
export const refreshPolicySchema = z
  .object({
    leadFraction: z.number().min(0).max(0.9).optional(),
    minLeadMs: z.number().int().nonnegative().optional(),
    jitterFraction: z.number().min(0).max(1).optional(),
  })
  .strict();
export type RefreshPolicy = z.infer<typeof refreshPolicySchema>;

/**
 * Set by the keeper's codec on a decoded input that reached the worker unencrypted while holding tokens: they are in
 * clear in history, so the workflow rotates at once. Never set by a client.
 */
const arrivedUnencrypted = z.literal(true).optional();
/** Set by the keeper's codec on a decoded input whose tokens came encrypted but unsealed. Never set by a client. */
const arrivedUnsealed = z.literal(true).optional();

/** The public part of the workflow input, checked before the workflow holds anything. */
export const workflowInputSchema = z.object({
  companyId: companyIdSchema,
  tokens: plumTokensSchema.optional(),
  policy: refreshPolicySchema.optional(),
  arrivedUnencrypted,
  arrivedUnsealed,
});

/**
 * Input of `companyTokenWorkflow`. Enrolment starts it without `tokens` and installs them with the `reseed` update
 * (update-with-start), so the set is sent once; a run started with `tokens` holds them from the start. `carried` is
 * the workflow's own state across continue-as-new.
 */
export interface CompanyTokenInput {
  companyId: string;
  tokens?: PlumTokens;
  policy?: RefreshPolicy;
  /** @internal set only by continue-as-new; checked like every other input. */
  carried?: unknown;
  /** @internal set by the keeper's codec only. */
  arrivedUnencrypted?: true;
  /** @internal set by the keeper's codec only. */
  arrivedUnsealed?: true;
}

const emailSchema = z
  .string({ error: 'email must be a string' })
  .max(320, 'email must be at most 320 characters')
  // Plum takes ASCII addresses only (a non-ASCII one failed there with HTTP 400): refused here, with the reason.
  .regex(/^[\x21-\x7e]+$/, 'email must be ASCII (Plum refuses internationalised addresses)')
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'email must be an e-mail address');
const scopeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'scope must be 1–64 characters of letters, digits, "_", ".", ":" or "-"');
const reasonSchema = z.string().max(500, 'reason must be at most 500 characters');

export const userTokenRequestSchema = z.object({ email: emailSchema, scope: scopeSchema.optional() }).strict();
export const reasonInputSchema = z.object({ reason: reasonSchema.optional() }).strict();
/**
 * `seenExpiresAt`: the expiry of the access token the caller found wanting. When the keeper already holds a newer one
 * (a rotation finished after the caller read its token), that one is the answer and nothing is rotated again.
 */
export const refreshNowInputSchema = reasonInputSchema.extend({
  seenExpiresAt: z.number().int().nonnegative().max(MAX_EPOCH_MS, 'seenExpiresAt must be before 2100').optional(),
});
export const reseedInputSchema = z.object({ tokens: plumTokensSchema, arrivedUnencrypted, arrivedUnsealed }).strict();

export type UserTokenRequest = z.infer<typeof userTokenRequestSchema>;
export type ReasonInput = z.infer<typeof reasonInputSchema>;
export type RefreshNowInput = z.infer<typeof refreshNowInputSchema>;
export interface ReseedInput {
  tokens: PlumTokens;
  /** @internal set by the keeper's codec only. */
  arrivedUnencrypted?: true;
  /** @internal set by the keeper's codec only. */
  arrivedUnsealed?: true;
}

/** Scope of a user token when the caller names none. */
export const DEFAULT_USER_SCOPE = 'user_session';

/** What `refreshNow` returns: the token of the rotation that served the request. */
export interface RefreshedToken {
  accessToken: string;
  expiresAt: number;
}

/**
 * The company's current access token, or why there is none (`ok: false` with `why`, `status` and `reason`).
 * Never throws for a company state; fails only on an internal error.
 */
export const accessTokenQuery = defineQuery<AccessTokenResult>('accessToken');

/**
 * @internal The held set, refresh token included, for the run that replaces this one after a Reset. Its answer is
 * sealed like every token; nothing but the keeper's own recovery activity should call it.
 */
export const heldStateQuery = defineQuery<HeldSetSnapshot>('keeperHeldState');

/** The keeper's state, expiries and counters; never a secret. */
export const statusQuery = defineQuery<StatusResult>('status');

/**
 * A cached, still-fresh user token for `{ email, scope }`, or null on a miss (then send {@link userTokenUpdate}).
 * Refuses a malformed request with a `QueryFailedError`.
 */
export const cachedUserTokenQuery = defineQuery<UserTokenResult | null, [UserTokenRequest]>('cachedUserToken');

/**
 * Rotates now (or joins the rotation in flight) and returns its token; with `seenExpiresAt`, a token newer than the
 * caller's is returned as it is. Refuses bad input (`InvalidInputError`), a
 * company in `NEEDS_REAUTH` (`NeedsReauthError`) or retired (`RetiredError`) in its validator; fails with
 * `RefreshFailedError` when the rotation fails.
 */
export const refreshNowUpdate = defineUpdate<RefreshedToken, [RefreshNowInput]>('refreshNow');

/**
 * A user-scoped token: from the cache, or one exchange shared by concurrent callers. Refuses like `refreshNow`;
 * fails with `UserTokenFailedError` (details carry Plum's reason) or `NoValidTokenError`.
 */
export const userTokenUpdate = defineUpdate<UserTokenResult, [UserTokenRequest]>('userToken');

/**
 * Installs a token set (enrolment and recovery from `NEEDS_REAUTH`) and returns the status. Refuses bad input and a
 * retired company in its validator.
 */
export const reseedUpdate = defineUpdate<StatusResult, [ReseedInput]>('reseed');

/** Asks for a rotation without waiting; ignored (and logged) while the company needs a person. */
export const forceRefreshSignal = defineSignal<[ReasonInput]>('forceRefresh');

/** Stops managing the company; the workflow completes once running handlers finish. */
export const retireSignal = defineSignal<[ReasonInput]>('retire');

/** The keeper's protocol and build. Missing on keepers before 1.0.0 (then: protocol 0). */
export const keeperVersionQuery = defineQuery<KeeperVersion>('keeperVersion');

/**
 * Wakes a keeper without changing anything, so a run pinned to an old build sees that a new one is current and
 * continues as new onto it now rather than at its next refresh (`plum-keeper upgrade`).
 */
export const wakeSignal = defineSignal<[]>('wake');
