import { ApplicationFailure } from '@temporalio/common';
import { Context } from '@temporalio/activity';
import type { PlumClient } from '../plum/client';
import type { AlertWebhook } from './alert-webhook';
import type { CredentialSource } from './credentials';
import type { UpstreamRecorder } from './upstream-metrics';
import { measured } from './upstream-metrics';
import { toFailure } from './plum-failure';
import { newestHeldSet } from './reset-recovery';
import { stallWatchFor } from './stall-watch';
import { FAILURE_TYPES } from '../contract';
import type {
  PlumActivities,
  RefreshInput,
  TokenSet,
  StatusAlert,
  TokenValidity,
  UserTokenInput,
  ValidateInput,
  WorkerSettings,
} from '../contract';

/**
 * Heartbeat details of the refresh activity: the set once Plum has answered, or, from an attempt that did not send,
 * whether the outcome was already unknown when it began (so the next attempt knows what came before it).
 */
type RefreshHeartbeat = { tokens: TokenSet } | { tokens?: undefined; unknownOutcome: boolean };

export interface ActivityDeps {
  plum: PlumClient;
  credentials: CredentialSource;
  settings: WorkerSettings;
  /** Where status alerts go (`PLUM_ALERT_WEBHOOK_URL`); without it the workflows send none. */
  alerts?: AlertWebhook;
  /** Where Plum calls are counted and timed (the worker's metrics). */
  metrics?: UpstreamRecorder;
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

/** Builds the activities around one Plum client and one credential source. */
export function createActivities({ plum, credentials, settings, alerts, metrics }: ActivityDeps): PlumActivities {
  const stalls = stallWatchFor(settings.activityHeartbeatTimeoutMs / 2);
  return {
    /**
     * Spends the refresh token. The new set is heartbeated the moment it is parsed, so an attempt retried after a
     * worker crash returns it instead of spending the (now dead) refresh token again.
     */
    async refreshCompanyToken(input: RefreshInput): Promise<TokenSet> {
      const context = Context.current();
      const saved = context.info.heartbeatDetails as RefreshHeartbeat | undefined;
      if (saved?.tokens) return saved.tokens;
      const found = credentials.forCompany(input.companyId);
      if (!found) {
        throw ApplicationFailure.create({
          message: `no Plum API credentials for company ${input.companyId}: add it to PLUM_CREDENTIALS_FILE or set PLUM_CLIENT_ID/PLUM_CLIENT_SECRET`,
          type: FAILURE_TYPES.noCredentials,
          nonRetryable: true,
        });
      }
      // A retried attempt without saved tokens follows one that died mid-call, unless that one never sent.
      const afterUnknownOutcome = saved?.unknownOutcome ?? context.info.attempt > 1;
      if (stalls.resumedSince(context.info.currentAttemptScheduledTimestampMs)) {
        context.heartbeat({ unknownOutcome: afterUnknownOutcome } satisfies RefreshHeartbeat);
        throw ApplicationFailure.create({
          message:
            'this worker stopped running after the refresh attempt was handed to it (a paused process or VM): not sent, since Temporal has likely given the attempt to another worker',
          type: FAILURE_TYPES.notSent,
        });
      }
      try {
        // Never aborted by cancellation (a worker shutting down): once sent, Plum may rotate the set, and the reply
        // must reach the heartbeat. The HTTP timeout bounds the call; the worker's grace time outlasts it.
        const tokens = await measured(metrics, 'refresh', () => plum.refresh(input.refreshToken, found));
        context.heartbeat({ tokens } satisfies RefreshHeartbeat);
        return tokens;
      } catch (error) {
        throw toFailure(error, afterUnknownOutcome);
      }
    },

    /** Exchanges the company token for a user-scoped token set. */
    async createUserToken(input: UserTokenInput): Promise<TokenSet> {
      try {
        const signal = cancellationSignal();
        return await measured(metrics, 'user_token', () =>
          plum.createUserToken(
            input.companyAccessToken,
            { email: input.email, scope: input.scope },
            signal ? { signal } : {},
          ),
        );
      } catch (error) {
        throw toFailure(error);
      }
    },

    /** Learns the expiries of an access token enrolled without them. */
    async validateAccessToken(input: ValidateInput): Promise<TokenValidity> {
      try {
        const signal = cancellationSignal();
        return await measured(metrics, 'validate', () => plum.validate(input.accessToken, signal ? { signal } : {}));
      } catch (error) {
        throw toFailure(error);
      }
    },

    newestHeldSet,

    /** Posts a status alert; a receiver that does not take it fails the attempt, and the workflow's policy retries. */
    async sendStatusAlert(alert: StatusAlert): Promise<void> {
      if (!alerts) {
        throw ApplicationFailure.create({
          message: 'this worker has no PLUM_ALERT_WEBHOOK_URL (set it on every worker of the task queue)',
          type: 'AlertWebhookMissing',
        });
      }
      await alerts.send(alert);
    },

    /** The worker's settings, read by each workflow run as a local activity. */
    async workerSettings(): Promise<WorkerSettings> {
      return settings;
    },
  };
}
