import * as wf from '@temporalio/workflow';
import type { StatusResult } from '../contract';
import { accessTokenExpiresAtKey, companyIdKey, nextRefreshAtKey, tokenStatusKey } from '../contract';
import type { CompanyState } from './state';

/** The `status` query's answer for `state`; never a secret. */
export function statusOf(
  state: CompanyState,
  nextRefreshAt: number | undefined,
  cachedUserTokens: number,
): StatusResult {
  const { tokens } = state;
  return {
    companyId: state.companyId,
    status: state.status,
    generation: state.generation,
    upstreamRefreshes: state.upstreamRefreshes,
    consecutiveFailures: state.consecutiveFailures,
    cachedUserTokens,
    ...(state.reason !== undefined && { reason: state.reason }),
    ...(tokens.accessTokenExpiresAt !== undefined && { accessTokenExpiresAt: tokens.accessTokenExpiresAt }),
    ...(tokens.refreshTokenExpiresAt !== undefined && { refreshTokenExpiresAt: tokens.refreshTokenExpiresAt }),
    ...(nextRefreshAt !== undefined && { nextRefreshAt }),
    ...(state.lastRefreshAt !== undefined && { lastRefreshAt: state.lastRefreshAt }),
    ...(state.lastError !== undefined && { lastError: state.lastError }),
    ...(state.tokensArrivedUnencryptedAt !== undefined && {
      tokensArrivedUnencryptedAt: state.tokensArrivedUnencryptedAt,
    }),
    ...(state.tokensArrivedUnsealedAt !== undefined && { tokensArrivedUnsealedAt: state.tokensArrivedUnsealedAt }),
    ...(state.fallbackTokens !== undefined && { reseedUnproven: true as const }),
    ...(state.lastRotationRequest !== undefined && { lastRotationRequest: state.lastRotationRequest }),
    ...(state.rotationHeld !== undefined && { rotationHeld: state.rotationHeld }),
    ...(state.penaltyUntil !== undefined && { penaltyUntil: state.penaltyUntil }),
  };
}

const iso = (ms: number | undefined): string => (ms === undefined ? '—' : new Date(ms).toISOString());

/** The markdown shown as the workflow's current details in the Temporal UI; never a secret. */
export function formatDetails(status: StatusResult): string {
  return [
    `**Status:** ${status.status}${status.reason ? ` (${status.reason})` : ''}`,
    `**Access token expires:** ${iso(status.accessTokenExpiresAt)}`,
    `**Refresh token expires:** ${iso(status.refreshTokenExpiresAt)}`,
    `**Next refresh:** ${iso(status.nextRefreshAt)}`,
    `**Last refresh:** ${iso(status.lastRefreshAt)} · generation ${status.generation} · failures ${status.consecutiveFailures}`,
    ...(status.lastError ? [`**Last error:** ${status.lastError}`] : []),
    ...(status.rotationHeld ? [`**Rotation held:** ${status.rotationHeld}`] : []),
    ...(status.lastRotationRequest
      ? [`**Last rotation asked for:** ${iso(status.lastRotationRequest.at)} (${status.lastRotationRequest.reason})`]
      : []),
    ...(status.tokensArrivedUnencryptedAt
      ? [
          `**Warning:** tokens arrived unencrypted at ${iso(status.tokensArrivedUnencryptedAt)} (sent without the codec); they were rotated at once`,
        ]
      : []),
    ...(status.tokensArrivedUnsealedAt
      ? [
          `**Warning:** tokens reached history unsealed at ${iso(status.tokensArrivedUnsealedAt)} (sent without the token key ring, readable in this UI); they were rotated at once`,
        ]
      : []),
    ...(status.reseedUnproven
      ? ['**Reseed unproven:** the previous set is kept until a refresh proves the reseeded one']
      : []),
  ].join('\n\n');
}

/**
 * Shows the status to operators: search attributes (for visibility queries and the UI's list) and the current
 * details. Publishes only what changed since the last call, so quiet loops add no history events.
 */
export class StatusPublisher {
  private published = '';

  publish(status: StatusResult): void {
    const fingerprint = JSON.stringify([
      status.status,
      status.reason,
      status.accessTokenExpiresAt,
      status.nextRefreshAt,
      status.lastError,
      status.tokensArrivedUnencryptedAt,
      // Appended only when set, so runs recorded before these fields publish exactly as they did.
      ...(status.tokensArrivedUnsealedAt !== undefined ? [status.tokensArrivedUnsealedAt] : []),
      ...(status.reseedUnproven ? [true] : []),
    ]);
    if (fingerprint === this.published) return;
    const firstPublish = this.published === '';
    this.published = fingerprint;
    wf.upsertSearchAttributes([
      ...(firstPublish ? [{ key: companyIdKey, value: status.companyId }] : []),
      { key: tokenStatusKey, value: status.status },
      {
        key: accessTokenExpiresAtKey,
        value: status.accessTokenExpiresAt !== undefined ? new Date(status.accessTokenExpiresAt) : null,
      },
      { key: nextRefreshAtKey, value: status.nextRefreshAt !== undefined ? new Date(status.nextRefreshAt) : null },
    ]);
    wf.setCurrentDetails(formatDetails(status));
  }
}
