import { z } from 'zod';

/** How many problems a description names, and how long each may be: an input with thousands of bad keys gets a
 * short answer (a 78 KB query failure never reached its caller). */
const MAX_PROBLEMS = 5;
const MAX_PROBLEM_LENGTH = 200;

const clipped = (text: string) =>
  text.length <= MAX_PROBLEM_LENGTH ? text : `${text.slice(0, MAX_PROBLEM_LENGTH - 1)}…`;

/**
 * One line naming each bad field, built on `z.prettifyError` (whose messages never quote the input, so a secret in a
 * bad field is not echoed): `tokens.refresh_token: must be a non-empty string; policy: Unrecognized key…`. At most
 * five problems of 200 characters each, then how many more there were.
 */
export function describeZodError(error: z.ZodError): string {
  const problems = z
    .prettifyError(error)
    .split('✖ ')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const [message = '', at] = block.split(/\n\s*→ at /);
      return clipped(`${at?.trim() || 'input'}: ${message.trim()}`);
    });
  const more = problems.length - MAX_PROBLEMS;
  return [...problems.slice(0, MAX_PROBLEMS), ...(more > 0 ? [`and ${more} more`] : [])].join('; ');
}

/** The dotted path of the first bad field, or `fallback` when the input as a whole is wrong. */
export function firstIssuePath(error: z.ZodError, fallback = 'input'): string {
  const path = error.issues[0]?.path.join('.');
  return path ? path : fallback;
}
