import { QueryNotRegisteredError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import type { KeeperVersion } from '../contract';
import { FIELDS_SINCE_PROTOCOL, keeperVersionQuery } from '../contract';

/** What a keeper released before 1.0.0 is taken to be: it has no `keeperVersion` query. */
export const PRE_RELEASE_KEEPER: KeeperVersion = { protocol: 0, behavior: 'UNVERSIONED' };

/** The keeper's protocol and build; a keeper that does not know the query is one released before 1.0.0. */
export async function queryKeeperVersion(handle: WorkflowHandle): Promise<KeeperVersion> {
  try {
    return await handle.query(keeperVersionQuery);
  } catch (error) {
    if (error instanceof QueryNotRegisteredError) return PRE_RELEASE_KEEPER;
    throw error;
  }
}

type Gated = typeof FIELDS_SINCE_PROTOCOL;

/**
 * `input` without the optional fields a keeper of `protocol` does not accept: a newer client talking to an older
 * keeper (during a rolling deploy, or after a rollback) sends what that keeper understands rather than being refused.
 */
export function fieldsFor<M extends keyof Gated, T extends object>(message: M, input: T, protocol: number): T {
  const since: Record<string, number> = FIELDS_SINCE_PROTOCOL[message];
  return Object.fromEntries(Object.entries(input).filter(([field]) => (since[field] ?? 0) <= protocol)) as T;
}

/** The gated fields of `message` that a keeper of `protocol` would refuse. */
export function isGatedField(message: keyof Gated, field: string): boolean {
  return field in FIELDS_SINCE_PROTOCOL[message];
}
