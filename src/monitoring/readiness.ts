import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** What `/readyz` reports: ready only when Temporal answers and this worker polls both halves of its task queue. */
export interface Readiness {
  ready: boolean;
  checks: { temporal: string; workflowPoller: string; activityPoller: string; worker: string };
}

export interface ReadinessOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** The worker's identity, as it appears among the task queue's pollers. */
  identity: string;
  /** The worker's state (`RUNNING` when it polls). */
  workerState: () => string;
}

const TASK_QUEUE_TYPE = temporal.api.enums.v1.TaskQueueType;

/** Asks the server who polls the task queue and whether this worker is among them. */
export async function checkReadiness(options: ReadinessOptions): Promise<Readiness> {
  const state = options.workerState();
  const checks: Readiness['checks'] = {
    temporal: 'unknown',
    workflowPoller: 'unknown',
    activityPoller: 'unknown',
    worker: state === 'RUNNING' ? 'ok' : `worker is ${state}`,
  };
  try {
    for (const [key, type] of [
      ['workflowPoller', TASK_QUEUE_TYPE.TASK_QUEUE_TYPE_WORKFLOW],
      ['activityPoller', TASK_QUEUE_TYPE.TASK_QUEUE_TYPE_ACTIVITY],
    ] as const) {
      const described = await options.client.workflowService.describeTaskQueue({
        namespace: options.namespace,
        taskQueue: { name: options.taskQueue },
        taskQueueType: type,
      });
      checks.temporal = 'ok';
      const polling = (described.pollers ?? []).some((poller) => poller.identity === options.identity);
      checks[key] = polling ? 'ok' : `no poll from ${options.identity} on ${options.taskQueue} yet`;
    }
  } catch (error) {
    checks.temporal = `unreachable: ${(error as Error).message.split('\n')[0]}`;
  }
  return { ready: Object.values(checks).every((check) => check === 'ok'), checks };
}
