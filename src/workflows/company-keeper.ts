import * as wf from '@temporalio/workflow';
import type {
  CompanyTokenInput,
  RefreshedToken,
  RefreshNowInput,
  StatusResult,
  UserTokenRequest,
  UserTokenResult,
  WorkerSettings,
} from '../contract';
import { DEFAULT_USER_SCOPE, RETIRE_ALERT_GRACE_MS } from '../contract';
import type { KeeperAnswers, KeeperInbox, KeeperRequest } from './handlers';
import { KeeperCell } from './keeper-cell';
import type { KeeperView } from './keeper-view';
import { answerStatus } from './keeper-view';
import { learnWhatIsMissing } from './learn-missing';
import type { TokenLeak } from './leaked-tokens';
import { rotateLeakedTokens } from './leaked-tokens';
import { countStatusChange } from './metrics';
import { StatusPublisher } from './publication';
import { reseed } from './reseed';
import { recoverAfterReset } from './reset-recovery';
import { nextRefreshAt, nextWakeAt } from './schedule';
import type { CompanyState } from './state';
import { accessTokenUsable, awaitingTokens } from './state';
import { StatusAlerts } from './status-alerts';
import { markExpiredIfDue, retire } from './transitions';
import type { CompanyTokenSource } from './user-tokens';
import { UserTokenCache } from './user-tokens';
import type { RunVersion } from './versioning';
import { refreshFailure } from './workflow-failures';

/**
 * One company's token set and everything that acts on it. Messages reach it through its one door (`receive`), the
 * main loop (`company-token-workflow.ts`) through the steps below; its state and phase live in a {@link KeeperCell},
 * which its steps receive instead of the keeper.
 */
export class CompanyKeeper implements KeeperInbox, CompanyTokenSource {
  /** The cell the loop's steps (`attemptRefresh`, `holdOffRefresh`) work on. */
  readonly cell: KeeperCell;
  private readonly userTokens: UserTokenCache;
  private readonly alerts = new StatusAlerts();
  private readonly publisher = new StatusPublisher();
  private publishedStatus: string | undefined;

  constructor(
    state: CompanyState,
    private readonly version: RunVersion,
  ) {
    this.cell = new KeeperCell(state);
    this.cell.onPublish(() => this.publish());
    this.userTokens = new UserTokenCache(state.userTokens);
  }

  get companyId(): string {
    return this.cell.state.companyId;
  }

  view(): KeeperView {
    const { cell } = this;
    return {
      state: cell.state,
      phase: cell.phase,
      policy: cell.loaded ? cell.policy : undefined,
      userTokens: this.userTokens,
      version: this.version.describe(),
    };
  }

  receive<K extends KeeperRequest['kind']>(
    request: Extract<KeeperRequest, { kind: K }>,
  ): Promise<KeeperAnswers[K]> | KeeperAnswers[K] {
    return this.dispatch(request) as Promise<KeeperAnswers[K]> | KeeperAnswers[K];
  }

  private dispatch(request: KeeperRequest): Promise<unknown> | undefined {
    const { cell } = this;
    switch (request.kind) {
      case 'refreshNow':
        return cell.started().then(() => this.refreshNow(request.input));
      case 'userToken':
        return cell.started().then(() => this.userToken(request.request));
      case 'reseed':
        return cell.started().then(() => reseed(cell, request.input, this.reseedAnswer));
      case 'forceRefresh':
        if (cell.retired || cell.state.status === 'NEEDS_REAUTH') {
          wf.log.warn('forceRefresh ignored', { status: cell.state.status, reason: cell.state.reason });
        } else {
          wf.log.info('forceRefresh received', { reason: request.reason });
          this.requestRefresh(request.reason);
        }
        return undefined;
      case 'retire':
        wf.log.info('retire received', { reason: request.reason });
        if (!cell.retired) cell.enter('retired');
        return undefined;
      case 'wake':
        cell.requestWake();
        return undefined;
      case 'ignoredSignal':
        wf.log.error(request.message);
        cell.set({ ...cell.state, lastError: request.message });
        cell.publish();
        return undefined;
    }
  }

  private readonly reseedAnswer = {
    userTokens: { clear: () => this.userTokens.clear() },
    status: () => this.statusResult(),
  };

  /**
   * Start-up: the worker's settings, undelivered alerts a previous run carried, a Reset's recovery, then the entry
   * path: wait for the enrolling reseed, rotate a set readable in history, or learn what a first set lacks.
   */
  async startUp(settings: WorkerSettings, entry: { carried: boolean; leak: TokenLeak | undefined }): Promise<void> {
    const { cell } = this;
    cell.load(settings);
    const { pendingAlerts = [], ...rest } = cell.state;
    for (const alert of pendingAlerts) this.alerts.send(alert);
    cell.set(rest);
    await recoverAfterReset(cell);
    if (cell.phase === 'starting') cell.enter('idle');
    if (awaitingTokens(cell.state)) {
      await wf.condition(() => !awaitingTokens(cell.state) || cell.retired);
    } else if (entry.leak) {
      cell.set(rotateLeakedTokens(cell.state, entry.leak, Date.now()));
    } else if (!entry.carried) {
      await learnWhatIsMissing(cell);
    }
  }

  /** Asks the loop for a refresh; returns the number of the attempt that will serve this request. */
  private requestRefresh(reason?: string): number {
    const { cell } = this;
    if (reason !== undefined) cell.set({ ...cell.state, lastRotationRequest: { reason, at: Date.now() } });
    if (cell.phase === 'refreshing') return cell.attempts.started;
    cell.set({ ...cell.state, refreshRequested: true });
    return cell.attempts.started + 1;
  }

  /** Asks for a rotation and waits for the attempt that serves it; true when that produced a new set. */
  async refreshAndWait(reason?: string): Promise<boolean> {
    const { cell } = this;
    if (cell.state.status === 'NEEDS_REAUTH') return false;
    const generationBefore = cell.state.generation;
    const attempt = this.requestRefresh(reason);
    await wf.condition(() => cell.attempts.completed >= attempt || cell.retired);
    return cell.state.generation > generationBefore;
  }

  private async refreshNow(input: RefreshNowInput | undefined): Promise<RefreshedToken> {
    const reason = input?.reason ?? 'refreshNow';
    wf.log.info('refreshNow received', { reason });
    const { accessToken, accessTokenExpiresAt: expiresAt } = this.cell.state.tokens;
    const seen = input?.seenExpiresAt;
    const newer = seen !== undefined && expiresAt !== undefined && expiresAt > seen && Date.now() < expiresAt;
    if (newer && accessToken !== undefined) return { accessToken, expiresAt };
    const rotated = await this.refreshAndWait(reason);
    const after = this.cell.state.tokens;
    if (rotated && after.accessToken && after.accessTokenExpiresAt !== undefined) {
      return { accessToken: after.accessToken, expiresAt: after.accessTokenExpiresAt };
    }
    throw refreshFailure(this.cell.retired, this.statusResult());
  }

  private userToken(request: UserTokenRequest): Promise<UserTokenResult> {
    const { config, policy } = this.cell;
    return this.userTokens.get(this, request.email.toLowerCase(), request.scope ?? DEFAULT_USER_SCOPE, {
      policy,
      activityStartToCloseMs: config.activityStartToCloseMs,
      cacheSize: config.userTokenCacheSize,
    });
  }

  idle(): Promise<void> {
    return this.cell.idle();
  }

  usableAccessToken(): string | undefined {
    const { tokens } = this.cell.state;
    return accessTokenUsable(tokens, Date.now()) ? tokens.accessToken : undefined;
  }

  describeStatus(): string {
    const { status, reason } = this.cell.state;
    return `status ${status}${reason ? `, ${reason}` : ''}`;
  }

  markExpiredIfDue(): void {
    this.cell.set(markExpiredIfDue(this.cell.state, Date.now()));
  }

  /** Whether a refresh is asked for or due now (never for a company a person must re-authorise). */
  refreshDue(): boolean {
    const { state, policy } = this.cell;
    if (state.status === 'NEEDS_REAUTH') return false;
    return state.refreshRequested || Date.now() >= (nextRefreshAt(state, policy) ?? Infinity);
  }

  nextWakeAt(): number | undefined {
    return nextWakeAt(this.cell.state, this.cell.policy);
  }

  /** The run ends: `RETIRED` once every handler finished; alerts get a grace to be delivered. */
  async retire(): Promise<StatusResult> {
    await wf.condition(wf.allHandlersFinished);
    this.cell.set(retire(this.cell.state));
    this.publish();
    const delivered = await wf.condition(() => this.alerts.delivered(), RETIRE_ALERT_GRACE_MS);
    if (!delivered)
      wf.log.error('retired with status alerts undelivered', { alerts: this.alerts.undelivered().length });
    return this.statusResult();
  }

  /** The next run's input: the state, the user-token cache and the alerts not yet delivered (never held back). */
  continuedInput(): CompanyTokenInput {
    const pendingAlerts = this.alerts.undelivered();
    const carried: CompanyState = {
      ...this.cell.state,
      userTokens: this.userTokens.snapshot(),
      ...(pendingAlerts.length > 0 && { pendingAlerts }),
    };
    return {
      companyId: carried.companyId,
      tokens: { refresh_token: carried.tokens.refreshToken },
      policy: carried.policyOverrides,
      carried,
    };
  }

  /** Shows the status (search attributes, current details), counts a status change and alerts on a transition. */
  publish(): void {
    const status = this.statusResult();
    this.publisher.publish(status);
    if (status.status !== this.publishedStatus) {
      this.publishedStatus = status.status;
      countStatusChange(status.status);
    }
    const { cell } = this;
    const alerted = this.alerts.observe(status, cell.state.alerted, cell.loaded && cell.config.alertWebhook === true);
    if (alerted !== cell.state.alerted) cell.set({ ...cell.state, alerted });
  }

  statusResult(): StatusResult {
    return answerStatus(this.view());
  }
}
