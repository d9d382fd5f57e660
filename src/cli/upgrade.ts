import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenKeeperClient } from '../client/token-keeper-client';

export interface UpgradeResult {
  woken: number;
  /** Keepers per build id once the wait ended (`unversioned`, `unknown` for one that did not answer). */
  builds: Record<string, number>;
  /** Keepers not on the wanted build when the wait ended. */
  notMoved: string[];
}

async function buildOf(keeper: TokenKeeperClient, companyId: string): Promise<string> {
  const version = await keeper.version(companyId).catch(() => undefined);
  return version === undefined ? 'unknown' : (version.build ?? 'unversioned');
}

/** How often keepers not yet on the wanted build are woken again. */
const REWAKE_MS = 5000;

async function wakeAll(keeper: TokenKeeperClient, companies: readonly string[]): Promise<void> {
  for (let i = 0; i < companies.length; i += 8) {
    await Promise.all(companies.slice(i, i + 8).map((id) => keeper.wake(id).catch(() => undefined)));
  }
}

/**
 * Wakes every keeper (a pinned run that sees a new current build continues as new onto it) and, with `buildId`,
 * waits until each runs on that build or the timeout passes. The server tells runs of a new current version a few
 * seconds after `set-current-version`, so a keeper that woke before it knew is woken again every five seconds.
 * Bounded: eight signals in flight, one poll a second.
 */
export async function upgradeFleet(
  keeper: TokenKeeperClient,
  companies: readonly string[],
  options: { buildId?: string; timeoutMs: number },
): Promise<UpgradeResult> {
  await wakeAll(keeper, companies);
  const deadline = Date.now() + options.timeoutMs;
  let lastWake = Date.now();
  for (;;) {
    const builds = new Map<string, string>();
    for (const id of companies) builds.set(id, await buildOf(keeper, id));
    const notMoved = options.buildId === undefined ? [] : companies.filter((id) => builds.get(id) !== options.buildId);
    if (notMoved.length === 0 || Date.now() >= deadline) {
      const counts: Record<string, number> = {};
      for (const build of builds.values()) counts[build] = (counts[build] ?? 0) + 1;
      return { woken: companies.length, builds: counts, notMoved };
    }
    if (Date.now() - lastWake >= REWAKE_MS) {
      await wakeAll(keeper, notMoved);
      lastWake = Date.now();
    }
    await sleep(1000);
  }
}
