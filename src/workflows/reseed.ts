import * as wf from '@temporalio/workflow';
import type { ReseedInput, StatusResult } from '../contract';
import type { KeeperCell } from './keeper-cell';
import { learnWhatIsMissing } from './learn-missing';
import type { TokenLeak } from './leaked-tokens';
import { leakOf, rotateLeakedTokens } from './leaked-tokens';
import type { CompanyState } from './state';
import { alreadySpent, awaitingTokens, heldFromPlum } from './state';
import { afterReseed } from './transitions';
import { reseedRefusedFailure, retiredFailure, staleTokensFailure } from './workflow-failures';

/** How long a reseed update waits for the refresh that proves its set before it answers with the status. */
export const RESEED_PROOF_WAIT_MS = 120_000;

/**
 * What a reseed does with `state`: nothing for the set already held (a repeated enrolment; an unsealed copy of it is
 * still rotated), else installs the new set, keeping a working set it replaces until a refresh proves the new one
 * (`prove`). A set readable in history (`leak`) is rotated at once.
 */
export type ReseedPlan =
  | { kind: 'held'; leak: 'unsealed' | undefined }
  | { kind: 'install'; state: CompanyState; leak: TokenLeak | undefined; prove: boolean };

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
 * The set a reseed of `state` may fall back to: the one an earlier reseed still keeps, or the held set when it works
 * and this keeper never spent it (no refresh with an unknown outcome, not refused, not expired).
 */
function fallbackFor(state: CompanyState, now: number): CompanyState['fallbackTokens'] {
  if (state.fallbackTokens) return state.fallbackTokens;
  const { tokens } = state;
  const works =
    !awaitingTokens(state) &&
    state.status !== 'NEEDS_REAUTH' &&
    state.status !== 'RETIRED' &&
    !state.outcomeUnknown &&
    tokens.refreshToken !== '' &&
    (tokens.refreshTokenExpiresAt === undefined || now < tokens.refreshTokenExpiresAt);
  return works ? tokens : undefined;
}

/** Plans the `reseed` update on `state` (a set that arrived in clear is never "already held": it leaked). */
export function planReseed(state: CompanyState, input: ReseedInput, now: number, random: () => number): ReseedPlan {
  const leak = leakOf(input);
  if (leak !== 'unencrypted' && holdsAlready(state, input.tokens)) return { kind: 'held', leak };
  const fallback = fallbackFor(state, now);
  const installed = afterReseed(state, heldFromPlum(input.tokens, now), random);
  return {
    kind: 'install',
    state: fallback ? { ...installed, fallbackTokens: fallback, refreshRequested: true } : installed,
    leak,
    prove: fallback !== undefined,
  };
}

/**
 * The `reseed` update: installs a set a person (or enrolment) brought, once nothing else runs. A set readable in
 * history is rotated at once; one that replaces a working set is proven by a refresh before the answer (the working
 * set kept until then), and Plum refusing it fails the update with the working set held again.
 */
export async function reseed(
  cell: KeeperCell,
  input: ReseedInput,
  answer: { userTokens: { clear(): void }; status(): StatusResult },
): Promise<StatusResult> {
  await cell.idle();
  if (cell.retired) throw retiredFailure();
  // Checked again here (the validator checked on arrival): a rotation may have spent this set since.
  if (alreadySpent(cell.state, input.tokens.refresh_token)) throw staleTokensFailure(cell.state.companyId);
  const plan = planReseed(cell.state, input, Date.now(), Math.random);
  if (plan.kind === 'held') {
    if (plan.leak) {
      cell.set(rotateLeakedTokens(cell.state, plan.leak, Date.now()));
      cell.requestWake();
    }
    return answer.status();
  }
  cell.enter('reseeding');
  try {
    cell.set(plan.state);
    answer.userTokens.clear();
    if (plan.leak) cell.set(rotateLeakedTokens(cell.state, plan.leak, Date.now()));
    else if (!plan.prove) await learnWhatIsMissing(cell);
    cell.requestWake();
    cell.publish();
  } finally {
    cell.leave('reseeding');
  }
  if (!plan.prove) return answer.status();
  const { generation } = cell.state;
  await wf.condition(
    () => cell.state.fallbackTokens === undefined || cell.state.generation !== generation || cell.retired,
    RESEED_PROOF_WAIT_MS,
  );
  const refusal = cell.reseedRefusals.get(generation);
  cell.reseedRefusals.delete(generation);
  if (refusal !== undefined) throw reseedRefusedFailure(cell.state.companyId, refusal);
  return answer.status();
}
