import { setTimeout as sleep } from 'node:timers/promises';
import type { TokenKeeperClient } from '../client/token-keeper-client';
import type { StatusResult } from '../contract';

/** How often `rotate --wait` looks at the status while its rotation has not finished. */
const STATUS_POLL_MS = 1000;

/** Why the keeper holds a rotation back right now, with until when; undefined when nothing holds it. */
export function rotationHoldOf(status: StatusResult, now: number): string | undefined {
  const holds: string[] = [];
  if (status.penaltyUntil !== undefined && status.penaltyUntil > now)
    holds.push(
      `Plum’s rate-limit penalty (HTTP 429) holds every refresh until ${new Date(status.penaltyUntil).toISOString()}`,
    );
  if (status.rotationHeld !== undefined) holds.push(status.rotationHeld);
  return holds.length > 0 ? holds.join('; ') : undefined;
}

/**
 * While `rotation` runs, looks at the company's status every second and says, through `say`, what holds the rotation
 * back (Plum's rate-limit penalty, the minimum interval between rotations) and until when, each time that changes,
 * so `rotate --wait` never waits in silence. Ends when `rotation` settles.
 */
export async function sayWhyRotationWaits(
  keeper: Pick<TokenKeeperClient, 'status'>,
  companyId: string,
  rotation: Promise<unknown>,
  say: (line: string) => void,
): Promise<void> {
  let settled = false;
  let said: string | undefined;
  const ended = rotation.then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    await Promise.race([sleep(STATUS_POLL_MS), ended]);
    if (settled) return;
    const status = await keeper.status(companyId).catch(() => undefined);
    const hold = status && rotationHoldOf(status, Date.now());
    if (hold !== undefined && hold !== said && !settled) {
      say(`waiting: ${hold}`);
      said = hold;
    }
  }
}
