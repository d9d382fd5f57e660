import * as wf from '@temporalio/workflow';
import type { z } from 'zod';
import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/common';
import type { PlumActivities } from '../activities/plum-activities';
import type { WorkerSettings } from '../activities/settings';
import type { TokenSet } from '../plum/token-set';
import type { PlumFailureDetails } from './failure-types';
import { FAILURE_TYPES, QUERY_FAILURE_TYPE } from './failure-types';
import type {
  AccessTokenResult,
  CompanyTokenInput,
  ReasonInput,
  ReseedInput,
  StatusReason,
  StatusResult,
  UserTokenRequest,
  UserTokenResult,
} from './messages';
import {
  DEFAULT_USER_SCOPE,
  accessTokenExpiresAtKey,
  accessTokenQuery,
  companyIdKey,
  describeZodError,
  forceRefreshSignal,
  nextRefreshAtKey,
  reasonInputSchema,
  refreshNowUpdate,
  reseedInputSchema,
  reseedUpdate,
  retireSignal,
  statusQuery,
  tokenStatusKey,
  userTokenQuery,
  userTokenRequestSchema,
  userTokenUpdate,
  workflowInputSchema,
} from './messages';
import { dueAt, backoffMs, leadFor } from './schedule';
import type { CachedUserToken, CompanyState } from './state';
import { heldFromPlum, mergedPolicy, userTokenKey } from './state';
import { formatDetails } from './details';

const { workerSettings } = wf.proxyLocalActivities<PlumActivities>({ startToCloseTimeout: '10 seconds' });

/** Rejections of the refresh token (rather than of the company or client) that an earlier unknown outcome explains. */
const SPENT_TOKEN_REASONS = new Set(['INVALID_GRANT', 'TOKEN_KILLED']);

function invalidInput(message: string, field?: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.invalidInput,
    message,
    nonRetryable: true,
    details: field === undefined ? [] : [{ field }],
  });
}

function retiredFailure(): ApplicationFailure {
  return ApplicationFailure.create({
    type: FAILURE_TYPES.retired,
    message: 'this company is retired; enrol it again to keep its tokens',
    nonRetryable: true,
  });
}

function queryFailure(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: QUERY_FAILURE_TYPE, message, nonRetryable: true });
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const path = result.error.issues[0]?.path.join('.');
    throw invalidInput(`invalid ${what}: ${describeZodError(result.error)}`, path || 'input');
  }
  return result.data;
}

/**
 * Owns one company's Plum token set: the only code that ever spends its refresh token. See DESIGN.md for the
 * state machine, schedule and messages.
 */
export async function companyTokenWorkflow(input: CompanyTokenInput): Promise<StatusResult> {
  const parsed = workflowInputSchema.safeParse(input);
  if (!parsed.success) throw invalidInput(`invalid workflow input: ${describeZodError(parsed.error)}`);
  const carried = input.carried as CompanyState | undefined;
  const keeper = new CompanyKeeper(
    carried ?? {
      companyId: parsed.data.companyId,
      policyOverrides: parsed.data.policy ?? {},
      tokens: heldFromPlum(input.tokens, Date.now()),
      status: 'ACTIVE',
      generation: 0,
      upstreamRefreshes: 0,
      consecutiveFailures: 0,
      outcomeUnknown: false,
      refreshRequested: false,
      jitter: Math.random(),
      userTokens: [],
    },
  );
  // Handlers are registered before this first await, so messages sent right after the start find them.
  return keeper.run(await workerSettings(), carried === undefined);
}

class CompanyKeeper {
  private readonly userTokens: Map<string, CachedUserToken>;
  private readonly userFlights = new Map<string, Promise<UserTokenResult>>();
  private readonly activities = wf.proxyActivities<PlumActivities>({ startToCloseTimeout: '1 minute' });
  /** Loaded by the first local activity; handlers that need it wait for it. */
  private settings: WorkerSettings | undefined;
  private attemptsStarted = 0;
  private attemptsCompleted = 0;
  private refreshing = false;
  private reseeding = false;
  private retired = false;
  private wakeForReseed = false;
  private published = '';

  constructor(private readonly state: CompanyState) {
    this.userTokens = new Map(state.userTokens);
    this.registerHandlers();
  }

  private get config(): WorkerSettings {
    if (!this.settings) throw new Error('worker settings are not loaded yet');
    return this.settings;
  }

  private ready(): Promise<void> {
    return wf.condition(() => this.settings !== undefined);
  }

  async run(settings: WorkerSettings, fresh: boolean): Promise<StatusResult> {
    this.settings = settings;
    if (fresh) await this.learnMissing();
    while (!this.retired) {
      this.publish();
      if (!this.state.refreshRequested && !this.refreshDue()) {
        const wakeAt = this.nextWakeAt();
        const wake = () =>
          this.retired || this.state.refreshRequested || this.wakeForReseed || this.shouldContinueAsNew();
        if (wakeAt === undefined) await wf.condition(wake);
        else await wf.condition(wake, Math.max(1, wakeAt - Date.now()), { summary: this.timerSummary() });
      }
      this.wakeForReseed = false;
      if (this.retired) break;
      this.markExpiredIfDue();
      if (this.state.refreshRequested || this.refreshDue()) {
        await this.attemptRefresh();
        continue;
      }
      if (this.shouldContinueAsNew()) {
        await wf.condition(() => wf.allHandlersFinished() || this.state.refreshRequested || this.retired);
        if (wf.allHandlersFinished() && !this.state.refreshRequested && !this.retired) return this.continueAsNew();
      }
    }
    await wf.condition(wf.allHandlersFinished);
    this.state.status = 'RETIRED';
    this.publish();
    return this.statusResult();
  }

  private registerHandlers(): void {
    wf.setHandler(accessTokenQuery, () => this.accessToken());
    wf.setHandler(statusQuery, () => this.statusResult());
    wf.setHandler(userTokenQuery, (request) => {
      const parsed = userTokenRequestSchema.safeParse(request);
      if (!parsed.success) throw queryFailure(`invalid userToken query: ${describeZodError(parsed.error)}`);
      const { email, scope } = parsed.data;
      const cached = this.userTokens.get(userTokenKey(email, scope ?? DEFAULT_USER_SCOPE));
      return cached && this.settings && this.userTokenFresh(cached) ? toUserResult(cached) : null;
    });
    wf.setHandler(refreshNowUpdate, async (input) => (await this.ready(), this.refreshNow(input)), {
      validator: (input) => {
        parseOrThrow(reasonInputSchema, input ?? {}, 'refreshNow input');
        this.assertRefreshable();
      },
    });
    wf.setHandler(userTokenUpdate, async (request) => (await this.ready(), this.userToken(request)), {
      validator: (request) => {
        parseOrThrow(userTokenRequestSchema, request, 'userToken input');
        this.assertRefreshable();
      },
    });
    wf.setHandler(reseedUpdate, async (input) => (await this.ready(), this.reseed(input)), {
      validator: (input) => {
        parseOrThrow(reseedInputSchema, input, 'reseed input');
        if (this.retired) throw retiredFailure();
      },
    });
    wf.setHandler(forceRefreshSignal, (input) => {
      const parsed = reasonInputSchema.safeParse(input ?? {});
      if (!parsed.success) {
        wf.log.warn('forceRefresh ignored: bad input', { problem: describeZodError(parsed.error) });
        return;
      }
      if (this.retired || this.state.status === 'NEEDS_REAUTH') {
        wf.log.warn('forceRefresh ignored', { status: this.state.status, reason: this.state.reason });
        return;
      }
      wf.log.info('forceRefresh received', { reason: parsed.data.reason ?? 'unspecified' });
      this.requestRefresh();
    });
    wf.setHandler(retireSignal, (input) => {
      const parsed = reasonInputSchema.safeParse(input ?? {});
      wf.log.info('retire received', { reason: parsed.success ? (parsed.data.reason ?? 'unspecified') : 'unparsable' });
      this.retired = true;
    });
  }

  private assertRefreshable(): void {
    if (this.retired) throw retiredFailure();
    if (this.state.status === 'NEEDS_REAUTH') {
      throw ApplicationFailure.create({
        type: FAILURE_TYPES.needsReauth,
        message: `company ${this.state.companyId} needs re-authorisation (${this.state.reason ?? 'unknown reason'}): generate new tokens in the Plum dashboard and reseed`,
        nonRetryable: true,
        details: [{ reason: this.state.reason }],
      });
    }
  }

  /** Asks the loop for a refresh; returns the number of the attempt that will serve this request. */
  private requestRefresh(): number {
    if (this.refreshing) return this.attemptsStarted;
    this.state.refreshRequested = true;
    return this.attemptsStarted + 1;
  }

  private async refreshNow(input: ReasonInput | undefined): Promise<{ accessToken: string; expiresAt: number }> {
    const generationBefore = this.state.generation;
    wf.log.info('refreshNow received', { reason: input?.reason ?? 'unspecified' });
    const attempt = this.requestRefresh();
    await wf.condition(() => this.attemptsCompleted >= attempt || this.retired);
    const { accessToken, accessTokenExpiresAt } = this.state.tokens;
    if (this.state.generation > generationBefore && accessToken && accessTokenExpiresAt !== undefined) {
      return { accessToken, expiresAt: accessTokenExpiresAt };
    }
    throw ApplicationFailure.create({
      type: this.retired ? FAILURE_TYPES.retired : FAILURE_TYPES.refreshFailed,
      message: this.retired
        ? 'the company was retired before the refresh ran'
        : `refresh failed (status ${this.state.status}${this.state.reason ? `, ${this.state.reason}` : ''}): ${this.state.lastError ?? 'unknown error'}`,
      nonRetryable: true,
      details: [this.statusResult()],
    });
  }

  private async reseed(input: ReseedInput): Promise<StatusResult> {
    await wf.condition(() => !this.refreshing && !this.reseeding);
    // Enrolment is update-with-start: a first enrolment, or a repeated one, reseeds with the set already held.
    if (wf.patched('reseed-with-held-set-is-a-no-op') && this.holds(input.tokens)) return this.statusResult();
    this.reseeding = true;
    try {
      const now = Date.now();
      Object.assign(this.state, {
        tokens: heldFromPlum(input.tokens, now),
        status: 'ACTIVE',
        consecutiveFailures: 0,
        outcomeUnknown: false,
        jitter: Math.random(),
        generation: this.state.generation + 1,
      } satisfies Partial<CompanyState>);
      delete this.state.reason;
      delete this.state.lastError;
      delete this.state.retryAt;
      this.userTokens.clear();
      await this.learnMissing();
      this.wakeForReseed = true;
      this.publish();
      return this.statusResult();
    } finally {
      this.reseeding = false;
    }
  }

  private holds(tokens: ReseedInput['tokens']): boolean {
    const held = this.state.tokens;
    return (
      this.state.status !== 'NEEDS_REAUTH' &&
      tokens.refresh_token === held.refreshToken &&
      (tokens.access_token === undefined || tokens.access_token === held.accessToken)
    );
  }

  /** Fills in what an enrolment or reseed left out: expiries through validate, or the whole set through a refresh. */
  private async learnMissing(): Promise<void> {
    const { accessToken, accessTokenExpiresAt } = this.state.tokens;
    if (accessToken === undefined) {
      this.state.refreshRequested = true;
      return;
    }
    if (accessTokenExpiresAt !== undefined) return;
    try {
      const validity = await this.activities.validateAccessToken.executeWithOptions(
        {
          startToCloseTimeout: this.config.activityStartToCloseMs,
          retry: { maximumAttempts: 3 },
          summary: 'learn token expiry',
        },
        [{ companyId: this.state.companyId, accessToken }],
      );
      this.state.tokens.accessTokenExpiresAt = validity.accessTokenExpiresAt;
      if (validity.refreshTokenExpiresAt !== undefined) {
        this.state.tokens.refreshTokenExpiresAt = validity.refreshTokenExpiresAt;
      }
    } catch (error) {
      wf.log.warn('could not learn the token expiry; refreshing instead', { error: failureMessage(error) });
      this.state.refreshRequested = true;
    }
  }

  private async attemptRefresh(): Promise<void> {
    await wf.condition(() => !this.reseeding);
    this.state.refreshRequested = false;
    this.attemptsStarted += 1;
    this.refreshing = true;
    if (this.state.status === 'ACTIVE') this.state.status = 'REFRESHING';
    this.publish();
    try {
      const tokens = await this.activities.refreshCompanyToken.executeWithOptions(
        {
          startToCloseTimeout: this.config.activityStartToCloseMs,
          heartbeatTimeout: this.config.activityHeartbeatTimeoutMs,
          retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 3 },
          summary: `refresh company token (generation ${this.state.generation + 1})`,
        },
        [{ companyId: this.state.companyId, refreshToken: this.state.tokens.refreshToken }],
      );
      this.applyRefreshed(tokens);
    } catch (error) {
      this.onRefreshFailure(error);
    } finally {
      this.refreshing = false;
      this.attemptsCompleted += 1;
      this.publish();
    }
  }

  private applyRefreshed(tokens: TokenSet): void {
    const now = Date.now();
    this.state.tokens = {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      tokenType: tokens.tokenType,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      obtainedAt: now,
      ...(tokens.refreshTokenExpiresAt !== undefined && { refreshTokenExpiresAt: tokens.refreshTokenExpiresAt }),
    };
    Object.assign(this.state, {
      status: 'ACTIVE',
      generation: this.state.generation + 1,
      upstreamRefreshes: this.state.upstreamRefreshes + 1,
      lastRefreshAt: now,
      consecutiveFailures: 0,
      outcomeUnknown: false,
      jitter: Math.random(),
    } satisfies Partial<CompanyState>);
    delete this.state.reason;
    delete this.state.lastError;
    delete this.state.retryAt;
    wf.log.info('token set refreshed', { generation: this.state.generation });
  }

  private onRefreshFailure(error: unknown): void {
    const cause = error instanceof ActivityFailure ? error.cause : error;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    const details = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as
      PlumFailureDetails | undefined;
    const now = Date.now();
    this.state.consecutiveFailures += 1;
    this.state.lastError = failureMessage(error);
    wf.log.warn('refresh failed', {
      type: type ?? (cause instanceof Error ? cause.name : 'unknown'),
      failures: this.state.consecutiveFailures,
    });

    if (type === FAILURE_TYPES.rejected) {
      const reason = (details?.reason ?? 'BAD_REQUEST') as StatusReason;
      const lost =
        (this.state.outcomeUnknown || details?.afterUnknownOutcome === true) && SPENT_TOKEN_REASONS.has(reason);
      this.needsReauth(lost ? 'LOST_IN_FLIGHT' : reason);
      return;
    }
    if (type === FAILURE_TYPES.rateLimited) {
      this.degrade(now + (details?.retryAfterMs ?? 60_000));
      return;
    }
    if (type === FAILURE_TYPES.noCredentials) {
      this.degrade(now + this.config.noCredentialsRetryMs, 'NO_CREDENTIALS');
      return;
    }
    if (type === FAILURE_TYPES.unknown || cause instanceof TimeoutFailure || details?.afterUnknownOutcome) {
      // The refresh token may have been spent: retry once soon with the same token (works under the grace reading).
      this.state.outcomeUnknown = true;
      this.degrade(now + this.config.backoffInitialMs);
      return;
    }
    this.degrade(
      now + backoffMs(this.state.consecutiveFailures, this.config.backoffInitialMs, this.config.backoffMaxMs),
    );
  }

  private degrade(retryAt: number, reason?: StatusReason): void {
    const now = Date.now();
    const { refreshTokenExpiresAt } = this.state.tokens;
    if (refreshTokenExpiresAt !== undefined && now >= refreshTokenExpiresAt) {
      this.needsReauth('REFRESH_TOKEN_EXPIRED');
      return;
    }
    this.state.status = this.accessTokenUsable(now) ? 'DEGRADED' : 'EXPIRED';
    this.state.retryAt = retryAt;
    if (reason) this.state.reason = reason;
    else delete this.state.reason;
  }

  private needsReauth(reason: StatusReason): void {
    this.state.status = 'NEEDS_REAUTH';
    this.state.reason = reason;
    this.state.refreshRequested = false;
    delete this.state.retryAt;
    wf.log.error('company needs re-authorisation in the Plum dashboard', { reason });
  }

  private markExpiredIfDue(): void {
    if (this.state.status === 'DEGRADED' && !this.accessTokenUsable(Date.now())) this.state.status = 'EXPIRED';
  }

  private accessTokenUsable(now: number): boolean {
    const { accessToken, accessTokenExpiresAt } = this.state.tokens;
    return accessToken !== undefined && (accessTokenExpiresAt === undefined || now < accessTokenExpiresAt);
  }

  private scheduledDueAt(): number {
    const { tokens, jitter, policyOverrides } = this.state;
    return dueAt({
      obtainedAt: tokens.obtainedAt,
      ...(tokens.accessTokenExpiresAt !== undefined && { accessTokenExpiresAt: tokens.accessTokenExpiresAt }),
      ...(tokens.refreshTokenExpiresAt !== undefined && { refreshTokenExpiresAt: tokens.refreshTokenExpiresAt }),
      policy: mergedPolicy(this.config.policy, policyOverrides),
      random: jitter,
    });
  }

  /** When the next refresh attempt is due, or undefined when none will run until a person acts. */
  private nextRefreshAt(): number | undefined {
    if (this.state.status === 'NEEDS_REAUTH' || this.state.status === 'RETIRED') return undefined;
    return this.state.retryAt ?? this.scheduledDueAt();
  }

  private refreshDue(): boolean {
    const next = this.nextRefreshAt();
    return next !== undefined && Date.now() >= next;
  }

  private nextWakeAt(): number | undefined {
    const next = this.nextRefreshAt();
    const expiry = this.state.tokens.accessTokenExpiresAt;
    if (this.state.status === 'DEGRADED' && expiry !== undefined && (next === undefined || expiry < next))
      return expiry;
    return next;
  }

  private timerSummary(): string {
    if (this.state.retryAt !== undefined) return `retry refresh (${this.state.status})`;
    return 'next scheduled refresh';
  }

  private shouldContinueAsNew(): boolean {
    const info = wf.workflowInfo();
    return info.continueAsNewSuggested || info.historyLength >= this.config.maxHistoryEvents;
  }

  private continueAsNew(): Promise<never> {
    this.state.userTokens = [...this.userTokens.entries()];
    return wf.continueAsNew<typeof companyTokenWorkflow>({
      companyId: this.state.companyId,
      tokens: { refresh_token: this.state.tokens.refreshToken },
      policy: this.state.policyOverrides,
      carried: this.state,
    });
  }

  private accessToken(): AccessTokenResult {
    const { accessToken, accessTokenExpiresAt } = this.state.tokens;
    const { companyId, status, reason } = this.state;
    const why = `status ${status}${reason ? `, reason ${reason}` : ''}`;
    if (accessToken === undefined) throw queryFailure(`company ${companyId} has no access token yet (${why})`);
    if (!this.accessTokenUsable(Date.now())) {
      throw queryFailure(`the access token of company ${companyId} has expired (${why})`);
    }
    if (status === 'NEEDS_REAUTH' && reason === 'TOKEN_KILLED') {
      throw queryFailure(`the access token of company ${companyId} was revoked upstream (${why})`);
    }
    const nextRefreshAt = this.settings ? this.nextRefreshAt() : undefined;
    return {
      accessToken,
      expiresAt: accessTokenExpiresAt ?? 0,
      status,
      ...(nextRefreshAt !== undefined && { nextRefreshAt }),
    };
  }

  private userTokenFresh(token: CachedUserToken): boolean {
    const lead = leadFor(
      token.expiresAt - token.obtainedAt,
      mergedPolicy(this.config.policy, this.state.policyOverrides),
    );
    return Date.now() < token.expiresAt - lead;
  }

  private async userToken(request: UserTokenRequest): Promise<UserTokenResult> {
    const email = request.email.toLowerCase();
    const scope = request.scope ?? DEFAULT_USER_SCOPE;
    const key = userTokenKey(email, scope);
    const cached = this.userTokens.get(key);
    if (cached && this.userTokenFresh(cached)) {
      this.userTokens.delete(key);
      this.userTokens.set(key, cached);
      return toUserResult(cached);
    }
    const inFlight = this.userFlights.get(key);
    if (inFlight) return inFlight;
    const flight = this.exchangeUserToken(email, scope, key);
    this.userFlights.set(key, flight);
    try {
      return await flight;
    } finally {
      this.userFlights.delete(key);
    }
  }

  private async exchangeUserToken(email: string, scope: string, key: string): Promise<UserTokenResult> {
    for (let round = 0; ; round++) {
      await wf.condition(() => !this.refreshing && !this.reseeding);
      const companyAccessToken = this.state.tokens.accessToken;
      if (!companyAccessToken || !this.accessTokenUsable(Date.now())) {
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.noValidToken,
          message: `company ${this.state.companyId} has no valid access token (status ${this.state.status})`,
          nonRetryable: true,
        });
      }
      try {
        const set = await this.activities.createUserToken.executeWithOptions(
          {
            startToCloseTimeout: this.config.activityStartToCloseMs,
            retry: { maximumAttempts: 3 },
            summary: `user token (${scope})`,
          },
          [{ companyId: this.state.companyId, companyAccessToken, email, scope }],
        );
        const entry: CachedUserToken = {
          email,
          scope,
          accessToken: set.accessToken,
          tokenType: set.tokenType,
          expiresAt: set.accessTokenExpiresAt,
          obtainedAt: Date.now(),
        };
        this.userTokens.delete(key);
        this.userTokens.set(key, entry);
        while (this.userTokens.size > this.config.userTokenCacheSize) {
          const oldest = this.userTokens.keys().next().value;
          if (oldest === undefined) break;
          this.userTokens.delete(oldest);
        }
        return toUserResult(entry);
      } catch (error) {
        const cause = error instanceof ActivityFailure ? error.cause : error;
        const details = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as
          PlumFailureDetails | undefined;
        const companyTokenDied = details?.outcome === 'rejected' && SPENT_TOKEN_REASONS.has(details.reason ?? '');
        if (companyTokenDied && round === 0 && this.state.status !== 'NEEDS_REAUTH') {
          wf.log.warn('user-token exchange says the company token died; refreshing it first');
          const generationBefore = this.state.generation;
          const attempt = this.requestRefresh();
          await wf.condition(() => this.attemptsCompleted >= attempt || this.retired);
          if (this.state.generation > generationBefore) continue;
        }
        throw ApplicationFailure.create({
          type: FAILURE_TYPES.userTokenFailed,
          message: `user-token exchange failed: ${failureMessage(error)}`,
          nonRetryable: true,
          details: details ? [details] : [],
        });
      }
    }
  }

  private publish(): void {
    const status = this.statusResult();
    const fingerprint = JSON.stringify([
      status.status,
      status.reason,
      status.accessTokenExpiresAt,
      status.nextRefreshAt,
      status.lastError,
    ]);
    if (fingerprint === this.published) return;
    const firstPublish = this.published === '';
    this.published = fingerprint;
    wf.upsertSearchAttributes([
      ...(firstPublish ? [{ key: companyIdKey, value: this.state.companyId }] : []),
      { key: tokenStatusKey, value: status.status },
      {
        key: accessTokenExpiresAtKey,
        value: status.accessTokenExpiresAt !== undefined ? new Date(status.accessTokenExpiresAt) : null,
      },
      { key: nextRefreshAtKey, value: status.nextRefreshAt !== undefined ? new Date(status.nextRefreshAt) : null },
    ]);
    wf.setCurrentDetails(formatDetails(status));
  }

  private statusResult(): StatusResult {
    const { state } = this;
    const nextRefreshAt = this.retired || !this.settings ? undefined : this.nextRefreshAt();
    return {
      companyId: state.companyId,
      status: state.status,
      generation: state.generation,
      upstreamRefreshes: state.upstreamRefreshes,
      consecutiveFailures: state.consecutiveFailures,
      cachedUserTokens: this.userTokens.size,
      ...(state.reason !== undefined && { reason: state.reason }),
      ...(state.tokens.accessTokenExpiresAt !== undefined && {
        accessTokenExpiresAt: state.tokens.accessTokenExpiresAt,
      }),
      ...(state.tokens.refreshTokenExpiresAt !== undefined && {
        refreshTokenExpiresAt: state.tokens.refreshTokenExpiresAt,
      }),
      ...(nextRefreshAt !== undefined && { nextRefreshAt }),
      ...(state.lastRefreshAt !== undefined && { lastRefreshAt: state.lastRefreshAt }),
      ...(state.lastError !== undefined && { lastError: state.lastError }),
    };
  }
}

function toUserResult(token: CachedUserToken): UserTokenResult {
  return { email: token.email, scope: token.scope, accessToken: token.accessToken, expiresAt: token.expiresAt };
}

/** The message of a failure, from the deepest cause that has one; Plum messages never hold secrets. */
function failureMessage(error: unknown): string {
  let current: unknown = error;
  let message = 'unknown error';
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current.message) message = current.message;
    current = (current as { cause?: unknown }).cause;
  }
  return message.slice(0, 500);
}
