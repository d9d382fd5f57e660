import { DefaultFailureConverter } from '@temporalio/common';

/** Moves failure messages and stack traces into an encoded payload, so the codec encrypts them too. */
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
