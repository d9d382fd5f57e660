import type { Client, WorkflowHandle } from '@temporalio/client';
import { companyTokenWorkflow } from '../workflows';
import type { CompanyTokenInput } from '../workflows/messages';
import { TASK_QUEUE, companyIdKey, describeZodError, workflowIdFor, workflowInputSchema } from '../workflows/messages';

/** Input that would never start a healthy workflow; names the field, never its value. */
export class InvalidEnrolmentError extends Error {
  override readonly name = 'InvalidEnrolmentError';
}

/**
 * Starts the company's workflow, or returns the running one (`USE_EXISTING`): enrolling twice never starts a
 * second keeper for the same company.
 */
export async function enrolCompany(
  client: Client,
  input: CompanyTokenInput,
  options: { taskQueue?: string } = {},
): Promise<WorkflowHandle<typeof companyTokenWorkflow>> {
  const parsed = workflowInputSchema.safeParse(input);
  if (!parsed.success) throw new InvalidEnrolmentError(`cannot enrol: ${describeZodError(parsed.error)}`);
  return client.workflow.start(companyTokenWorkflow, {
    workflowId: workflowIdFor(parsed.data.companyId),
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    args: [{ companyId: parsed.data.companyId, tokens: input.tokens, ...(input.policy && { policy: input.policy }) }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    typedSearchAttributes: [{ key: companyIdKey, value: parsed.data.companyId }],
  });
}
