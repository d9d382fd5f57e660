/**
 * A short, stable fingerprint of a token (two 32-bit FNV-1a passes, 16 hex digits). Not a security measure: the
 * state is encrypted anyway. It lets the workflow recognise a refresh token it has already spent without keeping
 * the token itself. Deterministic, so it is safe in workflow code.
 */
export function fingerprint(token: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ token.length;
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i);
    a = Math.imul(a ^ code, 0x01000193) >>> 0;
    b = Math.imul(b ^ code ^ (i & 0xff), 0x01000193) >>> 0;
  }
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/** How many spent refresh tokens a keeper remembers. */
export const SPENT_MEMORY = 32;
