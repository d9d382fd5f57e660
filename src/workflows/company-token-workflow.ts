import * as wf from '@temporalio/workflow';
import type { CompanyTokenInput, PlumActivities, StatusResult } from '../contract';
import { describeZodError, workflowInputSchema } from '../contract';
import { invalidInput } from './failures';
import { registerHandlers } from './handlers';
import { CompanyKeeper } from './keeper';
import { awaitingTokens } from './refresh-machine';
import type { CompanyState } from './state';
import { initialState } from './state';

const { workerSettings } = wf.proxyLocalActivities<PlumActivities>({ startToCloseTimeout: '10 seconds' });

/**
 * Owns one company's Plum token set: the only code that ever spends its refresh token. Sleeps until the set is due
 * (or a message asks for a rotation), refreshes, and continues as new when the history grows long. See
 * docs/design.md for the state machine, schedule and messages.
 */
export async function companyTokenWorkflow(input: CompanyTokenInput): Promise<StatusResult> {
  const parsed = workflowInputSchema.safeParse(input);
  if (!parsed.success) throw invalidInput(`invalid workflow input: ${describeZodError(parsed.error)}`);
  const carried = input.carried as CompanyState | undefined;
  const keeper = new CompanyKeeper(carried ?? initialState(parsed.data, Date.now(), Math.random));
  // Handlers are registered before this first await, so messages sent right after the start find them.
  registerHandlers(keeper);
  keeper.load(await workerSettings());
  if (awaitingTokens(keeper.state)) {
    // Enrolment: the reseed update that came with the start installs the set and learns what it lacks.
    await wf.condition(() => !awaitingTokens(keeper.state) || keeper.retired);
  } else if (carried === undefined) {
    await keeper.learnMissing();
  }
  return run(keeper);
}

async function run(keeper: CompanyKeeper): Promise<StatusResult> {
  while (!keeper.retired) {
    keeper.publish();
    if (!keeper.state.refreshRequested && !keeper.refreshDue()) await sleepUntilDue(keeper);
    keeper.wakeForReseed = false;
    if (keeper.retired) break;
    keeper.markExpiredIfDue();
    if (keeper.state.refreshRequested || keeper.refreshDue()) {
      await keeper.attemptRefresh();
      continue;
    }
    if (shouldContinueAsNew(keeper)) {
      await wf.condition(() => wf.allHandlersFinished() || keeper.state.refreshRequested || keeper.retired);
      if (wf.allHandlersFinished() && !keeper.state.refreshRequested && !keeper.retired) {
        return continueAsNew(keeper);
      }
    }
  }
  await wf.condition(wf.allHandlersFinished);
  keeper.state = { ...keeper.state, status: 'RETIRED' };
  keeper.publish();
  return keeper.statusResult();
}

/** Sleeps until the next refresh (or expiry) is due, or until a message needs the loop. */
async function sleepUntilDue(keeper: CompanyKeeper): Promise<void> {
  const wakeAt = keeper.nextWakeAt();
  const wake = () =>
    keeper.retired || keeper.state.refreshRequested || keeper.wakeForReseed || shouldContinueAsNew(keeper);
  if (wakeAt === undefined) {
    await wf.condition(wake);
    return;
  }
  const summary =
    keeper.state.retryAt !== undefined ? `retry refresh (${keeper.state.status})` : 'next scheduled refresh';
  await wf.condition(wake, Math.max(1, wakeAt - Date.now()), { summary });
}

function shouldContinueAsNew(keeper: CompanyKeeper): boolean {
  const info = wf.workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= keeper.config.maxHistoryEvents;
}

function continueAsNew(keeper: CompanyKeeper): Promise<never> {
  const state: CompanyState = { ...keeper.state, userTokens: keeper.userTokens.snapshot() };
  return wf.continueAsNew<typeof companyTokenWorkflow>({
    companyId: state.companyId,
    tokens: { refresh_token: state.tokens.refreshToken },
    policy: state.policyOverrides,
    carried: state,
  });
}
