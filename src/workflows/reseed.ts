import * as wf from '@temporalio/workflow';
import type { ReseedInput, StatusResult } from '../contract';
import type { CompanyKeeper } from './company-keeper';
import { leakOf } from './leaked-tokens';
import { afterReseed } from './refresh-machine';
import { RESEED_PROOF_WAIT_MS, fallbackFor } from './reseed-fallback';
import type { CompanyState } from './state';
import { heldFromPlum } from './state';
import { reseedRefusedFailure } from './workflow-failures';

/** Whether `tokens` is the set the keeper holds and can still use: a repeated enrolment. */
function holdsAlready(state: CompanyState, tokens: ReseedInput['tokens']): boolean {
  const held = state.tokens;
  return (
    state.status !== 'NEEDS_REAUTH' &&
    tokens.refresh_token === held.refreshToken &&
    (tokens.access_token === undefined || tokens.access_token === held.accessToken)
  );
}

/**
 * Waits for the refresh that proves the set a reseed installed as `generation`. Plum refusing it fails the update
 * (the previous set is held again); a slow proof answers with the status, the previous set still kept.
 */
async function proveReseed(keeper: CompanyKeeper, generation: number): Promise<StatusResult> {
  await wf.condition(
    () => keeper.state.fallbackTokens === undefined || keeper.state.generation !== generation || keeper.retired,
    RESEED_PROOF_WAIT_MS,
  );
  const refusal = keeper.reseedRefusals.get(generation);
  keeper.reseedRefusals.delete(generation);
  if (refusal !== undefined) throw reseedRefusedFailure(keeper.companyId, refusal);
  return keeper.statusResult();
}

/**
 * The `reseed` update: installs a set a person (or enrolment) brought. A set readable in history is rotated at once;
 * one that replaces a working set is proven by a refresh before the answer, the working set kept until then.
 */
export async function reseed(keeper: CompanyKeeper, input: ReseedInput): Promise<StatusResult> {
  await keeper.idle();
  // Checked again here (the validator checked on arrival): a rotation may have spent this set since.
  keeper.assertNotStale(input.tokens);
  // Enrolment is update-with-start: a first enrolment, or a repeated one, reseeds with the set already held. A set
  // that arrived in clear is never "already held": it leaked and must be rotated.
  const leak = leakOf(input);
  if (leak !== 'unencrypted' && holdsAlready(keeper.state, input.tokens)) {
    if (leak === 'unsealed') {
      keeper.rotateLeaked(leak);
      keeper.wakeForReseed = true;
    }
    return keeper.statusResult();
  }
  const now = Date.now();
  const fallback = fallbackFor(keeper.state, now);
  const keepFallback = fallback !== undefined;
  keeper.reseeding = true;
  try {
    keeper.state = afterReseed(keeper.state, heldFromPlum(input.tokens, now), Math.random);
    keeper.userTokens.clear();
    if (keepFallback) keeper.state = { ...keeper.state, fallbackTokens: fallback, refreshRequested: true };
    if (leak) keeper.rotateLeaked(leak);
    else if (!keepFallback) await keeper.learnMissing();
    keeper.wakeForReseed = true;
    keeper.publish();
  } finally {
    keeper.reseeding = false;
  }
  return keepFallback ? proveReseed(keeper, keeper.state.generation) : keeper.statusResult();
}
