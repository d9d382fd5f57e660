import * as wf from '@temporalio/workflow';
import type { z } from 'zod';
import {
  accessTokenQuery,
  cachedUserTokenQuery,
  describeZodError,
  firstIssuePath,
  forceRefreshSignal,
  heldStateQuery,
  reasonInputSchema,
  refreshNowInputSchema,
  refreshNowUpdate,
  reseedInputSchema,
  reseedUpdate,
  retireSignal,
  statusQuery,
  keeperVersionQuery,
  wakeSignal,
  undecodableRefusal,
  userTokenRequestSchema,
  userTokenUpdate,
} from '../contract';
import { invalidInput, queryFailure, retiredFailure } from './workflow-failures';
import type { CompanyKeeper } from './company-keeper';
import { heldSnapshot } from './reset-recovery';
import { reseed } from './reseed';
import type { RunVersion } from './versioning';

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const refusal = undecodableRefusal(value, what);
  if (refusal !== undefined) throw invalidInput(refusal, 'input');
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalidInput(`invalid ${what}: ${describeZodError(result.error)}`, firstIssuePath(result.error));
  }
  return result.data;
}

/**
 * A signal the codec could not decode (a key the worker lacks, a value nested too deep) is ignored, loudly: an error
 * log and the status's last error.
 */
function refusedUndecodable(keeper: CompanyKeeper, input: unknown, what: string): boolean {
  const message = undecodableRefusal(input, what);
  if (message === undefined) return false;
  wf.log.error(`${message}; the signal was ignored`);
  keeper.state.lastError = `${message}; the signal was ignored`;
  keeper.publish();
  return true;
}

/**
 * Registers every query, update and signal of the contract. Updates are checked in validators, so a refused one never
 * enters history; handlers that need the worker's settings wait for them.
 */
export function registerHandlers(keeper: CompanyKeeper, version: RunVersion): void {
  wf.setHandler(accessTokenQuery, () => keeper.accessToken());
  wf.setHandler(statusQuery, () => {
    const { build } = version.describe();
    return { ...keeper.statusResult(), ...(build !== undefined && { build }) };
  });
  wf.setHandler(keeperVersionQuery, () => version.describe());
  wf.setHandler(wakeSignal, () => {
    version.wakeRequested = true;
  });
  wf.setHandler(heldStateQuery, () => heldSnapshot(keeper.state));
  wf.setHandler(cachedUserTokenQuery, (request) => {
    const parsed = userTokenRequestSchema.safeParse(request);
    if (!parsed.success) throw queryFailure(`invalid cachedUserToken query: ${describeZodError(parsed.error)}`);
    return keeper.cachedUserToken(parsed.data);
  });
  wf.setHandler(refreshNowUpdate, async (input) => (await keeper.ready(), keeper.refreshNow(input)), {
    validator: (input) => {
      parseOrThrow(refreshNowInputSchema, input ?? {}, 'refreshNow input');
      keeper.assertRefreshable();
    },
  });
  wf.setHandler(userTokenUpdate, async (request) => (await keeper.ready(), keeper.userToken(request)), {
    validator: (request) => {
      parseOrThrow(userTokenRequestSchema, request, 'userToken input');
      keeper.assertRefreshable();
    },
  });
  wf.setHandler(reseedUpdate, async (input) => (await keeper.ready(), reseed(keeper, input)), {
    validator: (input) => {
      const { tokens } = parseOrThrow(reseedInputSchema, input, 'reseed input');
      if (keeper.retired) throw retiredFailure();
      keeper.assertNotStale(tokens);
    },
  });
  wf.setHandler(forceRefreshSignal, (input) => {
    if (refusedUndecodable(keeper, input, 'forceRefresh signal')) return;
    const parsed = reasonInputSchema.safeParse(input ?? {});
    if (!parsed.success) {
      wf.log.warn('forceRefresh ignored: bad input', { problem: describeZodError(parsed.error) });
      return;
    }
    const { status, reason } = keeper.state;
    if (keeper.retired || status === 'NEEDS_REAUTH') {
      wf.log.warn('forceRefresh ignored', { status, reason });
      return;
    }
    const asked = parsed.data.reason ?? 'forceRefresh';
    wf.log.info('forceRefresh received', { reason: asked });
    keeper.requestRefresh(asked);
  });
  wf.setHandler(retireSignal, (input) => {
    if (refusedUndecodable(keeper, input, 'retire signal')) return;
    const parsed = reasonInputSchema.safeParse(input ?? {});
    wf.log.info('retire received', { reason: parsed.success ? (parsed.data.reason ?? 'unspecified') : 'unparsable' });
    keeper.retired = true;
  });
}
