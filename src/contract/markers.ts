/**
 * Markers the keeper's codec puts into decoded values for the workflow to act on. Clients never send them.
 */

/**
 * Set on a decoded object that reached the worker without encryption while holding tokens (a `temporal workflow
 * start` or update sent without the codec): the tokens are in clear in history, and the workflow rotates at once.
 */
export const ARRIVED_UNENCRYPTED = 'arrivedUnencrypted';

/**
 * Set on a decoded workflow input or reseed that reached the worker encrypted but with its tokens unsealed (sent
 * through the codec server, or by a client without the token key ring, or written before sealing existed): everyone
 * who can decode payloads in the UI can read them, so the workflow rotates at once.
 */
export const ARRIVED_UNSEALED = 'arrivedUnsealed';

/** What a worker's workflow sees instead of a payload encrypted or sealed with a key the worker lacks. */
export const UNDECODABLE_PAYLOAD = 'undecodablePayload';

/**
 * Why an undecodable-payload marker was made: a key the worker lacks (`keyId`), or a value the codec will not walk
 * (`problem`, e.g. nested deeper than any keeper message).
 */
export type UndecodableMarker = { keyId: string } | { problem: string };

/** Why a message under an unknown key was refused, and what to do about it. */
export const undecodableMessage = (what: string, keyId: string): string =>
  `the ${what} is encrypted with key id "${keyId.slice(0, 64)}", which this worker does not hold: give every worker the new key before any client uses it`;

/** The refusal for an undecodable-payload marker (naming `what` was refused), or undefined for any other value. */
export function undecodableRefusal(value: unknown, what: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const marker = (value as Record<string, unknown>)[UNDECODABLE_PAYLOAD] as Record<string, unknown> | undefined;
  if (typeof marker?.keyId === 'string') return undecodableMessage(what, marker.keyId);
  if (typeof marker?.problem === 'string') return `the ${what} was refused: ${marker.problem.slice(0, 200)}`;
  return undefined;
}
