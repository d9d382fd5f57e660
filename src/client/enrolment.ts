import { WithStartWorkflowOperation } from '@temporalio/client';
import type { CompanyTokenInput, RefreshPolicy, StatusResult } from '../contract';
import { WORKFLOW_TYPE, companyIdKey, workflowIdFor } from '../contract';

/** The workflow as the client sees it: by type name, so the client never loads workflow code. */
export type KeeperWorkflow = (input: CompanyTokenInput) => Promise<StatusResult>;

/** The start half of an enrolment's update-with-start: the keeper runs once per company, whoever enrols it. */
export function enrolmentStart(
  companyId: string,
  taskQueue: string,
  policy: RefreshPolicy | undefined,
): WithStartWorkflowOperation<KeeperWorkflow> {
  return new WithStartWorkflowOperation<KeeperWorkflow>(WORKFLOW_TYPE, {
    workflowId: workflowIdFor(companyId),
    taskQueue,
    args: [{ companyId, ...(policy && { policy }) }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: companyIdKey, value: companyId }],
    staticSummary: `Plum token keeper of company ${companyId}`,
    staticDetails: `Holds and rotates the Plum token set of company **${companyId}**. Status, expiries and the next refresh are in its current details and search attributes; \`npx plum-keeper status ${companyId}\` shows the same.`,
  });
}
