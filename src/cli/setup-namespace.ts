import { setTimeout as sleep } from 'node:timers/promises';
import type { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { PLUM_SEARCH_ATTRIBUTE_TYPES } from '../contract';

const INDEXED_TYPE = temporal.api.enums.v1.IndexedValueType;

/** The server's indexed value types as the `temporal` CLI spells them. */
export const CLI_TYPE_OF: Record<number, string> = {
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_KEYWORD]: 'Keyword',
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_DATETIME]: 'Datetime',
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_TEXT]: 'Text',
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_INT]: 'Int',
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_DOUBLE]: 'Double',
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_BOOL]: 'Bool',
  [INDEXED_TYPE.INDEXED_VALUE_TYPE_KEYWORD_LIST]: 'KeywordList',
};
const INDEXED_TYPE_OF: Record<string, number> = {
  Keyword: INDEXED_TYPE.INDEXED_VALUE_TYPE_KEYWORD,
  Datetime: INDEXED_TYPE.INDEXED_VALUE_TYPE_DATETIME,
};

/** A search attribute the namespace holds under the keeper's name with another type: nothing here can change it. */
export class SearchAttributeConflictError extends Error {
  override readonly name = 'SearchAttributeConflictError';
  constructor(
    readonly conflicts: { name: string; registered: string; needed: string }[],
    namespace: string,
  ) {
    super(
      `namespace ${namespace} holds ${conflicts
        .map((c) => `${c.name} as ${c.registered} (the keeper needs ${c.needed})`)
        .join(', ')}: a search attribute's type cannot change; use another namespace or remove it ` +
        `(temporal operator search-attribute remove --namespace ${namespace} --name …) once nothing uses it`,
    );
  }
}

export interface NamespaceSetup {
  namespace: string;
  namespaceCreated: boolean;
  created: string[];
  kept: string[];
}

/** How long a namespace just registered may take to reach the server's cache, where search attributes are added. */
const NAMESPACE_CACHE_WAIT_MS = 60_000;

/** gRPC's NOT_FOUND: the namespace does not exist (yet, for a server whose cache has not caught up). */
const GRPC_NOT_FOUND = 5;
const isNotFound = (error: unknown) => (error as { code?: number }).code === GRPC_NOT_FOUND;

async function registerIfMissing(connection: Connection, namespace: string, retentionMs: number): Promise<boolean> {
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return false;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs(retentionMs),
    description: 'plum-token-keeper',
  });
  return true;
}

async function customAttributes(connection: Connection, namespace: string): Promise<Record<string, number>> {
  const deadline = Date.now() + NAMESPACE_CACHE_WAIT_MS;
  for (;;) {
    try {
      const { customAttributes: found } = await connection.operatorService.listSearchAttributes({ namespace });
      return (found ?? {}) as Record<string, number>;
    } catch (error) {
      if (!isNotFound(error) || Date.now() > deadline) throw error;
      await sleep(1000);
    }
  }
}

/**
 * Makes `namespace` ready for the keeper, idempotently: registers it when missing (with `retentionMs`), adds the
 * search attributes it lacks and keeps those it has. An attribute registered with another type is refused, never
 * hidden: workflows would fail to start or their status would not be searchable.
 */
export async function setupNamespace(
  connection: Connection,
  namespace: string,
  retentionMs: number,
): Promise<NamespaceSetup> {
  const namespaceCreated = await registerIfMissing(connection, namespace, retentionMs);
  const registered = await customAttributes(connection, namespace);
  const needed = Object.entries(PLUM_SEARCH_ATTRIBUTE_TYPES);
  const conflicts = needed
    .filter(([name, type]) => registered[name] !== undefined && CLI_TYPE_OF[registered[name]] !== type)
    .map(([name, type]) => ({ name, registered: CLI_TYPE_OF[registered[name]!] ?? 'unknown', needed: type }));
  if (conflicts.length > 0) throw new SearchAttributeConflictError(conflicts, namespace);
  const missing = needed.filter(([name]) => registered[name] === undefined);
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, INDEXED_TYPE_OF[type]!])),
    });
  }
  return {
    namespace,
    namespaceCreated,
    created: missing.map(([name]) => name),
    kept: needed.filter(([name]) => registered[name] !== undefined).map(([name]) => name),
  };
}
