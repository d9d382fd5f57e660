import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenKeeperClient } from '../client/token-keeper-client';

export interface UpgradeResult {
  woken: number;
  /** Keepers per build id once the wait ended (`unversioned`; `no answer` for one that did not answer in time). */
  builds: Record<string, number>;
  /** Keepers not on the wanted build when the wait ended, each with what it answered. */
  notMoved: { companyId: string; why: string }[];
}

/** How often keepers not yet on the wanted build are woken again. */
const REWAKE_MS = 5000;
/** Calls in flight at once: a fleet of 10,000 is read in a few seconds without flooding the frontend. */
const CONCURRENCY = 32;
/** Longest wait for one keeper's answer; a pinned keeper whose build has no worker never answers. */
const QUERY_DEADLINE_MS = 3000;

/** Runs `fn` on every item, `CONCURRENCY` at a time. */
async function eachBounded<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, lane));
  return results;
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T | 'no answer'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'no answer'>((resolve) => (timer = setTimeout(() => resolve('no answer'), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function buildOf(keeper: TokenKeeperClient, companyId: string, deadline: number): Promise<string> {
  const ms = Math.max(1, Math.min(QUERY_DEADLINE_MS, deadline - Date.now()));
  const version = await withDeadline(
    keeper.version(companyId).catch(() => undefined),
    ms,
  );
  if (version === 'no answer' || version === undefined) return 'no answer';
  return version.build ?? 'unversioned';
}

function wakeAll(keeper: TokenKeeperClient, companies: readonly string[], deadline: number): Promise<unknown> {
  return eachBounded(companies, (id) =>
    withDeadline(
      keeper.wake(id).catch(() => undefined),
      Math.max(1, deadline - Date.now()),
    ),
  );
}

/**
 * Wakes every keeper (a pinned run that sees a new current build continues as new onto it) and, with `buildId`,
 * waits until each runs on that build or the timeout passes; returns by the timeout whatever answers. The server tells
 * runs of a new current version a few seconds after it changes, so a keeper that woke before it knew is woken again
 * every five seconds. Queries and signals run `CONCURRENCY` at a time, each under a deadline.
 */
export async function upgradeFleet(
  keeper: TokenKeeperClient,
  companies: readonly string[],
  options: { buildId?: string; timeoutMs: number },
): Promise<UpgradeResult> {
  const deadline = Date.now() + options.timeoutMs;
  await wakeAll(keeper, companies, deadline);
  let lastWake = Date.now();
  let pending = [...companies];
  const builds = new Map<string, string>();
  for (;;) {
    const answers = await eachBounded(pending, (id) => buildOf(keeper, id, deadline));
    pending.forEach((id, i) => builds.set(id, answers[i]!));
    if (options.buildId !== undefined) pending = pending.filter((id) => builds.get(id) !== options.buildId);
    else pending = [];
    if (pending.length === 0 || Date.now() >= deadline) break;
    if (Date.now() - lastWake >= REWAKE_MS) {
      await wakeAll(keeper, pending, deadline);
      lastWake = Date.now();
    }
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
  const counts: Record<string, number> = {};
  for (const build of builds.values()) counts[build] = (counts[build] ?? 0) + 1;
  const notMoved = pending.map((companyId) => {
    const build = builds.get(companyId)!;
    return {
      companyId,
      why:
        build === 'no answer'
          ? 'did not answer: its build has no worker polling (npx plum-keeper doctor names it)'
          : `still on build ${build}`,
    };
  });
  return { woken: companies.length, builds: counts, notMoved };
}
