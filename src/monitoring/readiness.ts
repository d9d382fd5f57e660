import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** What `/readyz` reports: ready only when Temporal answers and this worker polls both halves of its task queue. */
export interface Readiness {
  ready: boolean;
  checks: { temporal: string; workflowPoller: string; activityPoller: string; worker: string; rollout?: string };
}

export interface ReadinessOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  /** The worker's identity, as it appears among the task queue's pollers. */
  identity: string;
  /** The worker's state (`RUNNING` when it polls). */
  workerState: () => string;
  /**
   * A versioned worker's rollout: `ok` once its first decision is applied (its build made current, ramped, or left
   * alone on purpose). A rolling update stops an old worker only after a new one is ready, so by then the new build
   * is current and the old worker hands its keepers over instead of stranding them.
   */
  rolloutState?: () => string;
}

const TASK_QUEUE_TYPE = temporal.api.enums.v1.TaskQueueType;
/**
 * How long `/readyz` waits for Temporal. Well under every probe's timeout (Kubernetes: 5 s, set in
 * deploy/kubernetes; the container health check: 3 s), so a slow Temporal answers in time instead of making every
 * worker unready at once, which would let the PodDisruptionBudget block node drains.
 */
export const READINESS_DEADLINE_MS = 2000;

/** Asks the server who polls the task queue and whether this worker is among them. */
export async function checkReadiness(options: ReadinessOptions): Promise<Readiness> {
  const state = options.workerState();
  const checks: Readiness['checks'] = {
    temporal: 'unknown',
    workflowPoller: 'unknown',
    activityPoller: 'unknown',
    worker: state === 'RUNNING' ? 'ok' : `worker is ${state}`,
    ...(options.rolloutState && { rollout: options.rolloutState() }),
  };
  try {
    // One deadline for both questions: a health check gives up after a few seconds, and the SDK would otherwise
    // retry an unreachable server for about 20 s before answering.
    const deadline = Date.now() + READINESS_DEADLINE_MS;
    const pollers = await options.client.connection.withDeadline(deadline, () =>
      Promise.all(
        [TASK_QUEUE_TYPE.TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE.TASK_QUEUE_TYPE_ACTIVITY].map(async (type) => {
          const described = await options.client.workflowService.describeTaskQueue({
            namespace: options.namespace,
            taskQueue: { name: options.taskQueue },
            taskQueueType: type,
          });
          return (described.pollers ?? []).some((poller) => poller.identity === options.identity);
        }),
      ),
    );
    checks.temporal = 'ok';
    const notYet = `no poll from ${options.identity} on ${options.taskQueue} yet`;
    checks.workflowPoller = pollers[0] ? 'ok' : notYet;
    checks.activityPoller = pollers[1] ? 'ok' : notYet;
  } catch (error) {
    checks.temporal = `unreachable: ${(error as Error).message.split('\n')[0]}`;
  }
  return { ready: Object.values(checks).every((check) => check === 'ok'), checks };
}
