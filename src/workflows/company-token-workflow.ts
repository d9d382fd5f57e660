import * as wf from '@temporalio/workflow';
import type { CompanyTokenInput, PlumActivities, StatusResult } from '../contract';
import {
  RETIRE_ALERT_GRACE_MS,
  describeZodError,
  undecodableRefusal,
  workflowIdFor,
  workflowInputSchema,
} from '../contract';
import { invalidInput } from './workflow-failures';
import { registerHandlers } from './handlers';
import { holdOffRefresh } from './hold-off';
import { CompanyKeeper } from './company-keeper';
import { leakOf } from './leaked-tokens';
import { awaitingTokens } from './refresh-machine';
import { recoverAfterReset, resetCheckDue } from './reset-recovery';
import type { CompanyState } from './state';
import { companyStateSchema, initialState } from './state';
import { RunVersion } from './versioning';
import { refuseEarlierReleaseRun } from './release-line';

const { workerSettings } = wf.proxyLocalActivities<PlumActivities>({ startToCloseTimeout: '10 seconds' });

/**
 * Owns one company's Plum token set: the only code that ever spends its refresh token. Sleeps until the set is due
 * (or a message asks for a rotation), refreshes, and continues as new when the history grows long. See
 * docs/design.md for the state machine, schedule and messages.
 */
export async function companyTokenWorkflow(input: CompanyTokenInput): Promise<StatusResult> {
  refuseEarlierReleaseRun();
  const { companyId, carried } = checkedInput(input);
  const keeper = new CompanyKeeper(carried ?? initialState({ ...input, companyId }, Date.now(), Math.random));
  const version = new RunVersion();
  // Handlers are registered before this first await, so messages sent right after the start find them.
  registerHandlers(keeper, version);
  keeper.load(await workerSettings());
  if (carried?.pendingAlerts) {
    for (const alert of carried.pendingAlerts) keeper.alerts.send(alert);
    delete keeper.state.pendingAlerts;
  }
  if (resetCheckDue(keeper)) await recoverAfterReset(keeper);
  keeper.started = true;
  if (awaitingTokens(keeper.state)) {
    // Enrolment: the reseed update that came with the start installs the set and learns what it lacks.
    await wf.condition(() => !awaitingTokens(keeper.state) || keeper.retired);
  } else if (carried === undefined) {
    const leak = leakOf(input);
    if (leak) keeper.rotateLeaked(leak);
    else await keeper.learnMissing();
  } else if (input.arrivedUnsealed) {
    // Carried by a build that did not seal tokens: they are readable in the previous run's history.
    keeper.rotateLeaked('unsealed');
  }
  return run(keeper, version);
}

/**
 * Refuses input that would wedge or mislead the workflow, failing it with a clear `InvalidInputError` rather than a
 * workflow task: a bad shape, a carried state that is not the workflow's own, or an id that is not the company's (two
 * workflows must never own one company's refresh token).
 */
function checkedInput(input: CompanyTokenInput): { companyId: string; carried: CompanyState | undefined } {
  const refusal = undecodableRefusal(input, 'workflow input');
  if (refusal !== undefined) throw invalidInput(refusal, 'input');
  const parsed = workflowInputSchema.safeParse(input);
  if (!parsed.success) throw invalidInput(`invalid workflow input: ${describeZodError(parsed.error)}`);
  const { companyId } = parsed.data;
  const { workflowId } = wf.workflowInfo();
  if (workflowId !== workflowIdFor(companyId)) {
    throw invalidInput(
      `workflow id ${workflowId} does not match company ${companyId}: a company's keeper runs as ${workflowIdFor(companyId)}`,
      'companyId',
    );
  }
  const carriedInput = (input as { carried?: unknown }).carried;
  if (carriedInput === undefined || carriedInput === null) return { companyId, carried: undefined };
  const carried = companyStateSchema.safeParse(carriedInput);
  if (!carried.success) throw invalidInput(`invalid carried state: ${describeZodError(carried.error)}`, 'carried');
  if (carried.data.companyId !== companyId) throw invalidInput('carried state is of another company', 'carried');
  return { companyId, carried: carried.data };
}

async function run(keeper: CompanyKeeper, version: RunVersion): Promise<StatusResult> {
  while (!keeper.retired) {
    keeper.publish();
    if (!keeper.state.refreshRequested && !keeper.refreshDue()) await sleepUntilDue(keeper, version);
    keeper.wakeForReseed = false;
    version.wakeRequested = false;
    if (keeper.retired) break;
    keeper.markExpiredIfDue();
    if (keeper.state.refreshRequested || keeper.refreshDue()) {
      if (resetCheckDue(keeper) && (await recoverAfterReset(keeper))) continue;
      if (!(await holdOffRefresh(keeper))) await keeper.attemptRefresh();
      continue;
    }
    const upgrade = version.targetChanged() || version.movedSinceSettings(keeper.config.buildId);
    if (upgrade || shouldContinueAsNew(keeper)) {
      // Undelivered alerts never hold a run back: the next run carries them.
      const quiet = () => wf.allHandlersFinished();
      await wf.condition(() => quiet() || keeper.state.refreshRequested || keeper.retired);
      if (quiet() && !keeper.state.refreshRequested && !keeper.retired) {
        return continueAsNew(keeper, upgrade);
      }
    }
  }
  await wf.condition(wf.allHandlersFinished);
  keeper.state = { ...keeper.state, status: 'RETIRED' };
  keeper.publish();
  const delivered = await wf.condition(() => keeper.alertsDelivered(), RETIRE_ALERT_GRACE_MS);
  if (!delivered)
    wf.log.error('retired with status alerts undelivered', { alerts: keeper.alerts.undelivered().length });
  return keeper.statusResult();
}

/** Sleeps until the next refresh (or expiry) is due, or until a message needs the loop. */
async function sleepUntilDue(keeper: CompanyKeeper, version: RunVersion): Promise<void> {
  const wakeAt = keeper.nextWakeAt();
  const wake = () =>
    keeper.retired ||
    keeper.state.refreshRequested ||
    keeper.wakeForReseed ||
    shouldContinueAsNew(keeper) ||
    version.targetChanged() ||
    version.wakeRequested;
  if (wakeAt === undefined) {
    await wf.condition(wake);
    return;
  }
  const at = new Date(wakeAt).toISOString();
  const summary =
    keeper.state.retryAt !== undefined
      ? `retry refresh at ${at} (${keeper.state.status})`
      : `sleep until refresh at ${at}`;
  await wf.condition(wake, Math.max(1, wakeAt - Date.now()), { summary });
}

function shouldContinueAsNew(keeper: CompanyKeeper): boolean {
  const info = wf.workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= keeper.config.maxHistoryEvents;
}

/** Continues as new with the carried state; `upgrade`: the new run starts on the current build, not this one's. */
function continueAsNew(keeper: CompanyKeeper, upgrade: boolean): Promise<never> {
  const pendingAlerts = keeper.alerts.undelivered();
  const state: CompanyState = {
    ...keeper.state,
    userTokens: keeper.userTokens.snapshot(),
    ...(pendingAlerts.length > 0 && { pendingAlerts }),
  };
  const next = wf.makeContinueAsNewFunc<typeof companyTokenWorkflow>(
    upgrade ? { initialVersioningBehavior: 'AUTO_UPGRADE' } : {},
  );
  return next({
    companyId: state.companyId,
    tokens: { refresh_token: state.tokens.refreshToken },
    policy: state.policyOverrides,
    carried: state,
  });
}
