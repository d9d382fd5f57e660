import type { AccessTokenResult, NoTokenReason } from '../contract';
import { accessTokenUsable } from './state';
import type { CompanyState } from './state';

/**
 * The `accessToken` query's answer: the held token while it is usable (also while degraded, and while a rejected
 * company's token lasts), else why there is none, as data.
 */
export function accessTokenAnswer(
  state: CompanyState,
  at: { now: number; retired: boolean; nextRefreshAt: number | undefined },
): AccessTokenResult {
  const { accessToken, accessTokenExpiresAt } = state.tokens;
  const { companyId, status, reason } = state;
  const why = `status ${status}${reason ? `, reason ${reason}` : ''}`;
  const none = (kind: NoTokenReason, message: string): AccessTokenResult => ({
    ok: false,
    why: kind,
    status,
    ...(reason !== undefined && { reason }),
    ...(kind === 'EXPIRED' && accessTokenExpiresAt !== undefined && { expiredAt: accessTokenExpiresAt }),
    message,
  });
  const needsPerson = status === 'NEEDS_REAUTH';
  if (at.retired || status === 'RETIRED') return none('RETIRED', `company ${companyId} is retired`);
  if (needsPerson && reason === 'TOKEN_KILLED') {
    return none('NEEDS_REAUTH', `the access token of company ${companyId} was revoked upstream (${why})`);
  }
  if (accessToken === undefined) {
    return none(needsPerson ? 'NEEDS_REAUTH' : 'NO_TOKEN_YET', `company ${companyId} has no access token yet (${why})`);
  }
  if (!accessTokenUsable(state.tokens, at.now)) {
    return none(
      needsPerson ? 'NEEDS_REAUTH' : 'EXPIRED',
      `the access token of company ${companyId} has expired (${why})`,
    );
  }
  return {
    ok: true,
    accessToken,
    expiresAt: accessTokenExpiresAt ?? 0,
    status,
    ...(at.nextRefreshAt !== undefined && { nextRefreshAt: at.nextRefreshAt }),
  };
}
