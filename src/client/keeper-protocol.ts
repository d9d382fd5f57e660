import { QueryNotRegisteredError } from '@temporalio/client';
import { ExpiringCache } from '../common/expiring-cache';
import { InvalidInputError } from './errors';
import type { WorkflowHandle } from '@temporalio/client';
import type { KeeperVersion, UserTokenRequest, UserTokenResult } from '../contract';
import { FIELDS_SINCE_PROTOCOL, cachedUserTokenQuery, keeperVersionQuery } from '../contract';

/** What a keeper released before 1.0.0 is taken to be: it has no `keeperVersion` query. */
export const PRE_RELEASE_KEEPER: KeeperVersion = { protocol: 0, behavior: 'UNVERSIONED' };

/** The keeper's protocol and build; a keeper that does not know the query is one released before 1.0.0. */
export async function queryKeeperVersion(handle: WorkflowHandle): Promise<KeeperVersion> {
  try {
    return await handle.query(keeperVersionQuery);
  } catch (error) {
    if (error instanceof QueryNotRegisteredError) return PRE_RELEASE_KEEPER;
    throw error;
  }
}

/** gRPC's INVALID_ARGUMENT: how Temporal answers a query the workflow failed, as one it has no handler for. */
const QUERY_FAILED = 3;

/**
 * Whether a query refused with `grpcCode` counts as a miss: only `cachedUserToken` (a keeper older than the query
 * answers it as failed; the client then asks through the update), and only when the keeper answered (not when
 * Temporal or a worker could not). docs/vectors/client-rules.json holds the cases every client checks.
 */
export function queryRefusalIsMiss(query: string, grpcCode: number): boolean {
  return query === cachedUserTokenQuery.name && grpcCode === QUERY_FAILED;
}

/** A cached user token, or null on a miss or from a keeper without the cache query (older than this client). */
export async function queryCachedUserToken(
  handle: WorkflowHandle,
  request: UserTokenRequest,
): Promise<UserTokenResult | null> {
  try {
    return await handle.query(cachedUserTokenQuery, request);
  } catch (error) {
    if (error instanceof QueryNotRegisteredError && queryRefusalIsMiss(cachedUserTokenQuery.name, error.code))
      return null;
    throw error;
  }
}

type Gated = typeof FIELDS_SINCE_PROTOCOL;

/**
 * `input` without the optional fields a keeper of `protocol` does not accept: a newer client talking to an older
 * keeper (during a rolling deploy, or after a rollback) sends what that keeper understands rather than being refused.
 */
export function fieldsFor<M extends keyof Gated, T extends object>(message: M, input: T, protocol: number): T {
  const since: Record<string, number> = FIELDS_SINCE_PROTOCOL[message];
  return Object.fromEntries(Object.entries(input).filter(([field]) => (since[field] ?? 0) <= protocol)) as T;
}

/** How long a keeper's learned protocol is trusted: a deploy or a rollback changes it. */
const PROTOCOL_TTL_MS = 60_000;

/** Each keeper's message protocol, learned at most once a minute per company. */
export class KeeperProtocols {
  private readonly learned = new ExpiringCache<string, number>(10_000);

  constructor(private readonly now: () => number) {}

  /** Asks the keeper and remembers its protocol. */
  async learn(companyId: string, handle: WorkflowHandle): Promise<KeeperVersion> {
    const version = await queryKeeperVersion(handle);
    this.learned.set(companyId, version.protocol, this.now() + PROTOCOL_TTL_MS);
    return version;
  }

  /**
   * Sends `input` through `send`: with only the fields the keeper accepts when its protocol is known, else as it is
   * (no extra query on the common path). A keeper that refuses the input in its validator (nothing entered history)
   * has its protocol learned; when that strips a field the input is sent once more without it, else the refusal
   * stands.
   */
  async send<M extends keyof Gated, T extends object, R>(
    companyId: string,
    handle: WorkflowHandle,
    message: M,
    input: T,
    send: (input: T) => Promise<R>,
    translate: (error: unknown) => Error,
  ): Promise<R> {
    const known = this.learned.get(companyId, this.now());
    const sent = known === undefined ? input : fieldsFor(message, input, known);
    try {
      return await send(sent);
    } catch (error) {
      if (!(translate(error) instanceof InvalidInputError)) throw error;
      const accepted = fieldsFor(message, sent, (await this.learn(companyId, handle)).protocol);
      if (Object.keys(accepted).length === Object.keys(sent).length) throw error;
      return send(accepted);
    }
  }
}
