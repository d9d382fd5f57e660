import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type {
  AccessToken,
  KeeperVersion,
  PlumTokens,
  ReasonInput,
  RefreshPolicy,
  RefreshedToken,
  StatusResult,
  TokenStatus,
  UserTokenResult,
} from '../contract';
import {
  TASK_QUEUE,
  accessTokenQuery,
  companyIdSchema,
  forceRefreshSignal,
  plumTokensSchema,
  reasonInputSchema,
  refreshNowInputSchema,
  refreshNowUpdate,
  refreshPolicySchema,
  reseedUpdate,
  retireSignal,
  statusQuery,
  userTokenRequestSchema,
  userTokenUpdate,
  wakeSignal,
  workflowIdFor,
} from '../contract';
import { NeedsReauthError, NotEnrolledError, TokenKeyRingMissingError } from './errors';
import { KeeperCodec } from '../codec/keeper-codec';
import { KeeperProtocols, queryCachedUserToken } from './keeper-protocol';
import { endedRunError } from './closed-run';
import { listCompanies } from './list-companies';
import { ExpiringCache } from '../common/expiring-cache';
import { SingleFlight } from '../common/single-flight';
import { connectTemporalClient } from './temporal-client';
import { parse } from './parse-input';
import { openToken, tokenOrError, translateFailure } from './translate';
import { failureOf } from './no-worker';
import { retryWhileNotReady } from './not-ready';
import type { CompanySummary, TokenKeeperClientOptions, TokenKeeperConnectOptions } from './options';
import { enrolmentStart } from './enrolment';
import { CACHE_LIMITS, cachedUntil, temporalClientOptionsOf } from './options';
import type { KeeperWorkflow } from './enrolment';

export type { CompanySummary, TokenKeeperClientOptions, TokenKeeperConnectOptions } from './options';

/**
 * How services read Plum tokens: an in-process cache in front of the company workflows, single-flight per company,
 * plus every operator action. All methods throw {@link TokenKeeperError} subclasses.
 */
export class TokenKeeperClient {
  private readonly client: Client;
  private readonly taskQueue: string;
  private readonly marginMs: number;
  private readonly now: () => number;
  private readonly userTokenTtlMs: number;
  private readonly cache: ExpiringCache<string, AccessToken>;
  private readonly userTokens: ExpiringCache<string, UserTokenResult>;
  /** Expiry of the access token last handed out per company: `refreshNow` sends it, so a newer one is not rotated. */
  private readonly handedExpiries: ExpiringCache<string, number>;
  private readonly tokenFlights = new SingleFlight<string, AccessToken>();
  private readonly userFlights = new SingleFlight<string, UserTokenResult>();
  private readonly protocols: KeeperProtocols;
  /** False when this client's codec lacks the token key ring: tokens would arrive sealed. */
  private readonly opensTokens: boolean;

  /** Connects to Temporal with the project's data converter; fails with {@link TemporalUnavailableError}. */
  static async connect(options: TokenKeeperConnectOptions): Promise<TokenKeeperClient> {
    const client = await connectTemporalClient(temporalClientOptionsOf(options));
    return new TokenKeeperClient({ client, ...(options.taskQueue && { taskQueue: options.taskQueue }) });
  }

  /** Closes the Temporal connection this client was built on. */
  async close(): Promise<void> {
    await this.client.connection.close();
  }

  constructor(options: TokenKeeperClientOptions) {
    this.client = options.client;
    this.taskQueue = options.taskQueue ?? TASK_QUEUE;
    this.marginMs = options.refreshMarginMs ?? 5000;
    this.now = options.now ?? Date.now;
    this.userTokenTtlMs = options.userTokenTtlMs ?? 5 * 60_000;
    this.cache = new ExpiringCache(options.maxCachedAccessTokens ?? CACHE_LIMITS.accessTokens);
    this.userTokens = new ExpiringCache(options.maxCachedUserTokens ?? CACHE_LIMITS.userTokens);
    this.handedExpiries = new ExpiringCache(options.maxCachedAccessTokens ?? CACHE_LIMITS.accessTokens);
    this.protocols = new KeeperProtocols(this.now);
    const codecs = this.client.options.dataConverter.payloadCodecs ?? [];
    this.opensTokens = !codecs.some((codec) => codec instanceof KeeperCodec && !codec.opensTokens);
  }

  /**
   * Enrols a company, or reseeds it when it is already enrolled, atomically (update-with-start). Returns the
   * status once the keeper holds `tokens`.
   */
  async enrol(companyId: string, tokens: PlumTokens, policy?: RefreshPolicy): Promise<StatusResult> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    parse(plumTokensSchema, tokens, 'tokens');
    if (policy !== undefined) parse(refreshPolicySchema, policy, 'policy');
    const start = enrolmentStart(id, this.taskQueue, policy);
    this.forget(id);
    return this.call(id, () =>
      this.client.workflow.executeUpdateWithStart(reseedUpdate, { args: [{ tokens }], startWorkflowOperation: start }),
    );
  }

  /**
   * The company's current access token, from the in-process cache until shortly before the workflow's next
   * refresh; concurrent callers on a cold cache share one query.
   */
  async getAccessToken(companyId: string): Promise<AccessToken> {
    // Only validated ids are ever cached, so a hit needs no validation: the hot path stays a map lookup.
    const cached = this.cache.get(companyId, this.now());
    if (cached) return cached;
    const id = parse(companyIdSchema, companyId, 'companyId');
    return this.tokenFlights.run(id, async () => {
      const token = await this.queryAccessToken(id);
      this.cache.set(id, token, cachedUntil(token, this.now(), this.marginMs));
      this.handedExpiries.set(id, token.expiresAt, Number.MAX_SAFE_INTEGER);
      return token;
    });
  }

  /** Drops the company's cached tokens, its user tokens too (call it after Plum answered 401 to one of them). */
  invalidate(companyId: string): void {
    this.forget(companyId);
  }

  /**
   * A user-scoped token: this process's cache (for `userTokenTtlMs`), then the workflow's cache, an exchange only on
   * a miss; single-flight per user.
   */
  async getUserToken(companyId: string, email: string, scope?: string): Promise<UserTokenResult> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    const request = parse(userTokenRequestSchema, scope === undefined ? { email } : { email, scope }, 'userToken');
    const key = `${id}|${request.email.toLowerCase()}|${request.scope ?? ''}`;
    const cached = this.userTokens.get(key, this.now());
    if (cached) return cached;
    return this.userFlights.run(key, () =>
      this.call(id, async () => {
        const handle = this.handle(id);
        const result = openToken(
          id,
          (await queryCachedUserToken(handle, request)) ??
            (await handle.executeUpdate(userTokenUpdate, { args: [request], updateId: `user-token-${randomUUID()}` })),
        );
        const freshUntil = Math.min(this.now() + this.userTokenTtlMs, result.expiresAt - this.marginMs);
        this.userTokens.set(key, result, freshUntil);
        return result;
      }),
    );
  }

  /**
   * Rotates now and returns the new token (one upstream refresh serves every concurrent caller). When the keeper
   * already holds a token newer than the one this client last handed out (another caller's rotation got there
   * first), that token is returned and nothing is rotated again.
   */
  async refreshNow(companyId: string, reason?: string, seenExpiresAt?: number): Promise<RefreshedToken> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    parse(refreshNowInputSchema, { seenExpiresAt }, '');
    // Refused before anything is sent: the rotation would happen and its token could not be read.
    if (!this.opensTokens) throw new TokenKeyRingMissingError(id);
    return openToken(id, await this.rotateNow(id, reason, seenExpiresAt));
  }

  /**
   * Rotates now and waits for it, answering only the new token's expiry: what an operator needs, and all a client
   * without the token ring can have. A rotation another caller already made is not repeated.
   */
  async rotate(companyId: string, reason?: string): Promise<{ expiresAt: number }> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    const { expiresAt } = await this.rotateNow(id, reason);
    return { expiresAt };
  }

  private async rotateNow(id: string, reason: string | undefined, seen?: number): Promise<RefreshedToken> {
    const seenExpiresAt = seen ?? this.handedExpiries.get(id, this.now());
    const wanted = { ...this.reasonInput(reason), ...(seenExpiresAt !== undefined && { seenExpiresAt }) };
    // A rotation replaces the company token only; user tokens stay valid. A read racing the update may re-cache
    // the old token, hence the second delete.
    this.cache.delete(id);
    const result = await this.call(id, () =>
      this.protocols.send(
        id,
        this.handle(id),
        'refreshNow',
        wanted,
        (input) => this.handle(id).executeUpdate(refreshNowUpdate, { args: [input] }),
        (error) => translateFailure(error, id),
      ),
    );
    this.cache.delete(id);
    this.handedExpiries.set(id, result.expiresAt, Number.MAX_SAFE_INTEGER);
    return result;
  }

  /**
   * Asks for a rotation without waiting for it. Throws when the keeper would ignore the signal (a company in
   * `NEEDS_REAUTH` rotates only after a reseed), instead of letting the request vanish.
   */
  async forceRefresh(companyId: string, reason?: string): Promise<void> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    const input = this.reasonInput(reason);
    const { status, reason: why } = await this.status(id);
    if (status === 'NEEDS_REAUTH') throw new NeedsReauthError(id, why);
    if (status === 'RETIRED') throw new NotEnrolledError(id);
    this.cache.delete(id);
    await this.call(id, () => this.handle(id).signal(forceRefreshSignal, input));
  }

  /** Installs tokens a person generated in the Plum dashboard (after NEEDS_REAUTH). */
  async reseed(companyId: string, tokens: PlumTokens): Promise<StatusResult> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    parse(plumTokensSchema, tokens, 'tokens');
    this.forget(id);
    return this.call(id, () => this.handle(id).executeUpdate(reseedUpdate, { args: [{ tokens }] }));
  }

  /** Stops managing the company; its workflow completes. */
  async retire(companyId: string, reason?: string): Promise<void> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    this.forget(id);
    await this.call(id, async () => {
      await this.requireRunning(id);
      await this.handle(id).signal(retireSignal, this.reasonInput(reason));
    });
  }

  /** The keeper's status (no secrets); for a run that ended, an error saying how, with its decoded failure. */
  async status(companyId: string): Promise<StatusResult> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    try {
      return await this.call(id, () => this.handle(id).query(statusQuery));
    } catch (error) {
      throw (await endedRunError(this.handle(id), id).catch(() => undefined)) ?? error;
    }
  }

  /**
   * Wakes the keeper without changing anything: a run pinned to an older build that sees a new current build
   * continues as new onto it now (what `plum-keeper upgrade` does for every keeper).
   */
  async wake(companyId: string): Promise<void> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    await this.call(id, () => this.handle(id).signal(wakeSignal));
  }

  /** The keeper's message protocol and the build its run is on (protocol 0: a keeper released before 1.0.0). */
  async version(companyId: string): Promise<KeeperVersion> {
    const id = parse(companyIdSchema, companyId, 'companyId');
    return this.call(id, () => this.protocols.learn(id, this.handle(id)));
  }

  /** Keepers from Temporal's visibility store (running ones, or retired ones with `status: 'RETIRED'`). */
  list(filter: { status?: TokenStatus } = {}): Promise<CompanySummary[]> {
    return listCompanies(this.client, filter.status);
  }

  /** Checks a `reason` before anything is sent: a signal with a bad one would be dropped silently. */
  private reasonInput(reason: string | undefined): ReasonInput {
    return parse(reasonInputSchema, reason === undefined ? {} : { reason }, '') as ReasonInput;
  }

  /** Drops everything cached for the company: after an enrol, reseed or retire its user tokens may be gone too. */
  private forget(companyId: string): void {
    this.cache.delete(companyId);
    this.userTokens.deleteWhere((key) => key.startsWith(`${companyId}|`));
  }

  private handle(companyId: string): WorkflowHandle<KeeperWorkflow> {
    return this.client.workflow.getHandle<KeeperWorkflow>(workflowIdFor(companyId));
  }

  private async requireRunning(companyId: string): Promise<void> {
    const description = await this.handle(companyId).describe();
    if (description.status.name !== 'RUNNING') throw new NotEnrolledError(companyId);
  }

  private async queryAccessToken(companyId: string): Promise<AccessToken> {
    const answer = await this.call(companyId, () => this.handle(companyId).query(accessTokenQuery));
    return openToken(companyId, tokenOrError(companyId, answer, this.now()));
  }

  /** Runs a Temporal call (again while the workflow cannot take it yet) and turns its failures into the library's errors. */
  private async call<T>(companyId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await retryWhileNotReady(fn);
    } catch (error) {
      throw await failureOf(error, companyId, this.handle(companyId));
    }
  }
}
