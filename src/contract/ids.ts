import { z } from 'zod';

/** Task queue every keeper worker polls. */
export const TASK_QUEUE = 'plum-tokens';

/** Workflow type of the one workflow per company. */
export const WORKFLOW_TYPE = 'companyTokenWorkflow';

const WORKFLOW_ID_PREFIX = 'plum-company:';

/** `companyId`: 1–128 characters of `[A-Za-z0-9._-]`. */
export const companyIdSchema = z
  .string({ error: 'companyId must be a string' })
  .regex(/^[A-Za-z0-9._-]{1,128}$/, 'companyId must be 1–128 characters of A–Z, a–z, 0–9, ".", "_" or "-"');

/** The one workflow id a company's keeper may run under; the workflow refuses any other. */
export const workflowIdFor = (companyId: string): string => `${WORKFLOW_ID_PREFIX}${companyId}`;

/** The company a keeper workflow id names, or undefined for an id of another shape. */
export function companyIdOf(workflowId: string): string | undefined {
  if (!workflowId.startsWith(WORKFLOW_ID_PREFIX)) return undefined;
  const id = workflowId.slice(WORKFLOW_ID_PREFIX.length);
  return companyIdSchema.safeParse(id).success ? id : undefined;
}

/** The Worker Deployment versioned workers join unless `PLUM_DEPLOYMENT_NAME` names another. */
export const DEFAULT_DEPLOYMENT_NAME = 'plum-token-keeper';
