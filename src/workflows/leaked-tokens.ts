import * as wf from '@temporalio/workflow';
import type { RunPatches } from './patches';
import { PATCHES } from './patches';
import type { CompanyState } from './state';

/**
 * Tokens arrived in clear (they are readable in history): rotate at once so the leaked refresh token dies, and say so
 * in the status, the UI's details and the log.
 */
export function rotateLeakedTokens(state: CompanyState, patches: RunPatches): void {
  if (!patches.has(PATCHES.rotateAfterUnencryptedTokens)) return;
  state.tokensArrivedUnencryptedAt = Date.now();
  state.refreshRequested = true;
  wf.log.error('tokens arrived unencrypted (sent without the codec) and are readable in history: rotating now', {
    companyId: state.companyId,
  });
}
