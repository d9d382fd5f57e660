import * as wf from '@temporalio/workflow';
import type { PlumActivities } from '../contract';
import { failureMessage } from './workflow-failures';
import type { CompanyState } from './state';

const activities = wf.proxyActivities<PlumActivities>({ startToCloseTimeout: '1 minute' });

/**
 * Fills in what an enrolment or reseed left out: the expiries through the validate endpoint, or (without an access
 * token, or when validation fails) the whole set through a refresh. Mutates `state`.
 */
export async function learnMissing(state: CompanyState, activityStartToCloseMs: number): Promise<void> {
  const { accessToken, accessTokenExpiresAt } = state.tokens;
  if (accessToken === undefined) {
    state.refreshRequested = true;
    return;
  }
  if (accessTokenExpiresAt !== undefined) return;
  try {
    const validity = await activities.validateAccessToken.executeWithOptions(
      {
        startToCloseTimeout: activityStartToCloseMs,
        retry: { maximumAttempts: 3 },
        summary: 'learn token expiry',
      },
      [{ companyId: state.companyId, accessToken }],
    );
    state.tokens.accessTokenExpiresAt = validity.accessTokenExpiresAt;
    if (validity.refreshTokenExpiresAt !== undefined) {
      state.tokens.refreshTokenExpiresAt = validity.refreshTokenExpiresAt;
    }
  } catch (error) {
    wf.log.warn('could not learn the token expiry; refreshing instead', { error: failureMessage(error) });
    state.refreshRequested = true;
  }
}
