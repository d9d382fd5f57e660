import * as wf from '@temporalio/workflow';
import type { z } from 'zod';
import type {
  RefreshedToken,
  RefreshNowInput,
  ReseedInput,
  StatusResult,
  UserTokenRequest,
  UserTokenResult,
} from '../contract';
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
import { invalidInput, queryFailure } from './workflow-failures';
import type { KeeperView } from './keeper-view';
import { answerAccessToken, answerCachedUserToken, answerStatus, refusalToRefresh, staleRefusal } from './keeper-view';
import { heldSnapshot } from './reset-recovery';

/** What a message asks of the keeper, once its input has been checked. */
export type KeeperRequest =
  | { kind: 'refreshNow'; input: RefreshNowInput | undefined }
  | { kind: 'userToken'; request: UserTokenRequest }
  | { kind: 'reseed'; input: ReseedInput }
  | { kind: 'forceRefresh'; reason: string }
  | { kind: 'retire'; reason: string }
  | { kind: 'wake' }
  | { kind: 'ignoredSignal'; message: string };

/** The answer each request gets: updates answer, signals do not. */
export interface KeeperAnswers {
  refreshNow: RefreshedToken;
  userToken: UserTokenResult;
  reseed: StatusResult;
  forceRefresh: void;
  retire: void;
  wake: void;
  ignoredSignal: void;
}

/** The keeper as its message handlers see it: a view to answer queries from, and one door for requests. */
export interface KeeperInbox {
  view(): KeeperView;
  receive<K extends KeeperRequest['kind']>(
    request: Extract<KeeperRequest, { kind: K }>,
  ): Promise<KeeperAnswers[K]> | KeeperAnswers[K];
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const refusal = undecodableRefusal(value, what);
  if (refusal !== undefined) throw invalidInput(refusal, 'input');
  const result = schema.safeParse(value);
  if (!result.success) {
    throw invalidInput(`invalid ${what}: ${describeZodError(result.error)}`, firstIssuePath(result.error));
  }
  return result.data;
}

/** The reason a signal carries, or undefined (logged) when its input is not the signal's shape. */
function signalReason(input: unknown, what: string): { reason: string | undefined } | undefined {
  const parsed = reasonInputSchema.safeParse(input ?? {});
  if (parsed.success) return { reason: parsed.data.reason };
  wf.log.warn(`${what} with bad input`, { problem: describeZodError(parsed.error) });
  return undefined;
}

/**
 * Registers every query, update and signal of the contract. Queries answer from the keeper's view; updates are
 * checked in validators, so a refused one never enters history; every request goes through the keeper's one door.
 */
export function registerHandlers(keeper: KeeperInbox): void {
  wf.setHandler(accessTokenQuery, () => answerAccessToken(keeper.view(), Date.now()));
  wf.setHandler(statusQuery, () => answerStatus(keeper.view()));
  wf.setHandler(keeperVersionQuery, () => keeper.view().version);
  wf.setHandler(heldStateQuery, () => heldSnapshot(keeper.view().state));
  wf.setHandler(cachedUserTokenQuery, (request) => {
    const parsed = userTokenRequestSchema.safeParse(request);
    if (!parsed.success) throw queryFailure(`invalid cachedUserToken query: ${describeZodError(parsed.error)}`);
    return answerCachedUserToken(keeper.view(), parsed.data);
  });
  wf.setHandler(refreshNowUpdate, (input) => keeper.receive({ kind: 'refreshNow', input }), {
    validator: (input) => {
      parseOrThrow(refreshNowInputSchema, input ?? {}, 'refreshNow input');
      const refusal = refusalToRefresh(keeper.view());
      if (refusal) throw refusal;
    },
  });
  wf.setHandler(userTokenUpdate, (request) => keeper.receive({ kind: 'userToken', request }), {
    validator: (request) => {
      parseOrThrow(userTokenRequestSchema, request, 'userToken input');
      const refusal = refusalToRefresh(keeper.view());
      if (refusal) throw refusal;
    },
  });
  wf.setHandler(reseedUpdate, (input) => keeper.receive({ kind: 'reseed', input }), {
    validator: (input) => {
      const { tokens } = parseOrThrow(reseedInputSchema, input, 'reseed input');
      const refusal = staleRefusal(keeper.view(), tokens.refresh_token);
      if (refusal) throw refusal;
    },
  });
  // A signal the codec could not decode (a key the worker lacks) is ignored, loudly: the log and the status say so.
  const undecodable = (input: unknown, what: string) => {
    const refusal = undecodableRefusal(input, what);
    return refusal === undefined ? undefined : `${refusal}; the signal was ignored`;
  };
  wf.setHandler(forceRefreshSignal, (input) => {
    const ignored = undecodable(input, 'forceRefresh signal');
    if (ignored) return keeper.receive({ kind: 'ignoredSignal', message: ignored });
    const parsed = signalReason(input, 'forceRefresh signal');
    if (parsed) return keeper.receive({ kind: 'forceRefresh', reason: parsed.reason ?? 'forceRefresh' });
  });
  wf.setHandler(retireSignal, (input) => {
    const ignored = undecodable(input, 'retire signal');
    if (ignored) return keeper.receive({ kind: 'ignoredSignal', message: ignored });
    return keeper.receive({ kind: 'retire', reason: signalReason(input, 'retire signal')?.reason ?? 'unspecified' });
  });
  wf.setHandler(wakeSignal, () => keeper.receive({ kind: 'wake' }));
}
