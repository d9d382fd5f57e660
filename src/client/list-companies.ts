import type { Client } from '@temporalio/client';
import type { TokenStatus } from '../contract';
import {
  TOKEN_STATUSES,
  WORKFLOW_TYPE,
  accessTokenExpiresAtKey,
  companyIdKey,
  companyIdOf,
  nextRefreshAtKey,
  tokenStatusKey,
} from '../contract';
import { InvalidInputError } from './errors';
import type { CompanySummary } from './options';
import { translateFailure } from './translate';

/**
 * The visibility query for `list`: running keepers, or, for `RETIRED`, closed runs that ended retired (a retired
 * keeper's workflow has completed, so a filter on running executions could never match it).
 */
export function listQuery(status: TokenStatus | undefined): string {
  const execution = status === 'RETIRED' ? `ExecutionStatus = 'Completed'` : `ExecutionStatus = 'Running'`;
  return [`WorkflowType = '${WORKFLOW_TYPE}'`, execution, ...(status ? [`PlumTokenStatus = '${status}'`] : [])].join(
    ' AND ',
  );
}

/** Keepers from Temporal's visibility store, one row per company (its newest run), sorted by company id. */
export async function listCompanies(client: Client, status: TokenStatus | undefined): Promise<CompanySummary[]> {
  if (status !== undefined && !TOKEN_STATUSES.includes(status)) {
    throw new InvalidInputError('status', `must be one of ${TOKEN_STATUSES.join(', ')}`);
  }
  const rows = new Map<string, CompanySummary & { startedAt: number }>();
  try {
    for await (const execution of client.workflow.list({ query: listQuery(status) })) {
      const attributes = execution.typedSearchAttributes;
      const accessTokenExpiresAt = attributes.get(accessTokenExpiresAtKey);
      const nextRefreshAt = attributes.get(nextRefreshAtKey);
      const companyId = attributes.get(companyIdKey) ?? companyIdOf(execution.workflowId) ?? execution.workflowId;
      const startedAt = execution.startTime.getTime();
      if ((rows.get(companyId)?.startedAt ?? -1) > startedAt) continue;
      rows.set(companyId, {
        companyId,
        status: attributes.get(tokenStatusKey) as TokenStatus | undefined,
        workflowId: execution.workflowId,
        startedAt,
        ...(accessTokenExpiresAt && { accessTokenExpiresAt }),
        ...(nextRefreshAt && { nextRefreshAt }),
      });
    }
  } catch (error) {
    throw translateFailure(error, '');
  }
  return [...rows.values()]
    .map(({ startedAt: _startedAt, ...row }) => row)
    .sort((a, b) => a.companyId.localeCompare(b.companyId));
}
