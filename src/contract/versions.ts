/**
 * The message protocol a keeper speaks. Raised when a release adds a message or a field a client may send; a client
 * sends a newer field only to a keeper whose protocol has it ({@link FIELDS_SINCE_PROTOCOL}). Keepers released before
 * 1.0.0 have no {@link keeperVersionQuery} and count as protocol 0.
 */
export const KEEPER_PROTOCOL = 1;

/** Optional input fields and the protocol that first accepts each; older keepers refuse a field they do not know. */
export const FIELDS_SINCE_PROTOCOL = {
  refreshNow: { seenExpiresAt: 1 },
} as const satisfies Record<string, Record<string, number>>;

/** What a keeper run is: its protocol and the Worker Deployment Version it runs on. */
export interface KeeperVersion {
  protocol: number;
  /** The build id of the worker that ran the run's latest workflow task; absent on unversioned workers. */
  build?: string;
  /** The Worker Deployment the run belongs to; absent on unversioned workers. */
  deployment?: string;
  /** `PINNED` runs stay on their build until they continue as new onto the current one. */
  behavior: 'PINNED' | 'UNVERSIONED';
}

/**
 * The marker every run of release line 3 records in its first workflow task. It guards no behaviour (3.0.0 dropped
 * every patch); it tells a run this line can replay from one an earlier release wrote.
 */
export const RELEASE_LINE_MARKER = 'plum-token-keeper-release-3';

/** The release a keeper of an earlier line moves through before a 3.x worker can take it over. */
export const MOVE_THROUGH_RELEASE = '2.3';
