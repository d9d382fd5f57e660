import type { StatusResult } from './messages';

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
  ].join('\n\n');
}
