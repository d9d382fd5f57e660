import * as wf from '@temporalio/workflow';
import type {
  AccessTokenResult,
  RefreshedToken,
  RefreshNowInput,
  ReseedInput,
  SchedulePolicy,
  StatusResult,
  UserTokenRequest,
  UserTokenResult,
  WorkerSettings,
  PlumActivities,
} from '../contract';
import { DEFAULT_USER_SCOPE } from '../contract';
import {
  classifyRefreshFailure,
  failureKind,
  needsReauthFailure,
  refreshFailure,
  retiredFailure,
  savedReplyOf,
  staleTokensFailure,
} from './workflow-failures';
import { learnMissing } from './learn-missing';
import type { TokenLeak } from './leaked-tokens';
import { rotateLeakedTokens } from './leaked-tokens';
import { settleReseed } from './reseed-fallback';
import { countLostInFlight, countRotation, countStatusChange } from './metrics';
import { StatusPublisher, statusOf } from './publication';
import { StatusAlerts } from './status-alerts';
import { accessTokenAnswer } from './token-answer';
import type { RefreshOutcome } from './refresh-machine';
import { accessTokenUsable, afterRefresh, alreadySpent, markExpiredIfDue, startAttempt } from './refresh-machine';
import { nextRefreshAt, nextWakeAt } from './schedule';
import type { CompanyState } from './state';
import { mergedPolicy } from './state';
import type { CompanyTokenSource } from './user-tokens';
import { UserTokenCache } from './user-tokens';

/**
 * One company's token set and everything that acts on it: rotations, reseeds, user tokens and what they publish.
 * The main loop (`company-token-workflow.ts`) decides when; this class does.
 */
export class CompanyKeeper implements CompanyTokenSource {
  readonly userTokens: UserTokenCache;
  private readonly activities = wf.proxyActivities<PlumActivities>({ startToCloseTimeout: '1 minute' });
  private readonly publisher = new StatusPublisher();
  private publishedStatus: string | undefined;
  /** Status alerts in delivery; a run carries the undelivered ones into the next. */
  readonly alerts = new StatusAlerts();
  /** Loaded by the first local activity; handlers that need it wait for it. */
  private settings: WorkerSettings | undefined;
  private attemptsStarted = 0;
  private attemptsCompleted = 0;
  private refreshing = false;
  /** A reseed is installing a set: refresh attempts wait for it (`reseed.ts`). */
  reseeding = false;
  retired = false;
  /** A reseed installed a new set: the loop recomputes its wake time. */
  wakeForReseed = false;
  /** This run has looked for a newer set in the run a Reset replaced (`reset-recovery.ts`). */
  resetChecked = false;
  /** Start-up is over; handlers that act on the set wait for it. */
  started = false;
  /** Why Plum refused a reseeded set, by the generation the reseed installed it as. */
  readonly reseedRefusals = new Map<number, string>();

  constructor(public state: CompanyState) {
    this.userTokens = new UserTokenCache(state.userTokens);
  }

  get companyId(): string {
    return this.state.companyId;
  }

  get config(): WorkerSettings {
    if (!this.settings) throw new Error('worker settings are not loaded yet');
    return this.settings;
  }

  load(settings: WorkerSettings): void {
    this.settings = settings;
  }

  /** Resolves once the run has started up: settings loaded and, after a Reset, the newest set recovered. */
  ready(): Promise<void> {
    return wf.condition(() => this.settings !== undefined && this.started);
  }

  idle(): Promise<void> {
    return wf.condition(() => !this.refreshing && !this.reseeding);
  }

  /** No alert is still being delivered (a run waits for them before it continues as new). */
  alertsDelivered(): boolean {
    return this.alerts.delivered();
  }

  get policy(): SchedulePolicy {
    return mergedPolicy(this.config.policy, this.state.policyOverrides);
  }

  /** Refuses requests that need a refreshable company. */
  assertRefreshable(): void {
    if (this.retired) throw retiredFailure();
    if (this.state.status === 'NEEDS_REAUTH') throw needsReauthFailure(this.state.companyId, this.state.reason);
  }

  /** Asks the loop for a refresh; returns the number of the attempt that will serve this request. */
  requestRefresh(reason?: string): number {
    if (reason !== undefined) this.state = { ...this.state, lastRotationRequest: { reason, at: Date.now() } };
    if (this.refreshing) return this.attemptsStarted;
    this.state.refreshRequested = true;
    return this.attemptsStarted + 1;
  }

  /** Asks for a rotation and waits for the attempt that serves it; true when that produced a new set. */
  async refreshAndWait(reason?: string): Promise<boolean> {
    if (this.state.status === 'NEEDS_REAUTH') return false;
    const generationBefore = this.state.generation;
    const attempt = this.requestRefresh(reason);
    await wf.condition(() => this.attemptsCompleted >= attempt || this.retired);
    return this.state.generation > generationBefore;
  }

  async refreshNow(input: RefreshNowInput | undefined): Promise<RefreshedToken> {
    const reason = input?.reason ?? 'refreshNow';
    wf.log.info('refreshNow received', { reason });
    const newer = this.newerThan(input?.seenExpiresAt);
    if (newer) return newer;
    const rotated = await this.refreshAndWait(reason);
    const { accessToken, accessTokenExpiresAt } = this.state.tokens;
    if (rotated && accessToken && accessTokenExpiresAt !== undefined)
      return { accessToken, expiresAt: accessTokenExpiresAt };
    throw refreshFailure(this.retired, this.statusResult());
  }

  /** The held access token when it is usable and expires after `seenExpiresAt`: newer than the one a caller saw. */
  private newerThan(seenExpiresAt: number | undefined): RefreshedToken | undefined {
    const { accessToken, accessTokenExpiresAt: expiresAt } = this.state.tokens;
    const newer = seenExpiresAt !== undefined && expiresAt !== undefined && expiresAt > seenExpiresAt;
    return newer && accessToken !== undefined && Date.now() < expiresAt ? { accessToken, expiresAt } : undefined;
  }

  /** Rotates a set that is readable in history, so the leaked refresh token dies. */
  rotateLeaked(leak: TokenLeak): void {
    this.state = rotateLeakedTokens(this.state, leak, Date.now());
  }

  /** Fills in what an enrolment or reseed left out: expiries through validate, or the whole set through a refresh. */
  learnMissing(): Promise<void> {
    return learnMissing(this.state, this.config.activityStartToCloseMs);
  }

  /** Refuses a set whose refresh token this keeper already spent: installing it would lock the company out. */
  assertNotStale(tokens: ReseedInput['tokens']): void {
    if (alreadySpent(this.state, tokens.refresh_token)) throw staleTokensFailure(this.state.companyId);
  }

  /** One refresh attempt through the activity; its outcome moves the refresh machine. */
  async attemptRefresh(): Promise<void> {
    await wf.condition(() => !this.reseeding);
    this.state = startAttempt(this.state);
    this.attemptsStarted += 1;
    this.refreshing = true;
    this.publish();
    let outcome: RefreshOutcome;
    try {
      const tokens = await this.activities.refreshCompanyToken.executeWithOptions(
        {
          startToCloseTimeout: this.config.activityStartToCloseMs,
          heartbeatTimeout: this.config.activityHeartbeatTimeoutMs,
          retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 3 },
          summary: `refresh: rotation ${this.state.generation + 1}`,
        },
        [{ companyId: this.state.companyId, refreshToken: this.state.tokens.refreshToken }],
      );
      outcome = { kind: 'refreshed', tokens };
    } catch (error) {
      // Plum answered and the set was heartbeated, but no attempt's completion reached the server: use that set.
      const saved = savedReplyOf(error);
      outcome = saved ? { kind: 'refreshed', tokens: saved } : classifyRefreshFailure(error);
      if (saved) wf.log.warn('refresh timed out after Plum answered; taking the saved reply');
      else wf.log.warn('refresh failed', { type: failureKind(error), failures: this.state.consecutiveFailures + 1 });
    }
    const reasonBefore = this.state.reason;
    const before = this.state;
    const now = Date.now();
    const settled = settleReseed(
      afterRefresh(before, outcome, { now, random: Math.random, timing: this.config }),
      outcome,
      now,
    );
    this.state = settled.state;
    if (settled.refused) {
      this.reseedRefusals.set(before.generation, this.state.lastError ?? 'Plum refused the reseeded set');
      wf.log.error('Plum refused the reseeded set; the set held before the reseed is kept', {
        generation: this.state.generation,
      });
    }
    if (outcome.kind === 'refreshed') {
      countRotation();
      wf.log.info('token set refreshed', { generation: this.state.generation });
    }
    if (this.state.reason === 'LOST_IN_FLIGHT' && reasonBefore !== 'LOST_IN_FLIGHT') countLostInFlight();
    if (this.state.status === 'NEEDS_REAUTH') {
      wf.log.error('company needs re-authorisation in the Plum dashboard', { reason: this.state.reason });
    }
    this.refreshing = false;
    this.attemptsCompleted += 1;
    this.publish();
  }

  markExpiredIfDue(): void {
    this.state = markExpiredIfDue(this.state, Date.now());
  }

  /** When the next refresh attempt is due, or undefined when none will run until a person acts. */
  nextRefreshAt(): number | undefined {
    return nextRefreshAt(this.state, this.policy);
  }

  refreshDue(): boolean {
    return Date.now() >= (this.nextRefreshAt() ?? Infinity);
  }

  nextWakeAt(): number | undefined {
    return nextWakeAt(this.state, this.policy);
  }

  usableAccessToken(): string | undefined {
    return accessTokenUsable(this.state.tokens, Date.now()) ? this.state.tokens.accessToken : undefined;
  }

  describeStatus(): string {
    return `status ${this.state.status}${this.state.reason ? `, ${this.state.reason}` : ''}`;
  }

  /** The `accessToken` query: a token, or why there is none. */
  accessToken(): AccessTokenResult {
    return accessTokenAnswer(this.state, {
      now: Date.now(),
      retired: this.retired,
      nextRefreshAt: this.settings ? this.nextRefreshAt() : undefined,
    });
  }

  cachedUserToken(request: UserTokenRequest): UserTokenResult | null {
    if (!this.settings) return null;
    return this.userTokens.fresh(request.email, request.scope ?? DEFAULT_USER_SCOPE, this.policy) ?? null;
  }

  userToken(request: UserTokenRequest): Promise<UserTokenResult> {
    return this.userTokens.get(this, request.email.toLowerCase(), request.scope ?? DEFAULT_USER_SCOPE, {
      policy: this.policy,
      activityStartToCloseMs: this.config.activityStartToCloseMs,
      cacheSize: this.config.userTokenCacheSize,
    });
  }

  /** Shows the status (search attributes, current details), counts a status change and alerts on a transition. */
  publish(): void {
    const status = this.statusResult();
    this.publisher.publish(status);
    if (status.status !== this.publishedStatus) {
      this.publishedStatus = status.status;
      countStatusChange(status.status);
    }
    const webhook = this.settings?.alertWebhook === true;
    const alerted = this.alerts.observe(status, this.state.alerted, webhook);
    if (alerted !== this.state.alerted) this.state = { ...this.state, alerted };
  }

  statusResult(): StatusResult {
    const nextRefreshAt = this.retired || !this.settings ? undefined : this.nextRefreshAt();
    return statusOf(this.state, nextRefreshAt, this.userTokens.size);
  }
}
