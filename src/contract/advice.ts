import type { StatusReason, StatusResult } from './status';

const RESEED = (id: string) => `plum-keeper reseed ${id} --tokens-file FILE`;
const NEW_TOKENS = (id: string) =>
  `generate new tokens in the Plum dashboard (Settings → API), then run: ${RESEED(id)}`;
/** Plum refused before it rotated anything, so the set the keeper holds is still good once the cause is gone. */
const UNSPENT = (id: string) =>
  `then reseed the set the keeper holds if you still have it (the set you last enrolled or reseeded, if no rotation ` +
  `followed: ${RESEED(id)}); otherwise ${NEW_TOKENS(id)}`;
const CREDENTIALS_FILE = (id: string) =>
  `fix ${id}'s "client_id"/"client_secret" in PLUM_CREDENTIALS_FILE (the workers re-read it; plum-keeper doctor checks it)`;

/** The cure for a company in `NEEDS_REAUTH`, by why Plum refused it. */
const NEEDS_REAUTH_CURES: Partial<Record<StatusReason, (id: string) => string>> = {
  INVALID_CLIENT: (id) => `Plum refused the API client, not the tokens: ${CREDENTIALS_FILE(id)}, ${UNSPENT(id)}`,
  NO_CREDENTIALS: (id) => `${CREDENTIALS_FILE(id)}, ${UNSPENT(id)}`,
  IP_NOT_WHITELISTED: (id) =>
    `Plum refused the workers' address: add the workers' egress IPs to ${id}'s IP whitelist in the Plum dashboard, ${UNSPENT(id)}`,
  COMPANY_DISABLED: (id) =>
    `the company's Plum account is disabled: once Plum or the company re-enables it, ${NEW_TOKENS(id)}; if the company left, run: plum-keeper retire ${id}`,
  USER_DISABLED: (id) =>
    `the Plum user who generated these tokens is disabled: an active Super Admin must ${NEW_TOKENS(id)}`,
  NO_TOKENS: (id) => `the keeper was started without tokens: run ${RESEED(id)} with the company's token set`,
  BAD_REQUEST: (id) =>
    `Plum called the refresh malformed: keep the worker logs for the Plum team, and ${NEW_TOKENS(id)}`,
};

/**
 * What an operator does about a company, with the exact command, by status and reason: the alert's `action`, the
 * line under `plum-keeper status`, and the README's table of reasons and cures.
 */
export function nextStepFor(status: Pick<StatusResult, 'companyId' | 'status' | 'reason' | 'rotationHeld'>): string {
  const id = status.companyId;
  switch (status.status) {
    case 'NEEDS_REAUTH': {
      // TOKEN_KILLED, INVALID_GRANT, LOST_IN_FLIGHT, REFRESH_TOKEN_EXPIRED, RESET_UNRECOVERED: the set is gone.
      const cure = status.reason && NEEDS_REAUTH_CURES[status.reason];
      return cure ? cure(id) : NEW_TOKENS(id);
    }
    case 'EXPIRED':
      if (status.reason === 'NO_CREDENTIALS')
        return `add ${id} to PLUM_CREDENTIALS_FILE; the keeper retries on its own`;
      return `the keeper keeps retrying; see why with: plum-keeper status ${id} (is Plum reachable? are the credentials valid?), then: plum-keeper rotate ${id} --wait`;
    case 'DEGRADED':
      if (status.rotationHeld !== undefined)
        return `set PLUM_MIN_ROTATION_INTERVAL_MS on the workers below Plum's token lifetime and restart them; the keeper refreshes on its own once the interval passes (plum-keeper status ${id})`;
      return status.reason === 'NO_CREDENTIALS'
        ? `add ${id}'s API client ("client_id"/"client_secret") to PLUM_CREDENTIALS_FILE (or set PLUM_CLIENT_ID/PLUM_CLIENT_SECRET); the keeper retries on its own`
        : `none yet: the keeper retries on its own while the access token is valid; watch it with: plum-keeper status ${id}`;
    default:
      return 'nothing to do';
  }
}
