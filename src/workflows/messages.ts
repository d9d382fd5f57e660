import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import { z } from 'zod';
import type { RejectionReason } from '../plum/errors';
import { epochMs, numberOrNumericString } from '../plum/token-set';

/** Task queue every worker polls. */
export const TASK_QUEUE = 'plum-tokens';
export const WORKFLOW_TYPE = 'companyTokenWorkflow';

/** `companyId`: 1–128 characters of `[A-Za-z0-9._-]`. */
export const companyIdSchema = z
  .string({ error: 'companyId must be a string' })
  .regex(/^[A-Za-z0-9._-]{1,128}$/, 'companyId must be 1–128 characters of A–Z, a–z, 0–9, ".", "_" or "-"');

export const workflowIdFor = (companyId: string): string => `plum-company:${companyId}`;

/** The states of DESIGN.md's machine. */
export const TOKEN_STATUSES = ['ACTIVE', 'REFRESHING', 'DEGRADED', 'EXPIRED', 'NEEDS_REAUTH', 'RETIRED'] as const;
export type TokenStatus = (typeof TOKEN_STATUSES)[number];

/** Why a company needs a person, or waits. */
export type StatusReason = RejectionReason | 'LOST_IN_FLIGHT' | 'NO_CREDENTIALS' | 'REFRESH_TOKEN_EXPIRED';

const secret = z.string().min(1, 'must be a non-empty string').max(8192);

/** Plum's own token-set shape (plum-api.md §1); only `refresh_token` is required. */
export const plumTokensSchema = z.object(
  {
    access_token: secret.optional(),
    token_type: z.string().max(64).optional(),
    expires_in: numberOrNumericString.optional(),
    refresh_token: secret,
    access_token_expiry: epochMs.optional(),
    refresh_token_expiry: epochMs.optional(),
  },
  { error: 'tokens must be an object in Plum’s token-set shape' },
);
export type PlumTokens = z.input<typeof plumTokensSchema>;

export const refreshPolicySchema = z
  .object({
    leadFraction: z.number().min(0).max(0.9).optional(),
    minLeadMs: z.number().int().nonnegative().optional(),
    jitterFraction: z.number().min(0).max(1).optional(),
  })
  .strict();
export type RefreshPolicy = z.infer<typeof refreshPolicySchema>;

export const workflowInputSchema = z.object({
  companyId: companyIdSchema,
  tokens: plumTokensSchema,
  policy: refreshPolicySchema.optional(),
});

/** Input of `companyTokenWorkflow`. `carried` is the workflow's own state across continue-as-new. */
export interface CompanyTokenInput {
  companyId: string;
  tokens: PlumTokens;
  policy?: RefreshPolicy;
  /** @internal set only by continue-as-new. */
  carried?: unknown;
}

const emailSchema = z
  .string({ error: 'email must be a string' })
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'email must be an e-mail address');
const scopeSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'scope must be 1–64 characters of letters, digits, "_", ".", ":" or "-"');
const reasonSchema = z.string().max(500, 'reason must be at most 500 characters');

export const userTokenRequestSchema = z.object({ email: emailSchema, scope: scopeSchema.optional() }).strict();
export const reasonInputSchema = z.object({ reason: reasonSchema.optional() }).strict();
export const reseedInputSchema = z.object({ tokens: plumTokensSchema }).strict();

export type UserTokenRequest = z.infer<typeof userTokenRequestSchema>;
export type ReasonInput = z.infer<typeof reasonInputSchema>;
export interface ReseedInput {
  tokens: PlumTokens;
}

export const DEFAULT_USER_SCOPE = 'user_session';

export interface AccessTokenResult {
  accessToken: string;
  expiresAt: number;
  status: TokenStatus;
  /** When the workflow will replace this token; a cache may keep it until shortly before. */
  nextRefreshAt?: number;
}

/** What the `status` query tells; never a secret. */
export interface StatusResult {
  companyId: string;
  status: TokenStatus;
  reason?: StatusReason;
  accessTokenExpiresAt?: number;
  refreshTokenExpiresAt?: number;
  nextRefreshAt?: number;
  lastRefreshAt?: number;
  consecutiveFailures: number;
  lastError?: string;
  generation: number;
  upstreamRefreshes: number;
  cachedUserTokens: number;
}

/** A user-scoped token set as the keeper hands it out. */
export interface UserTokenResult {
  email: string;
  scope: string;
  accessToken: string;
  expiresAt: number;
}

export const accessTokenQuery = defineQuery<AccessTokenResult>('accessToken');
export const statusQuery = defineQuery<StatusResult>('status');
export const userTokenQuery = defineQuery<UserTokenResult | null, [UserTokenRequest]>('userToken');
export const refreshNowUpdate = defineUpdate<{ accessToken: string; expiresAt: number }, [ReasonInput]>('refreshNow');
export const userTokenUpdate = defineUpdate<UserTokenResult, [UserTokenRequest]>('userToken');
export const reseedUpdate = defineUpdate<StatusResult, [ReseedInput]>('reseed');
export const forceRefreshSignal = defineSignal<[ReasonInput]>('forceRefresh');
export const retireSignal = defineSignal<[ReasonInput]>('retire');

export const companyIdKey = defineSearchAttributeKey('PlumCompanyId', 'KEYWORD');
export const tokenStatusKey = defineSearchAttributeKey('PlumTokenStatus', 'KEYWORD');
export const accessTokenExpiresAtKey = defineSearchAttributeKey('PlumAccessTokenExpiresAt', 'DATETIME');
export const nextRefreshAtKey = defineSearchAttributeKey('PlumNextRefreshAt', 'DATETIME');

/** Turns a zod failure into one line naming each bad field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'input'}: ${issue.message}`)
    .join('; ');
}
