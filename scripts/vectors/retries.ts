// The retry vectors of docs/wire-protocol.md ("Client rules"): gRPC refusals as the server sends them (status code and
// the `grpc-status-details-bin` trailer, a google.rpc.Status), and whether a client sends the call again unchanged.
import { google, temporal } from '@temporalio/proto';
import { NOT_READY_RETRY_DELAYS_MS, sendAgain } from '../../src/client/not-ready';
import { GRPC } from '../../src/client/translate';

const detail = (type: string, value: Uint8Array) => ({ type_url: `type.googleapis.com/${type}`, value });

/** A gRPC error as @grpc/grpc-js hands it to the Temporal client. */
function grpcError(code: number, message: string, statusBytes: Uint8Array) {
  const trailer = Buffer.from(statusBytes);
  return Object.assign(new Error(message), {
    code,
    details: message,
    metadata: { get: (key: string) => (key === 'grpc-status-details-bin' ? [trailer] : []) },
  });
}

export function retryVectors() {
  const { errordetails } = temporal.api;
  const cases = [
    {
      name: 'workflow not ready: the task that carried an update was refused, or the first task has not run',
      code: GRPC.FAILED_PRECONDITION,
      message: 'Unable to perform workflow execution update due to unexpected workflow task failure.',
      details: [
        detail(
          'temporal.api.errordetails.v1.WorkflowNotReadyFailure',
          errordetails.v1.WorkflowNotReadyFailure.encode({}).finish(),
        ),
      ],
    },
    {
      name: 'failed precondition of another kind',
      code: GRPC.FAILED_PRECONDITION,
      message: 'precondition failed',
      details: [],
    },
    {
      name: 'a query answered by the run that had just continued as new (its replay fails; the new run answers)',
      code: GRPC.INVALID_ARGUMENT,
      message:
        '[TMPRL1100] Nondeterminism error: Timer machine does not handle this event: HistoryEvent(id: 14, WorkflowExecutionContinuedAsNew)',
      details: [
        detail(
          'temporal.api.errordetails.v1.QueryFailedFailure',
          errordetails.v1.QueryFailedFailure.encode({}).finish(),
        ),
      ],
    },
    {
      name: 'a query the keeper failed otherwise (an unknown query: never sent again)',
      code: GRPC.INVALID_ARGUMENT,
      message: 'Encoded failure',
      details: [
        detail(
          'temporal.api.errordetails.v1.QueryFailedFailure',
          errordetails.v1.QueryFailedFailure.encode({}).finish(),
        ),
      ],
    },
    {
      name: 'not found: not enrolled (never sent again)',
      code: GRPC.NOT_FOUND,
      message: 'workflow not found',
      details: [
        detail('temporal.api.errordetails.v1.NotFoundFailure', errordetails.v1.NotFoundFailure.encode({}).finish()),
      ],
    },
  ];
  return {
    description:
      'gRPC refusals a client sends again, unchanged, after a pause (docs/wire-protocol.md, "Client rules"): status FAILED_PRECONDITION (9) whose google.rpc.Status trailer (grpc-status-details-bin, base64 here) names temporal.api.errordetails.v1.WorkflowNotReadyFailure, and a query refused INVALID_ARGUMENT (3) whose message names [TMPRL1100] and ContinuedAsNew (answered by the run that had just continued as new). The call had no effect. delaysMs: the pauses before each further attempt.',
    delaysMs: NOT_READY_RETRY_DELAYS_MS,
    vectors: cases.map(({ name, code, message, details }) => {
      const statusBytes = google.rpc.Status.encode({ code, message, details }).finish();
      return {
        name,
        grpcCode: code,
        message,
        statusDetailsBin: Buffer.from(statusBytes).toString('base64'),
        expect: { sendAgain: sendAgain(grpcError(code, message, statusBytes)) },
      };
    }),
  };
}
