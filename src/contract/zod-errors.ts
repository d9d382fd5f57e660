import { z } from 'zod';

/**
 * One line naming each bad field, built on `z.prettifyError` (whose messages never quote the input, so a secret in a
 * bad field is not echoed): `tokens.refresh_token: must be a non-empty string; policy: Unrecognized key…`.
 */
export function describeZodError(error: z.ZodError): string {
  return z
    .prettifyError(error)
    .split('✖ ')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const [message = '', at] = block.split(/\n\s*→ at /);
      return `${at?.trim() || 'input'}: ${message.trim()}`;
    })
    .join('; ');
}

/** The dotted path of the first bad field, or `fallback` when the input as a whole is wrong. */
export function firstIssuePath(error: z.ZodError, fallback = 'input'): string {
  const path = error.issues[0]?.path.join('.');
  return path ? path : fallback;
}
