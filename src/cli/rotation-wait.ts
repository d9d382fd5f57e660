import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenKeeperClient } from '../client/token-keeper-client';

/** How often `rotate --wait` looks at the status while its rotation has not finished. */
const STATUS_POLL_MS = 1000;

/**
 * While `rotation` runs, looks at the company's status every second and says once, through `say`, why the keeper
 * holds the rotation back (the minimum interval between rotations), so `rotate --wait` never waits in silence. Ends
 * when `rotation` settles.
 */
export async function sayWhyRotationWaits(
  keeper: Pick<TokenKeeperClient, 'status'>,
  companyId: string,
  rotation: Promise<unknown>,
  say: (line: string) => void,
): Promise<void> {
  let settled = false;
  const ended = rotation.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await Promise.race([sleep(STATUS_POLL_MS), ended]);
    if (settled) return;
    const held = (await keeper.status(companyId).catch(() => undefined))?.rotationHeld;
    if (held !== undefined && !settled) {
      say(`waiting: ${held}`);
      return;
    }
  }
}
