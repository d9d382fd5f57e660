/** How big each section runs; the defaults fit the 10-minute budget on a 2-core machine. */
export interface BenchSizes {
  /** Reads through the client cache and through Redis. */
  reads: number;
  /** Raw `accessToken` queries (each is a round trip through the server to the worker). */
  queryReads: number;
  /** Companies queried in the cold-query section, and the evicting worker's cache size. */
  coldCompanies: number;
  coldCacheSize: number;
  coldQueries: number;
  /** Exactly-one section: companies, waves, readers and rotations per company per wave, naive processes. */
  waveCompanies: number;
  waves: number;
  readersPerCompany: number;
  rotationsPerCompany: number;
  naiveProcesses: number;
  /** User-token section. */
  userTokenCalls: number;
  /** Cost section: rotations of one company before its history is measured. */
  costRotations: number;
  /** Scale section. */
  scaleCompanies: number;
  enrolConcurrency: number;
  /** The scale worker's workflow cache; undefined means the keeper's production default. */
  scaleCacheSize?: number;
  /** Idle worker memory is read once its RSS has been flat for three samples, no sooner than min, no later than max. */
  rssSettleMinMs: number;
  rssSettleMaxMs: number;
  /** How long the storm with the cap lifted is watched (its rate is measured; a longer one is not drained to the end). */
  uncappedStormWatchMs: number;
  /** How long the storm at the default cap is watched before its drain time is worked out from its rate. */
  cappedStormWatchMs: number;
}

export const DEFAULT_SIZES: BenchSizes = {
  reads: 100_000,
  queryReads: 5_000,
  coldCompanies: 200,
  coldCacheSize: 20,
  coldQueries: 1_000,
  waveCompanies: 20,
  waves: 5,
  readersPerCompany: 100,
  rotationsPerCompany: 20,
  naiveProcesses: 20,
  userTokenCalls: 200,
  costRotations: 20,
  scaleCompanies: 10_000,
  enrolConcurrency: 32,
  rssSettleMinMs: 60_000,
  rssSettleMaxMs: 150_000,
  uncappedStormWatchMs: 60_000,
  cappedStormWatchMs: 20_000,
};

/** Small enough for the test that keeps the bench from rotting (every section still runs). */
export const SMALL_SIZES: BenchSizes = {
  reads: 2_000,
  queryReads: 100,
  coldCompanies: 12,
  coldCacheSize: 3,
  coldQueries: 48,
  waveCompanies: 3,
  waves: 2,
  readersPerCompany: 5,
  rotationsPerCompany: 4,
  naiveProcesses: 3,
  userTokenCalls: 10,
  costRotations: 3,
  scaleCompanies: 40,
  enrolConcurrency: 8,
  rssSettleMinMs: 0,
  rssSettleMaxMs: 15_000,
  uncappedStormWatchMs: 30_000,
  cappedStormWatchMs: 3_000,
};
