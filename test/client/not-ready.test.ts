// A `refreshNow` sent as a keeper continues as new (a deploy's move to a new build) failed a CI run with a bare
// `ServiceError`: a signal arrived while the task that answered it ran, the server refused that task
// (`UnhandledCommand`) and aborted the update with `WorkflowNotReady`. The update had no effect; the client sends it
// again. Reproduced for real: a stand-in keeper holds its task open in a local activity until the signal is recorded.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { WorkflowHandle } from '@temporalio/client';
import { TokenKeeperClient } from '../../src/client';
import { isWorkflowNotReady } from '../../src/client/not-ready';
import { workflowIdFor } from '../../src/contract';
import type { HoldActivities } from '../fixtures/closing-keeper-workflows';
import { TEST_WORKER_DATA_CONVERTER, keeperEnvForSuite } from '../helpers/keeper-env';

const UNHANDLED_COMMAND = temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;

/** Holds each workflow task that runs `holdTask` until released; released, it holds nothing. */
class TaskHold {
  readonly entered: Promise<void>;
  private enter!: () => void;
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));

  constructor() {
    this.entered = new Promise((resolve) => (this.enter = resolve));
  }

  readonly activities: HoldActivities = {
    holdTask: async () => {
      this.enter();
      await this.opened;
    },
  };

  release(): void {
    this.open();
  }
}

async function refusedTasks(handle: WorkflowHandle, runId: string): Promise<number> {
  const history = await handle.client.getHandle(handle.workflowId, runId).fetchHistory();
  return (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes?.cause === UNHANDLED_COMMAND).length;
}

describe('an update the workflow could not take yet (WorkflowNotReady)', () => {
  const env = keeperEnvForSuite();

  /** Starts a stand-in keeper, sends `send` into its task, and has a signal arrive while that task is held open. */
  async function raceContinueAsNew<T>(companyId: string, send: () => Promise<T>): Promise<PromiseSettledResult<T>> {
    const hold = new TaskHold();
    const taskQueue = `not-ready-${companyId}`;
    const worker = await Worker.create({
      connection: env.native,
      namespace: env.server.namespace,
      taskQueue,
      workflowsPath: require.resolve('../fixtures/closing-keeper-workflows'),
      activities: hold.activities,
      dataConverter: TEST_WORKER_DATA_CONVERTER,
    });
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start('closingKeeper', {
        taskQueue,
        workflowId: workflowIdFor(companyId),
      });
      const sent = send();
      sent.catch(() => undefined);
      await hold.entered;
      await handle.signal('nudge');
      hold.release();
      const [settled] = await Promise.allSettled([sent]);
      assert.equal(await refusedTasks(handle, handle.firstExecutionRunId), 1, 'the server refused the answering task');
      await env.client.workflow.getHandle(workflowIdFor(companyId)).terminate('test done');
      return settled;
    });
  }

  it('reaches a caller of the bare SDK as WorkflowNotReady, which isWorkflowNotReady recognises', async () => {
    const outcome = await raceContinueAsNew('not-ready-bare', () =>
      env.client.workflow.getHandle(workflowIdFor('not-ready-bare')).executeUpdate('refreshNow', { args: [{}] }),
    );
    assert.equal(outcome.status, 'rejected');
    assert.ok(isWorkflowNotReady(outcome.reason), `not WorkflowNotReady: ${String(outcome.reason)}`);
  });

  it('is sent again by TokenKeeperClient, and the caller gets the token', async () => {
    const keeper = new TokenKeeperClient({ client: env.client });
    const outcome = await raceContinueAsNew('not-ready-keeper', () => keeper.refreshNow('not-ready-keeper', 'test'));
    assert.equal(outcome.status, 'fulfilled', outcome.status === 'rejected' ? String(outcome.reason) : '');
    assert.equal(outcome.value.accessToken, 'probe-access-token');
  });

  it('recognises nothing else as WorkflowNotReady', () => {
    for (const other of [new Error('x'), undefined, { code: 9 }, Object.assign(new Error('y'), { code: 9 })])
      assert.equal(isWorkflowNotReady(other), false);
  });
});
