import * as wf from '@temporalio/workflow';
import type { HeldTokenSet, PlumActivities, TokenValidity } from '../contract';
import { failureMessage } from './workflow-failures';
import type { KeeperCell } from './keeper-cell';
import type { CompanyState } from './state';

const activities = wf.proxyActivities<PlumActivities>({ startToCloseTimeout: '1 minute' });

/** What an enrolment or reseed left out, once learned: the expiries, or that only a refresh can tell. */
export type Learned = { kind: 'nothing' } | { kind: 'expiry'; validity: TokenValidity } | { kind: 'refresh' };

/**
 * Learns what a held set lacks: the expiries through the validate endpoint, or (without an access token, or when
 * validation fails) asks for the whole set through a refresh.
 */
export async function learnMissing(
  companyId: string,
  tokens: HeldTokenSet,
  activityStartToCloseMs: number,
): Promise<Learned> {
  const { accessToken, accessTokenExpiresAt } = tokens;
  if (accessToken === undefined) return { kind: 'refresh' };
  if (accessTokenExpiresAt !== undefined) return { kind: 'nothing' };
  try {
    const validity = await activities.validateAccessToken.executeWithOptions(
      { startToCloseTimeout: activityStartToCloseMs, retry: { maximumAttempts: 3 }, summary: 'learn token expiry' },
      [{ companyId, accessToken }],
    );
    return { kind: 'expiry', validity };
  } catch (error) {
    wf.log.warn('could not learn the token expiry; refreshing instead', { error: failureMessage(error) });
    return { kind: 'refresh' };
  }
}

/** The state with what was learned about `tokens`; a set replaced meanwhile is left as it is. */
export function withLearned(state: CompanyState, tokens: HeldTokenSet, learned: Learned): CompanyState {
  if (learned.kind === 'nothing' || state.tokens.refreshToken !== tokens.refreshToken) return state;
  if (learned.kind === 'refresh') return { ...state, refreshRequested: true };
  const { accessTokenExpiresAt, refreshTokenExpiresAt } = learned.validity;
  return {
    ...state,
    tokens: {
      ...state.tokens,
      accessTokenExpiresAt,
      ...(refreshTokenExpiresAt !== undefined && { refreshTokenExpiresAt }),
    },
  };
}

/** Learns what the set the keeper holds lacks, and keeps it (the set, if replaced meanwhile, is left alone). */
export async function learnWhatIsMissing(cell: KeeperCell): Promise<void> {
  const { tokens } = cell.state;
  const learned = await learnMissing(cell.state.companyId, tokens, cell.config.activityStartToCloseMs);
  cell.set(withLearned(cell.state, tokens, learned));
}
