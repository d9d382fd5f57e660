import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../client/errors';
import type { PlumTokens } from '../contract';

/** Reads a Plum token set (JSON) from a file, or from standard input when `path` is `-`. */
export function readTokens(path: string): PlumTokens {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(
      '--tokens-file',
      `cannot read ${path === '-' ? 'standard input' : path} (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  try {
    // Editors on some systems start a UTF-8 file with a byte-order mark; JSON.parse does not skip it.
    return JSON.parse(text.replace(/^\uFEFF/, '')) as PlumTokens;
  } catch {
    throw new InvalidInputError(
      '--tokens-file',
      `${path === '-' ? 'standard input' : path} is not JSON; paste the token set exactly as Plum returned it`,
    );
  }
}
