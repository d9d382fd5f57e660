import type { SchedulePolicy } from '../contract';
import type { CompanyState } from './state';
import { toEpochMs } from '../contract';

export interface ScheduleInput {
  /** When the current token set was obtained (its lifetime starts here). */
  obtainedAt: number;
  accessTokenExpiresAt?: number;
  refreshTokenExpiresAt?: number;
  policy: SchedulePolicy;
  /** A number in [0, 1) from workflow randomness; 0 means no jitter. */
  random: number;
}

/** `min(max(minLead, leadFraction × lifetime), 0.9 × lifetime)`; the cap keeps short lifetimes sane. */
export function leadFor(lifetimeMs: number, policy: Pick<SchedulePolicy, 'leadFraction' | 'minLeadMs'>): number {
  const lifetime = Math.max(0, lifetimeMs);
  return Math.min(Math.max(policy.minLeadMs, policy.leadFraction * lifetime), 0.9 * lifetime);
}

/** The earliest known expiry of the set, or undefined when neither expiry is known. */
export function earliestExpiry(accessTokenExpiresAt?: number, refreshTokenExpiresAt?: number): number | undefined {
  const known = [accessTokenExpiresAt, refreshTokenExpiresAt]
    .filter((v): v is number => v !== undefined)
    .map(toEpochMs);
  return known.length > 0 ? Math.min(...known) : undefined;
}

/**
 * When the set is due for refresh: `earliestExpiry − lead − jitter`, where the jitter (up to `jitterFraction × lead`)
 * only ever moves the refresh earlier. Returns `obtainedAt` when no expiry is known (refresh at once to learn it).
 */
export function dueAt(input: ScheduleInput): number {
  const expiry = earliestExpiry(input.accessTokenExpiresAt, input.refreshTokenExpiresAt);
  if (expiry === undefined) return input.obtainedAt;
  const lead = leadFor(expiry - input.obtainedAt, input.policy);
  const jitter = Math.min(1, Math.max(0, input.random)) * input.policy.jitterFraction * lead;
  return Math.max(input.obtainedAt, Math.round(expiry - lead - jitter));
}

/** Capped exponential backoff for the `failures`-th consecutive transient failure (1-based). */
export function backoffMs(failures: number, initialMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(0, failures - 1), 30);
  return Math.min(maxMs, initialMs * 2 ** exponent);
}

/** When the next refresh attempt is due, or undefined when none will run until a person acts. */
export function nextRefreshAt(state: CompanyState, policy: SchedulePolicy): number | undefined {
  const { status, retryAt, tokens, jitter } = state;
  if (status === 'NEEDS_REAUTH' || status === 'RETIRED') return undefined;
  return (
    retryAt ??
    dueAt({
      obtainedAt: tokens.obtainedAt,
      ...(tokens.accessTokenExpiresAt !== undefined && { accessTokenExpiresAt: tokens.accessTokenExpiresAt }),
      ...(tokens.refreshTokenExpiresAt !== undefined && { refreshTokenExpiresAt: tokens.refreshTokenExpiresAt }),
      policy,
      random: jitter,
    })
  );
}

/** When the loop must wake on its own: the next refresh, or the expiry of a token served while degraded. */
export function nextWakeAt(state: CompanyState, policy: SchedulePolicy): number | undefined {
  const next = nextRefreshAt(state, policy);
  const expiry = state.tokens.accessTokenExpiresAt;
  if (state.status === 'DEGRADED' && expiry !== undefined && (next === undefined || expiry < next)) return expiry;
  return next;
}
