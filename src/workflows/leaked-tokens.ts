import * as wf from '@temporalio/workflow';
import type { RunPatches } from './patches';
import { PATCHES } from './patches';
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
 * UI's details and the log. Returns false when the run's patches keep the old behaviour here (an unsealed leak in a
 * history recorded before this was handled: the loop asks again at its next wake).
 */
export function rotateLeakedTokens(state: CompanyState, patches: RunPatches, leak: TokenLeak): boolean {
  if (leak === 'unencrypted' && !patches.has(PATCHES.rotateAfterUnencryptedTokens)) return false;
  if (leak === 'unsealed' && !patches.has(PATCHES.rotateAfterUnsealedTokens)) return false;
  const now = Date.now();
  if (leak === 'unencrypted') state.tokensArrivedUnencryptedAt = now;
  else state.tokensArrivedUnsealedAt = now;
  state.refreshRequested = true;
  const how =
    leak === 'unencrypted'
      ? 'tokens arrived unencrypted (sent without the codec) and are readable in history'
      : 'tokens reached history unsealed (sent without the token key ring) and are readable in the UI';
  wf.log.error(`${how}: rotating now`, { companyId: state.companyId });
  return true;
}
