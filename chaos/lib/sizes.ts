/** How big each experiment is; `npm run chaos` defaults, `--small` for the subset `npm test` runs. */
export interface ChaosSizes {
  /** Companies rotated together in each kill round of R1. */
  killCompanies: number;
  /** Kill rounds per upstream mode (strict, grace) in R1. */
  killRounds: number;
  /** The rotation cycles R1 must reach (the 100 at default sizes). */
  minCycles: number;
  /** Companies kept through the server restart (R2) and the outage (R3). */
  companies: number;
  /** How long the Temporal server stays down in R2. */
  serverDownMs: number;
  /** Fuzz cases per property (R5); CLI cases are fewer (each is a process). */
  fuzzRuns: number;
  cliRuns: number;
  /** Fuzzed upstream replies sent through a live keeper. */
  liveReplyRuns: number;
  /** R8: updates and queries in flight across continue-as-new; concurrent refreshNow calls on one company. */
  inFlightUpdates: number;
  inFlightQueries: number;
  refreshNowCallers: number;
  /** R8: how long a company rotates and continues as new with its alert webhook dead, before it is retired. */
  deadWebhookWatchMs: number;
  /** DEPLOY: companies kept through the rolling deploy (half enrolled before the new build starts). */
  deployCompanies: number;
}

export const DEFAULT_SIZES: ChaosSizes = {
  killCompanies: 10,
  killRounds: 6,
  minCycles: 100,
  companies: 8,
  serverDownMs: 5000,
  fuzzRuns: 300,
  cliRuns: 24,
  liveReplyRuns: 30,
  inFlightUpdates: 50,
  inFlightQueries: 100,
  refreshNowCallers: 1000,
  deadWebhookWatchMs: 45_000,
  deployCompanies: 24,
};

export const SMALL_SIZES: ChaosSizes = {
  killCompanies: 3,
  // SIGKILL, SIGTERM and SIGSTOP once each.
  killRounds: 3,
  minCycles: 12,
  companies: 3,
  serverDownMs: 2000,
  fuzzRuns: 40,
  cliRuns: 4,
  liveReplyRuns: 5,
  inFlightUpdates: 50,
  inFlightQueries: 100,
  refreshNowCallers: 600,
  deadWebhookWatchMs: 30_000,
  deployCompanies: 6,
};
