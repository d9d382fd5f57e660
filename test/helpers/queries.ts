import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import type { AccessToken } from '../../src/contract';
import { accessTokenQuery } from '../../src/contract';

/** The token the keeper serves; fails the test, with the keeper's reason, when it serves none. */
export async function servedToken(handle: WorkflowHandle): Promise<AccessToken> {
  const answer = await handle.query(accessTokenQuery);
  assert.ok(answer.ok, `no token served: ${answer.ok ? '' : `${answer.why} (${answer.message})`}`);
  const { ok: _ok, ...token } = answer;
  return token;
}
