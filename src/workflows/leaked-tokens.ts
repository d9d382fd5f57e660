import * as wf from '@temporalio/workflow';
import type { CompanyState } from './state';

/** How a token set became readable in history: in clear, or encrypted but unsealed (readable in the UI). */
export type TokenLeak = 'unencrypted' | 'unsealed';

/** How the codec marked a decoded input, if its tokens are readable in history. */
export function leakOf(input: { arrivedUnencrypted?: true; arrivedUnsealed?: true }): TokenLeak | undefined {
  if (input.arrivedUnencrypted) return 'unencrypted';
  return input.arrivedUnsealed ? 'unsealed' : undefined;
}

/**
 * Tokens are readable in history: rotate at once so the leaked refresh token dies, and say so in the status, the
 * UI's details and the log.
 */
export function rotateLeakedTokens(state: CompanyState, leak: TokenLeak, now: number): CompanyState {
  const arrived = leak === 'unencrypted' ? { tokensArrivedUnencryptedAt: now } : { tokensArrivedUnsealedAt: now };
  const how =
    leak === 'unencrypted'
      ? 'tokens arrived unencrypted (sent without the codec) and are readable in history'
      : 'tokens reached history unsealed (sent without the token key ring) and are readable in the UI';
  wf.log.error(`${how}: rotating now`, { companyId: state.companyId });
  return { ...state, ...arrived, refreshRequested: true };
}
