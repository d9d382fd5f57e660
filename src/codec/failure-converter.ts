import type { ProtoFailure } from '@temporalio/common';
import { ApplicationFailure, DefaultFailureConverter } from '@temporalio/common';
import type { PayloadConverter } from '@temporalio/common';
import { QUERY_FAILURE_TYPE } from '../contract';

const encoded = new DefaultFailureConverter({ encodeCommonAttributes: true });
const plain = new DefaultFailureConverter({ encodeCommonAttributes: false });

/**
 * Moves failure messages and stack traces into an encoded payload, so the codec encrypts them too. Query failures
 * are the exception: they never enter history, and the server hands them to clients as bare text that no codec
 * decodes, so encoding them would only hide why a query failed.
 */
class KeeperFailureConverter extends DefaultFailureConverter {
  constructor() {
    super({ encodeCommonAttributes: true });
  }

  override errorToFailure(error: unknown, payloadConverter: PayloadConverter): ProtoFailure {
    const isQueryFailure = error instanceof ApplicationFailure && error.type === QUERY_FAILURE_TYPE;
    return (isQueryFailure ? plain : encoded).errorToFailure(error, payloadConverter);
  }
}

export const failureConverter = new KeeperFailureConverter();
