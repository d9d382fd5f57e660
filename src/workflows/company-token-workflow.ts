import * as wf from '@temporalio/workflow';
import type { CompanyTokenInput, PlumActivities, StatusResult } from '../contract';
import { describeZodError, undecodableRefusal, workflowIdFor, workflowInputSchema } from '../contract';
import { invalidInput } from './workflow-failures';
import { registerHandlers } from './handlers';
import { holdOffRefresh } from './hold-off';
import { CompanyKeeper } from './company-keeper';
import { leakOf } from './leaked-tokens';
import { attemptRefresh } from './refresh-attempt';
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
  const version = new RunVersion();
  const keeper = new CompanyKeeper(carried ?? initialState({ ...input, companyId }, Date.now(), Math.random), version);
  // Handlers are registered before this first await, so messages sent right after the start find them.
  registerHandlers(keeper);
  await keeper.startUp(await workerSettings(), { carried: carried !== undefined, leak: leakOf(input) });
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
  const { cell } = keeper;
  while (!cell.retired) {
    keeper.publish();
    if (!keeper.refreshDue()) await sleepUntilDue(keeper, version);
    cell.takeWake();
    if (cell.retired) break;
    keeper.markExpiredIfDue();
    if (keeper.refreshDue()) {
      if (!(await holdOffRefresh(cell))) await attemptRefresh(cell);
      continue;
    }
    const upgrade = version.targetChanged() || version.movedSinceSettings(cell.config.buildId);
    if (upgrade || shouldContinueAsNew(keeper)) {
      // Undelivered alerts never hold a run back: the next run carries them.
      await wf.condition(() => wf.allHandlersFinished() || cell.state.refreshRequested || cell.retired);
      if (wf.allHandlersFinished() && !cell.state.refreshRequested && !cell.retired) {
        const next = wf.makeContinueAsNewFunc<typeof companyTokenWorkflow>(
          upgrade ? { initialVersioningBehavior: 'AUTO_UPGRADE' } : {},
        );
        return next(keeper.continuedInput());
      }
    }
  }
  return keeper.retire();
}

/** Sleeps until the next refresh (or expiry) is due, or until a message needs the loop. */
async function sleepUntilDue(keeper: CompanyKeeper, version: RunVersion): Promise<void> {
  const { cell } = keeper;
  const wakeAt = keeper.nextWakeAt();
  const wake = () =>
    cell.retired ||
    cell.state.refreshRequested ||
    cell.wakePending ||
    shouldContinueAsNew(keeper) ||
    version.targetChanged();
  if (wakeAt === undefined) {
    await wf.condition(wake);
    return;
  }
  const at = new Date(wakeAt).toISOString();
  const summary =
    cell.state.retryAt !== undefined ? `retry refresh at ${at} (${cell.state.status})` : `sleep until refresh at ${at}`;
  await wf.condition(wake, Math.max(1, wakeAt - Date.now()), { summary });
}

function shouldContinueAsNew(keeper: CompanyKeeper): boolean {
  const info = wf.workflowInfo();
  return info.continueAsNewSuggested || info.historyLength >= keeper.cell.config.maxHistoryEvents;
}
